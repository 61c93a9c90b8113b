/**
 * Steady state, during and after, and the recovery clause. Every figure is over workflows by the
 * time they *started* (intended start = completion − latency), so a workflow that began in the
 * after phase and timed out during the drain still counts against it.
 *
 * Recovery: after the last fault is removed at `r`, slide a window of `windowMs` in 250 ms steps
 * over the after phase. A window is good when its goodput (successful workflows per second) is at
 * least `goodput` × the steady state's and its p99 at most `p99` × the steady state's. The team
 * recovered at the start of the first good window from which every later window is good too (it
 * came back and stayed); the clause holds when that is no later than `r + withinMs`.
 */
import { nearestRank } from '../load/attribution.js';
import type { RunEvent } from '../scenario/stages/evidence.js';
import type { RecoveryClause } from './model.js';

/** Workflow figures over a span. */
export interface Figures {
  requests: number;
  errors: number;
  /** Successful workflows per second. */
  goodput: number;
  p99Ms: number | null;
  startMs: number;
  endMs: number;
}

/** A completed workflow: when it started, how long it took, whether it succeeded. */
export interface Sample {
  startMs: number;
  latencyMs: number;
  ok: boolean;
}

/** The samples of a run's main driver. */
export function samplesOf(completions: Iterable<RunEvent>): Sample[] {
  const out: Sample[] = [];
  for (const e of completions) {
    const latency = e.latencyMs ?? 0;
    out.push({ startMs: e.tMs - latency, latencyMs: latency, ok: e.type === 'ok' });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

/** Figures of the samples that started in [startMs, endMs). */
export function figuresOf(samples: readonly Sample[], startMs: number, endMs: number): Figures {
  let requests = 0;
  let errors = 0;
  const latencies: number[] = [];
  for (const s of samples) {
    if (s.startMs < startMs || s.startMs >= endMs) continue;
    requests++;
    if (!s.ok) errors++;
    latencies.push(s.latencyMs);
  }
  const seconds = Math.max(0.001, (endMs - startMs) / 1000);
  return { requests, errors, goodput: (requests - errors) / seconds, p99Ms: nearestRank(latencies, 99), startMs, endMs };
}

/** The recovery clause's judgement. */
export interface RecoveryResult {
  status: 'pass' | 'fail' | 'invalid';
  /** Milliseconds from the fault's removal to the recovery; null when it did not recover in the after phase. */
  recoveredAfterMs: number | null;
  /** The thresholds a window had to meet. */
  goodputAtLeast: number;
  p99AtMost: number | null;
  /** The last window of the after phase. */
  last?: Figures;
  reason: string;
}

/** Fewest successful workflows in the steady state for the clause to be judged. */
export const MIN_STEADY_OK = 10;
const STEP_MS = 250;

/** Judges the clause. `removedAtMs`: when the last fault was removed; `endMs`: the end of the after phase. */
export function judgeRecovery(clause: RecoveryClause, samples: readonly Sample[], steady: Figures, removedAtMs: number, endMs: number): RecoveryResult {
  const goodputAtLeast = clause.goodput * steady.goodput;
  const p99AtMost = steady.p99Ms === null ? null : clause.p99 * Math.max(steady.p99Ms, 1);
  const base = { goodputAtLeast, p99AtMost };
  if (steady.requests - steady.errors < MIN_STEADY_OK || p99AtMost === null) {
    return { ...base, status: 'invalid', recoveredAfterMs: null, reason: `the steady state had ${steady.requests - steady.errors} successful workflows, expected at least ${MIN_STEADY_OK} to judge recovery against` };
  }
  if (endMs - removedAtMs < clause.windowMs) {
    return { ...base, status: 'invalid', recoveredAfterMs: null, reason: 'the after phase is shorter than one recovery window' };
  }
  const starts: number[] = [];
  for (let t = removedAtMs; t + clause.windowMs <= endMs; t += STEP_MS) starts.push(t);
  const good = starts.map((t) => {
    const f = figuresOf(samples, t, t + clause.windowMs);
    return f.goodput >= goodputAtLeast && f.p99Ms !== null && f.p99Ms <= p99AtMost;
  });
  let from = good.length;
  while (from > 0 && good[from - 1]) from--;
  const last = figuresOf(samples, starts[starts.length - 1]!, starts[starts.length - 1]! + clause.windowMs);
  const lastShown = `last window: goodput ${last.goodput.toFixed(1)}/s (needs ≥ ${goodputAtLeast.toFixed(1)}), p99 ${last.p99Ms ?? '–'} ms (needs ≤ ${Math.round(p99AtMost)})`;
  if (from === good.length) {
    return { ...base, status: 'fail', recoveredAfterMs: null, last, reason: `did not recover within the after phase (${Math.round(endMs - removedAtMs)} ms after the fault was removed); ${lastShown}` };
  }
  const recoveredAfterMs = starts[from]! - removedAtMs;
  if (recoveredAfterMs > clause.withinMs) {
    return { ...base, status: 'fail', recoveredAfterMs, last, reason: `recovered ${recoveredAfterMs} ms after the fault was removed, expected within ${clause.withinMs} ms` };
  }
  return { ...base, status: 'pass', recoveredAfterMs, last, reason: `recovered ${recoveredAfterMs} ms after the fault was removed (within ${clause.withinMs} ms)` };
}
