/**
 * The black-box HTTP idempotency checker behind `agentcheck idempotency`: each property of
 * ../shared/reference/checks.md becomes a fast-check property over generated payloads and
 * delivery counts, run against a live target. The effects the target reports (probe or command)
 * are compared before and after, on one target, so nothing depends on its ids being
 * deterministic. Counterexamples shrink to the smallest payload and fewest deliveries.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { brief, canonicalJson, omitPaths, sameJson } from './compare.js';
import { canDiffer } from './in-process.js';
import { arbitraryFromSchema, invalidArbitraryFromSchema } from './json-schema.js';
import { HttpTarget, type HttpReply, type ObservedEffect } from './http-target.js';
import { PropertyViolation, runProperty, type RunHooks } from './property-runner.js';
import type { IdempotencySpec } from './spec.js';
import { overallStatus, type IdempotencyCheckResult, type IdempotencyProperty, type PropertyOutcome } from './types.js';

/** Options of {@link checkHttpIdempotency}. */
export interface HttpCheckOptions {
  /** Base URL of the agent, e.g. `http://127.0.0.1:8080`. */
  target: string;
  /** Runs per property. Default 100. */
  runs?: number;
  /** fast-check seed. Default: drawn at random and reported. */
  seed?: number;
  /** fast-check counterexample path (replays one failure; use with `seed` and one property). */
  path?: string;
  /** Only these properties (default: the spec's list). */
  properties?: IdempotencyProperty[];
  /** Builds the replay command line for a failure (the CLI passes its own). */
  replayCommand?: (property: IdempotencyProperty, seed: number, path: string) => string;
}

/** One answer, as reports show it. */
interface Seen {
  status: number;
  body: unknown;
}

function seen(r: HttpReply): Seen {
  return { status: r.status, body: r.body ?? null };
}

function show(r: HttpReply): string {
  return `${r.status} ${brief(r.body, 120)}`;
}

function keyed(effects: readonly ObservedEffect[], key: string): number {
  return effects.reduce((n, e) => n + (e.key === key ? 1 : 0), 0);
}

function sameEffects(a: readonly ObservedEffect[], b: readonly ObservedEffect[]): boolean {
  return a.length === b.length && canonicalJson(a.map((e) => e.value)) === canonicalJson(b.map((e) => e.value));
}

function effectsOf(list: readonly ObservedEffect[], key: string): unknown[] {
  return list.filter((e) => e.key === key).map((e) => e.value);
}

type Body<T> = { arbitrary: fc.Arbitrary<T>; run: (input: T, hooks: RunHooks) => Promise<void>; notExercised: string };

/** Builds the properties for one spec and target. */
class HttpProperties {
  readonly valid: fc.Arbitrary<unknown>;
  readonly invalid: fc.Arbitrary<unknown> | undefined;
  private readonly isSuccess: (status: number) => boolean;

  constructor(
    private readonly spec: IdempotencySpec,
    private readonly t: HttpTarget,
  ) {
    const body = spec.operation.body;
    this.valid = body.examples ? fc.constantFrom(...body.examples) : arbitraryFromSchema(body.schema ?? {});
    this.invalid = body.invalidExamples
      ? fc.constantFrom(...body.invalidExamples)
      : body.schema
        ? invalidArbitraryFromSchema(body.schema, body.invalidShapes)
        : undefined;
    const ok = spec.expect.success;
    this.isSuccess = ok ? (s) => ok.includes(s) : (s) => s >= 200 && s < 300;
  }

  private replayEqual(a: HttpReply, b: HttpReply): boolean {
    const ignore = this.spec.expect.replayIgnore;
    return a.status === b.status && sameJson(omitPaths(a.body ?? null, ignore), omitPaths(b.body ?? null, ignore));
  }

  private async begin(): Promise<void> {
    await this.t.reset();
  }

  duplicateDelivery(): Body<{ payload: unknown; deliveries: number }> {
    return {
      arbitrary: fc.record({ payload: this.valid, deliveries: fc.integer({ min: 2, max: this.spec.deliveries.maxDuplicates }) }),
      notExercised: 'no first delivery succeeded or made an effect, so no duplicate of a processed request was delivered',
      run: async ({ payload, deliveries }, hooks) => {
        await this.begin();
        const key = this.t.newKey();
        const first = await this.t.deliver(key, payload);
        const once = await this.t.effects();
        const processed = this.isSuccess(first.status) || keyed(once, key) > 0;
        const replies: Seen[] = [seen(first)];
        for (let i = 1; i < deliveries; i++) replies.push(seen(await this.t.deliver(key, payload)));
        if (processed) hooks.exercised();
        const after = await this.t.effects();
        if (!sameEffects(once, after)) {
          throw new PropertyViolation(
            `${deliveries} deliveries of one request left ${keyed(after, key)} effects for its key (${keyed(once, key)} after the first delivery)`,
            { key, replies, effectsAfterFirst: effectsOf(once, key), effectsAfterAll: effectsOf(after, key) },
          );
        }
      },
    };
  }

  responseReplay(): Body<{ payload: unknown; retries: number }> {
    return {
      arbitrary: fc.record({ payload: this.valid, retries: fc.integer({ min: 1, max: Math.max(1, this.spec.deliveries.maxDuplicates - 1) }) }),
      notExercised: 'no first delivery succeeded, so there was no stored response to replay',
      run: async ({ payload, retries }, hooks) => {
        await this.begin();
        const key = this.t.newKey();
        const first = await this.t.deliver(key, payload);
        if (!this.isSuccess(first.status)) return;
        hooks.exercised();
        for (let i = 1; i <= retries; i++) {
          const again = await this.t.deliver(key, payload);
          if (!this.replayEqual(first, again)) {
            throw new PropertyViolation(`retry ${i} answered ${show(again)}, but the first delivery answered ${show(first)}`, {
              key,
              first: seen(first),
              retry: seen(again),
            });
          }
        }
      },
    };
  }

  keyPayloadBinding(): Body<[unknown, unknown]> {
    const mismatch = this.spec.expect.payloadMismatch;
    return {
      arbitrary: fc.tuple(this.valid, this.valid).filter(([a, b]) => !sameJson(a, b)),
      notExercised: 'no first delivery succeeded, so there was no stored response to protect',
      run: async ([payload, other], hooks) => {
        await this.begin();
        const key = this.t.newKey();
        const first = await this.t.deliver(key, payload);
        if (!this.isSuccess(first.status)) return;
        hooks.exercised();
        const before = await this.t.effects();
        const reuse = await this.t.deliver(key, other);
        const after = await this.t.effects();
        const observed = () => ({ key, first: seen(first), differentPayloadReply: seen(reuse), effectsBefore: effectsOf(before, key), effectsAfter: effectsOf(after, key) });
        if (reuse.status !== mismatch) {
          throw new PropertyViolation(`the same key with a different payload answered ${show(reuse)}; expected ${mismatch}`, observed());
        }
        if (!sameEffects(before, after)) {
          throw new PropertyViolation(`the same key with a different payload was rejected but made ${after.length - before.length} effects`, observed());
        }
        const retry = await this.t.deliver(key, payload);
        if (!this.replayEqual(first, retry)) {
          throw new PropertyViolation(
            `after the rejected reuse, a retry of the original answered ${show(retry)}, not the stored ${show(first)}`,
            { ...observed(), retry: seen(retry) },
          );
        }
      },
    };
  }

  concurrentDuplicates(): Body<{ payload: unknown; copies: number }> {
    const conflict = this.spec.expect.conflict;
    const serialisingIsFine = this.spec.expect.concurrency === 'single-effect';
    return {
      arbitrary: fc.record({ payload: this.valid, copies: fc.integer({ min: 2, max: this.spec.deliveries.concurrency }) }),
      notExercised: serialisingIsFine
        ? 'no concurrent copies overlapped: the first answer always came back before the last copy was sent'
        : `no concurrent copies overlapped on the target: it never answered ${conflict} and every copy got the same completed response (set expect.concurrency: single-effect if it serialises copies on purpose)`,
      run: async ({ payload, copies }, hooks) => {
        await this.begin();
        const key = this.t.newKey();
        const before = await this.t.effects();
        const replies = await Promise.all(Array.from({ length: copies }, () => this.t.deliver(key, payload)));
        const after = await this.t.effects();
        // Client-side overlap: every copy was on the wire before the first answer came back.
        const overlapped = Math.max(...replies.map((r) => r.sentAt)) < Math.min(...replies.map((r) => r.receivedAt));
        const made = after.length - before.length;
        const forKey = keyed(after, key) - keyed(before, key);
        const wins = replies.filter((r) => this.isSuccess(r.status));
        const conflicts = replies.filter((r) => r.status === conflict);
        const observed = () => ({ key, copies, overlappedOnTheClient: overlapped, replies: replies.map(seen), effectsForKey: effectsOf(after, key) });
        const violation = (message: string) => {
          hooks.exercised();
          return new PropertyViolation(message, observed());
        };
        if (made > 1 || forKey > 1) throw violation(`${copies} concurrent deliveries of one request made ${Math.max(made, forKey)} effects`);
        const other = replies.find((r) => !this.isSuccess(r.status) && r.status !== conflict);
        if (other) throw violation(`a concurrent duplicate answered ${show(other)}: neither success nor a ${conflict} conflict`);
        const [firstWin, ...otherWins] = wins;
        const differing = firstWin && otherWins.find((w) => !this.replayEqual(firstWin, w));
        if (firstWin && differing) throw violation(`two concurrent duplicates both succeeded with different responses: ${show(firstWin)} and ${show(differing)}`);
        if (wins.length > 0 && made === 0) throw violation(`a concurrent delivery was acknowledged (${show(wins[0] as HttpReply)}) but made no effect`);
        if (conflicts.length > 0 || (serialisingIsFine && overlapped)) hooks.exercised();
      },
    };
  }

  missingKey(): Body<unknown> {
    const expected = this.spec.expect.missingKey as number;
    return {
      arbitrary: this.valid,
      notExercised: 'no request without a key was delivered',
      run: async (payload, hooks) => {
        await this.begin();
        const before = await this.t.effects();
        const reply = await this.t.deliver(undefined, payload);
        hooks.exercised();
        const after = await this.t.effects();
        if (reply.status !== expected) {
          throw new PropertyViolation(`a request without ${this.spec.operation.keyHeader} answered ${show(reply)}; expected ${expected}`, { reply: seen(reply) });
        }
        if (!sameEffects(before, after)) {
          throw new PropertyViolation(`a request without a key was rejected but made ${after.length - before.length} effects`, {
            reply: seen(reply),
            newEffects: after.slice(before.length).map((e) => e.value),
          });
        }
      },
    };
  }

  validationStoresNothing(): Body<{ invalid: unknown; valid: unknown }> {
    const expected = this.spec.expect.validation;
    return {
      arbitrary: fc.record({ invalid: this.invalid as fc.Arbitrary<unknown>, valid: this.valid }),
      notExercised: 'the target accepted every invalid payload, so no validation failure happened',
      run: async ({ invalid, valid }, hooks) => {
        await this.begin();
        const key = this.t.newKey();
        const before = await this.t.effects();
        const rejected = await this.t.deliver(key, invalid);
        if (this.isSuccess(rejected.status)) return;
        hooks.exercised();
        const after = await this.t.effects();
        if (rejected.status !== expected) {
          throw new PropertyViolation(`an invalid payload answered ${show(rejected)}; expected ${expected}`, { key, rejected: seen(rejected) });
        }
        if (!sameEffects(before, after)) {
          throw new PropertyViolation(`an invalid payload was rejected but made ${after.length - before.length} effects`, { key, rejected: seen(rejected) });
        }
        const retry = await this.t.deliver(key, valid);
        if (!this.isSuccess(retry.status)) {
          throw new PropertyViolation(
            `after a validation failure, a valid retry with the same key answered ${show(retry)}: the failure was stored`,
            { key, rejected: seen(rejected), retry: seen(retry) },
          );
        }
      },
    };
  }

  body(property: IdempotencyProperty): Body<any> | string {
    switch (property) {
      case 'duplicate-delivery':
        return this.duplicateDelivery();
      case 'response-replay':
        return this.responseReplay();
      case 'key-payload-binding':
        return this.keyPayloadBinding();
      case 'concurrent-duplicates':
        return this.concurrentDuplicates();
      case 'missing-key':
        return this.spec.expect.missingKey === undefined ? 'expect.missingKey is false: the key is optional' : this.missingKey();
      case 'validation-stores-nothing':
        return this.invalid ? this.validationStoresNothing() : 'no invalid payloads: add operation.body.schema or operation.body.invalidExamples';
      default:
        return `${property} is only checked in-process (checkIdempotency)`;
    }
  }
}

/**
 * Checks a live HTTP target against an idempotency spec: one fast-check property per spec
 * property, each with its shrunk counterexample and replay command. Throws an environment
 * {@link AgentcheckError} when the target is unreachable at the start and a config one when its
 * effects probe or reset does not answer as the spec says. When that happens later (the target
 * crashed on a payload), the property it happened in keeps what it found, the other properties
 * still run, and the first such error is in the result's `error`. Defaults: 100 runs per property.
 */
export async function checkHttpIdempotency(spec: IdempotencySpec, options: HttpCheckOptions): Promise<IdempotencyCheckResult> {
  const started = performance.now();
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const runs = options.runs ?? 100;
  const target = new HttpTarget(options.target, spec, `ac-${randomUUID().slice(0, 8)}`);
  try {
    // Preflight: an unreachable target or a wrong probe fails here, once, with a clear message.
    await target.reset();
    await target.effects();
    const props = new HttpProperties(spec, target);
    const outcomes: PropertyOutcome[] = [];
    for (const property of options.properties ?? spec.properties) {
      let body = props.body(property);
      if (property === 'key-payload-binding' && typeof body !== 'string' && !canDiffer(props.valid, seed)) {
        body = 'only one payload can be generated (give several examples or a schema), so a different payload cannot be sent';
      }
      if (typeof body === 'string') {
        outcomes.push({ property, status: 'not-exercised', summary: `not exercised: ${body}`, runs: 0, exercisedRuns: 0, replay: { seed }, durationMs: 0 });
        continue;
      }
      const spec0 = {
        property,
        arbitrary: body.arbitrary,
        run: body.run,
        numRuns: runs,
        seed,
        notExercised: body.notExercised,
        ...(options.path !== undefined ? { path: options.path } : {}),
        ...(options.replayCommand ? { replayCommand: (s: number, p: string) => options.replayCommand!(property, s, p) } : {}),
      };
      outcomes.push(await runProperty(spec0));
    }
    const status = overallStatus(outcomes);
    const error = outcomes.find((o) => o.error !== undefined)?.error;
    return { ok: status === 'passed', status, seed, properties: outcomes, durationMs: performance.now() - started, ...(error ? { error } : {}) };
  } finally {
    target.close();
  }
}
