/**
 * Durations in scenario files: a number of milliseconds, or a string of one or more
 * `<number><unit>` parts with units `ms`, `s`, `m`, `h` (`500ms`, `2s`, `1m30s`, `1.5s`).
 */
import { AgentcheckError } from '../errors.js';
import { MAX_TIMER_MS } from '../long-timer.js';
import { describeValue, type FieldPath } from './validate-issue.js';

/** The regular expression a duration string must match (anchored, whitespace around allowed). */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?(ms|s|m|h)\\s*)+$';

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const WHOLE = new RegExp(DURATION_PATTERN);
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** What a duration must look like, for error messages. */
export const DURATION_EXPECTED = 'a duration such as "500ms", "2s", "1m30s" or a number of milliseconds';

/**
 * Parses a duration to milliseconds, or returns `undefined` when `value` is not a valid
 * duration (negative, not finite, unknown unit, wrong type).
 */
export function tryParseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string' || value.length > 200 || !WHOLE.test(value)) return undefined;
  let ms = 0;
  for (const m of value.matchAll(PART)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Parses a duration (`"500ms"`, `"2s"`, `"1m"`, `"1m30s"`, or a number of ms) to milliseconds.
 * Throws an {@link AgentcheckError} (`config`, exit 2) naming `field` when it is not one.
 */
export function parseDuration(value: unknown, field = 'duration'): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) {
    throw new AgentcheckError('config', `${field}: got ${describeValue(value)}, expected ${DURATION_EXPECTED}`);
  }
  return ms;
}

/** Formats milliseconds as the shortest duration string this module parses back (`1m30s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new AgentcheckError('internal', `cannot format duration ${ms}`);
  if (ms === 0) return '0ms';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (rest >= size && Number.isInteger(rest)) {
      const n = Math.floor(rest / size);
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join('');
}

/**
 * The longest a phase, the warm-up or the load may last: a year. agentcheck waits for these in
 * chunks, so they may exceed Node's timer limit (a 600 h soak works).
 */
export const MAX_LONG_DURATION_MS = 365 * 24 * 3_600_000;

/** Durations agentcheck waits for itself (chunked); every other one becomes a single timer or socket timeout. */
function isLongDuration(path: FieldPath): boolean {
  return (path.length === 3 && path[0] === 'phases' && path[2] === 'duration') || (path.length === 1 && path[0] === 'warmup') || (path.length === 2 && path[0] === 'load' && path[1] === 'duration');
}

/**
 * What is wrong with the length of a valid duration at `path`, or undefined: above a year for a
 * phase, the warm-up or the load; above Node's timer limit (2^31 − 1 ms, about 596 h) for
 * timeouts and intervals, which would otherwise fire after 1 ms.
 */
export function durationLimitProblem(value: unknown, path: FieldPath): string | undefined {
  const ms = tryParseDuration(value);
  if (ms === undefined) return undefined;
  if (isLongDuration(path)) {
    return ms > MAX_LONG_DURATION_MS ? `got ${describeValue(value)}, expected at most ${formatDuration(MAX_LONG_DURATION_MS)}` : undefined;
  }
  if (ms <= MAX_TIMER_MS) return undefined;
  return `got ${describeValue(value)}, expected at most ${formatDuration(MAX_TIMER_MS)} (Node's timer limit, 2^31 − 1 ms; a longer timer would fire at once)`;
}
