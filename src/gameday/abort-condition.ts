/**
 * Abort conditions of a game-day experiment: a small grammar, parsed when the file is loaded (a
 * typo is exit 2 before anything starts) and evaluated every 200 ms by the drive stage's
 * `abortWhen` hook on live windows of the workflow outcomes.
 *
 *   error_rate > 20% over 5s          share of failed workflows in the last 5 s
 *   p(99) > 2s over 5s                workflow p99 over the last 5 s
 *   goodput < 5 over 3s               successful workflows per second over the last 3 s
 *   burn_rate(error_rate < 1%) >= 14.4 over 5s   error rate ÷ the budget's allowance
 *   invariant "<name>" broken [every 500ms]      the hypothesis's invariant, sampled
 *
 * A window condition needs at least {@link MIN_WINDOW_REQUESTS} completed workflows in its window
 * (a single early failure is not a 100 % error rate) and is judged only once the method started.
 */
import { compileBudget } from '../load/budget.js';
import type { LiveWindow } from '../scenario/stages/drive.js';
import { tryParseDuration } from '../scenario/duration.js';

/** Fewest completed workflows in a window before a window condition may fire. */
export const MIN_WINDOW_REQUESTS = 5;

/** Default sampling interval of an invariant condition. */
export const INVARIANT_SAMPLE_MS = 1000;

type Op = '>' | '>=' | '<' | '<=';

/** A parsed abort condition. */
export type AbortCondition =
  | { kind: 'window'; text: string; metric: 'error_rate' | 'p99' | 'goodput'; op: Op; threshold: number; windowMs: number }
  | { kind: 'burn'; text: string; budget: string; allowance: number; op: Op; threshold: number; windowMs: number }
  | { kind: 'invariant'; text: string; invariant: string; everyMs: number };

/** A condition that could not be read: the message says what was expected. */
export class AbortConditionError extends Error {}

const NUM = '([0-9]+(?:\\.[0-9]+)?)';
const OP = '(>=|<=|>|<)';
const OVER = '\\s+over\\s+(\\S+)';

function duration(text: string, what: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined || ms <= 0) throw new AbortConditionError(`got ${JSON.stringify(text)} as ${what}, expected a duration such as "5s" or "500ms"`);
  return ms;
}

/** Parses one abort condition; throws {@link AbortConditionError}. `invariants` are the hypothesis's invariant names. */
export function parseAbortCondition(input: string, invariants: readonly string[] = []): AbortCondition {
  const text = input.trim();
  let m = new RegExp(`^error_rate\\s*${OP}\\s*${NUM}%${OVER}$`).exec(text);
  if (m) return { kind: 'window', text, metric: 'error_rate', op: m[1] as Op, threshold: Number(m[2]) / 100, windowMs: duration(m[3]!, 'the window') };
  m = new RegExp(`^p\\(99\\)\\s*${OP}\\s*(\\S+)${OVER}$`).exec(text);
  if (m) return { kind: 'window', text, metric: 'p99', op: m[1] as Op, threshold: duration(m[2]!, 'the latency'), windowMs: duration(m[3]!, 'the window') };
  m = new RegExp(`^goodput\\s*${OP}\\s*${NUM}(?:/s)?${OVER}$`).exec(text);
  if (m) return { kind: 'window', text, metric: 'goodput', op: m[1] as Op, threshold: Number(m[2]), windowMs: duration(m[3]!, 'the window') };
  m = new RegExp(`^burn_rate\\((.+)\\)\\s*${OP}\\s*${NUM}x?${OVER}$`).exec(text);
  if (m) {
    let allowance: number | undefined;
    try {
      const b = compileBudget(m[1]!.trim());
      if (b.measure === 'error_rate' && b.objective !== undefined) allowance = 1 - b.objective;
    } catch (err) {
      throw new AbortConditionError(`burn_rate(${m[1]}): ${(err as Error).message.split('\n')[0]}`);
    }
    if (allowance === undefined || !(allowance > 0)) throw new AbortConditionError(`burn_rate(${m[1]}): got a budget that is not an error-rate objective, expected one such as "error_rate < 1%"`);
    return { kind: 'burn', text, budget: m[1]!.trim(), allowance, op: m[2] as Op, threshold: Number(m[3]), windowMs: duration(m[4]!, 'the window') };
  }
  m = /^invariant\s+"([^"]+)"\s+broken(?:\s+every\s+(\S+))?$/.exec(text);
  if (m) {
    if (!invariants.includes(m[1]!)) {
      throw new AbortConditionError(`got invariant "${m[1]}", expected one of the hypothesis's invariants${invariants.length ? `: ${invariants.map((n) => JSON.stringify(n)).join(', ')}` : ' (it has none)'}`);
    }
    return { kind: 'invariant', text, invariant: m[1]!, everyMs: m[2] ? duration(m[2], 'the sampling interval') : INVARIANT_SAMPLE_MS };
  }
  throw new AbortConditionError(
    `got ${JSON.stringify(text)}, expected "error_rate > 20% over 5s", "p(99) > 2s over 5s", "goodput < 5 over 3s", "burn_rate(error_rate < 1%) >= 14.4 over 5s" or 'invariant "<name>" broken'`,
  );
}

function compare(value: number, op: Op, threshold: number): boolean {
  return op === '>' ? value > threshold : op === '>=' ? value >= threshold : op === '<' ? value < threshold : value <= threshold;
}

/**
 * Why a window condition fires on `window` (its own width), or undefined. A window with too few
 * workflows never fires, except `goodput <` (a team that answers nothing has zero goodput).
 */
export function windowConditionFires(c: Exclude<AbortCondition, { kind: 'invariant' }>, window: LiveWindow): string | undefined {
  const enough = window.requests >= MIN_WINDOW_REQUESTS;
  let value: number | null;
  let shown: string;
  if (c.kind === 'burn') {
    if (!enough) return undefined;
    value = window.errorRate / c.allowance;
    shown = `burn rate ${value.toFixed(1)}×`;
  } else if (c.metric === 'error_rate') {
    if (!enough) return undefined;
    value = window.errorRate;
    shown = `error rate ${(value * 100).toFixed(1)} %`;
  } else if (c.metric === 'p99') {
    if (!enough) return undefined;
    value = window.p99Ms;
    shown = `p99 ${value} ms`;
  } else {
    if (!enough && (c.op === '>' || c.op === '>=')) return undefined;
    value = window.goodput;
    shown = `goodput ${value.toFixed(1)}/s`;
  }
  if (value === null || !compare(value, c.op, c.threshold)) return undefined;
  return `${c.text} (${shown} over ${window.requests} workflows)`;
}
