/**
 * Runs one idempotency property with fast-check and turns the run details into a
 * {@link PropertyOutcome}: status (with the no-empty-pass rule), the shrunk counterexample with
 * what was observed on it, and the seed and path that replay it.
 */
import fc from 'fast-check';
import { AgentcheckError } from '../errors.js';
import { brief } from './compare.js';
import type { IdempotencyProperty, PropertyOutcome } from './types.js';

/** Thrown inside a property run when the system broke the property; carries what was observed. */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
  constructor(
    message: string,
    readonly observed?: unknown,
  ) {
    super(message);
  }
}

/**
 * A JSON-friendly copy of a generated input for reports: plain data stays as is, anything else (a
 * fast-check scheduler, a class instance) becomes fast-check's own rendering, which for a scheduler
 * is the `schedulerFor()` ordering that replays the interleaving.
 */
export function displayInput(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(displayInput);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return fc.stringify(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, displayInput(v)]));
}

/** Per-run hooks a property body receives. */
export interface RunHooks {
  /** Marks this run as one that really exercised the property. */
  exercised(): void;
}

/** What {@link runProperty} needs. */
export interface PropertySpec<T> {
  property: IdempotencyProperty;
  arbitrary: fc.Arbitrary<T>;
  /** One run: resolves when the property held, throws {@link PropertyViolation} when it broke. */
  run: (input: T, hooks: RunHooks) => Promise<void>;
  numRuns: number;
  seed: number;
  path?: string;
  /** Why no run exercised the property, in words (for the `not-exercised` summary). */
  notExercised: string;
  /** Builds the replay command (or call) from seed and path. */
  replayCommand?: (seed: number, path: string) => string;
}

/**
 * Runs a property. Any error that is not a {@link PropertyViolation} stops it instead of being
 * shrunk as a counterexample. A bug (not an {@link AgentcheckError}) is rethrown. The target
 * becoming unreachable or answering its probe wrongly (an environment or config error) keeps
 * what was found: after a violation, shrinking stops there and the smallest counterexample so
 * far is reported; before one, the outcome is `not-exercised` with the error in `error`.
 */
export async function runProperty<T>(spec: PropertySpec<T>): Promise<PropertyOutcome> {
  const started = performance.now();
  let exercised = 0;
  let fatal: unknown;
  // Shrinking reruns the property many times; only runs up to the first failure are counted.
  let shrinking = false;
  const property = fc.asyncProperty(spec.arbitrary, async (input) => {
    if (fatal !== undefined) return true;
    let counted = false;
    const hooks: RunHooks = {
      exercised: () => {
        if (!counted && !shrinking) exercised++;
        counted = true;
      },
    };
    try {
      await spec.run(input, hooks);
      return true;
    } catch (e) {
      if (e instanceof PropertyViolation) {
        if (!counted && !shrinking) exercised++;
        shrinking = true;
        throw e;
      }
      fatal = e;
      return true;
    }
  });
  const params: fc.Parameters<[T]> = { numRuns: spec.numRuns, seed: spec.seed };
  if (spec.path !== undefined) params.path = spec.path;
  const details = await fc.check(property, params);
  if (fatal !== undefined && !(fatal instanceof AgentcheckError && (fatal.code === 'environment' || fatal.code === 'config'))) throw fatal;
  const stoppedBy = fatal instanceof AgentcheckError ? fatal : undefined;

  const durationMs = performance.now() - started;
  const base = {
    property: spec.property,
    runs: details.numRuns,
    exercisedRuns: exercised,
    durationMs,
    replay: { seed: details.seed } as PropertyOutcome['replay'],
  };
  if (details.failed && details.counterexample !== null) {
    const err = details.errorInstance;
    const message = err instanceof Error ? err.message : String(err);
    const path = details.counterexamplePath ?? '';
    base.replay.path = path;
    if (spec.replayCommand) base.replay.command = spec.replayCommand(details.seed, path);
    const input = displayInput(details.counterexample[0]);
    const counterexample: PropertyOutcome['counterexample'] = {
      input,
      message,
      shrinks: details.numShrinks,
    };
    if (err instanceof PropertyViolation && err.observed !== undefined) counterexample.observed = err.observed;
    const stopped = stoppedBy ? ` (shrinking stopped: ${stoppedBy.message})` : '';
    return {
      ...base,
      status: 'failed',
      summary: `violated: ${message} (input ${brief(input, 200)})${stopped}`,
      counterexample,
      ...(stoppedBy ? { error: { code: stoppedBy.code as 'environment' | 'config', message: stoppedBy.message } } : {}),
    };
  }
  if (stoppedBy) {
    return {
      ...base,
      status: 'not-exercised',
      summary: `not run to the end: ${stoppedBy.message}`,
      error: { code: stoppedBy.code as 'environment' | 'config', message: stoppedBy.message, ...(stoppedBy.hint ? { hint: stoppedBy.hint } : {}) },
    };
  }
  if (details.failed) {
    // Too many skipped inputs or an interruption: nothing was proven either way.
    return { ...base, status: 'not-exercised', summary: `not exercised: fast-check stopped early (${details.numSkips} inputs skipped)` };
  }
  if (exercised === 0) return { ...base, status: 'not-exercised', summary: `not exercised: ${spec.notExercised}` };
  return {
    ...base,
    status: 'passed',
    summary: `held in ${details.numRuns} runs (${exercised} exercised the property)`,
  };
}
