/**
 * Running figures of the drive stage, for progress lines and abort conditions: counts over the
 * whole run, and the last 60 s of completions for windowed figures. Nothing here is a verdict's
 * input (budgets and checks read the recorders' histograms and the evidence store), so a window
 * is all it needs to keep.
 */
import { nearestRank } from '../../load/attribution.js';

/** Figures over the last few seconds of a run, for progress lines and abort conditions. */
export interface LiveWindow {
  /** Workflows completed in the window. */
  requests: number;
  errors: number;
  /** errors ÷ requests (0 with none). */
  errorRate: number;
  /** Nearest-rank p99 of the window's latencies, ms; null with none. */
  p99Ms: number | null;
  /** Successful workflows per second over the window. */
  goodput: number;
}

/**
 * How far back a window can look. Completions older than this (on the newest completion's clock)
 * are forgotten as new ones arrive, so what is held is the last 60 s of traffic whatever the run's
 * length (30,000 completions at 500/s, 24 bytes each). Consequence: `window(ms)` for `ms` above
 * 60 s sees 60 s only.
 */
export const LIVE_WINDOW_MS = 60_000;

/** Compact the columns once this many forgotten entries sit at their head (amortised O(1) per add). */
const COMPACT_AFTER = 4096;

/**
 * Counts since the start, plus the recent completions in three columns (completion time, latency
 * with NaN for none, ok 1/0): arrays of plain numbers that V8 stores unboxed.
 */
export class LiveFigures {
  completed = 0;
  errors = 0;
  private times: number[] = [];
  private latencies: number[] = [];
  private oks: number[] = [];
  /** Index of the oldest completion still in the window. */
  private head = 0;

  /** One completed workflow at `tMs` (driver clock; completions arrive in time order). */
  add(ok: boolean, tMs: number, latencyMs: number | undefined): void {
    this.completed++;
    if (!ok) this.errors++;
    this.times.push(tMs);
    this.latencies.push(latencyMs ?? Number.NaN);
    this.oks.push(ok ? 1 : 0);
    // Pruned here, not only when a window is read: a run nobody watches must not keep every completion.
    this.forgetBefore(tMs - LIVE_WINDOW_MS);
  }

  /** Figures over the last `ms` milliseconds before `nowMs` (at most {@link LIVE_WINDOW_MS}). */
  window(nowMs: number, ms: number): LiveWindow {
    this.forgetBefore(nowMs - LIVE_WINDOW_MS);
    const from = nowMs - Math.min(ms, LIVE_WINDOW_MS);
    let requests = 0;
    let errors = 0;
    const latencies: number[] = [];
    for (let i = this.head; i < this.times.length; i++) {
      if (this.times[i]! < from) continue;
      requests++;
      if (this.oks[i] === 0) errors++;
      const latency = this.latencies[i]!;
      if (!Number.isNaN(latency)) latencies.push(latency);
    }
    return { requests, errors, errorRate: requests === 0 ? 0 : errors / requests, p99Ms: nearestRank(latencies, 99), goodput: ((requests - errors) * 1000) / Math.max(1, ms) };
  }

  /** p99 of the last 5 s. */
  p99(nowMs: number): number | null {
    return this.window(nowMs, 5000).p99Ms;
  }

  /** Completions held (for the bound's test). */
  get held(): number {
    return this.times.length;
  }

  private forgetBefore(cutoffMs: number): void {
    while (this.head < this.times.length && this.times[this.head]! < cutoffMs) this.head++;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.times.length) {
      this.times = this.times.slice(this.head);
      this.latencies = this.latencies.slice(this.head);
      this.oks = this.oks.slice(this.head);
      this.head = 0;
    }
  }
}
