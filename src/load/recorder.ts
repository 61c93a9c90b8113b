/**
 * The latency recorder: per-phase and per-window HDR histograms plus request, error and timeout
 * counts, with memory bounded however long the run.
 *
 * Every event is filed under the time it was *meant to start* (wrk2's rule), so a stall shows up in
 * the window where the requests queued, not where they finally completed. Because of that a window
 * cannot be closed the moment its time is over: a request that started in it may still be running.
 * The recorder keeps a window, a phase and a timeline bucket live until `graceMs` (the request timeout)
 * after its end, then summarises it (counts, {@link LatencySummary}, a compressed histogram snapshot
 * of a few hundred bytes) and releases the live histogram. So only the windows of the last `graceMs`
 * are ever live, whatever the run's length; a late record for a summarised window reopens it.
 *
 * Windows are 1/12 of a phase's planned duration (the budget window check), or `defaultWindowMs`
 * when a phase has no planned duration.
 */
import type { LatencySummary, PhaseReport, TimePoint } from '../report/model.js';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  percentileMs,
  recordMs,
  summarizeHistogram,
  type LatencyHistogram,
} from './histogram.js';

/** How one recorded event ended: `timeout` and `error` are both bad events for error_rate. */
export type Outcome = 'ok' | 'error' | 'timeout';

/** Windows per phase for the window check (the SRE workbook's short window: 1/12 of the long one). */
export const WINDOWS_PER_PHASE = 12;

/** Counts and latency of one span of time, summarised. */
export interface SpanData {
  /** Milliseconds since the run's start. */
  startMs: number;
  endMs: number;
  /** Events whose (intended) start fell in the span. */
  requests: number;
  /** Bad events (errors and timeouts). */
  errors: number;
  /** Of which timeouts (recorded at the timeout value). */
  timeouts: number;
  latency: LatencySummary | null;
  /** Compressed histogram snapshot ({@link decodeHistogram}), or null with no events. */
  histogram: string | null;
}

/** One window of a phase (1/12 of it), summarised. */
export interface WindowData extends SpanData {
  /** 0-based position in the phase. */
  index: number;
}

/** One phase, summarised, with its windows. */
export interface PhaseData extends SpanData {
  name: string;
  /** Planned duration when the phase was marked, if known. */
  plannedDurationMs?: number;
  /** Window length used for this phase. */
  windowMs: number;
  windows: WindowData[];
}

/** Everything one metric stream recorded: phases with windows, and the timeline for charts. */
export interface RecordedSeries {
  /** Stream name: `http`, `workflow`, `edge.<from>-><to>`. */
  name: string;
  endMs: number;
  phases: PhaseData[];
  timeline: TimePoint[];
}

/** Options of {@link LatencyRecorder}. */
export interface RecorderOptions {
  /** Stream name (default `http`). */
  name?: string;
  /** How long after a span ends it may still receive events (default 0: the request timeout for a driver). */
  graceMs?: number;
  /** Timeline bucket width for charts (default 1000 ms). */
  timelineBucketMs?: number;
  /** Window length for a phase without a planned duration (default 5000 ms). */
  defaultWindowMs?: number;
}

class Accumulator {
  requests = 0;
  errors = 0;
  timeouts = 0;
  hist: LatencyHistogram | null = null;
  summarised: SpanData | null = null;

  constructor(
    readonly startMs: number,
    public endMs: number,
  ) {}

  add(latencyMs: number, outcome: Outcome): void {
    if (this.summarised) this.reopen();
    this.requests++;
    if (outcome !== 'ok') this.errors++;
    if (outcome === 'timeout') this.timeouts++;
    this.hist ??= createLatencyHistogram();
    recordMs(this.hist, latencyMs);
  }

  /** Adds another accumulator's events to this one (both reopened if summarised). */
  absorb(other: Accumulator): void {
    if (this.summarised) this.reopen();
    if (other.summarised) other.reopen();
    this.requests += other.requests;
    this.errors += other.errors;
    this.timeouts += other.timeouts;
    if (other.hist) {
      this.hist ??= createLatencyHistogram();
      this.hist.add(other.hist);
    }
  }

  private reopen(): void {
    const s = this.summarised;
    if (!s) return;
    this.hist = s.histogram ? decodeHistogram(s.histogram) : null;
    this.summarised = null;
  }

  /** Summarises and releases the live histogram (idempotent). */
  summarise(): SpanData {
    if (this.summarised) return this.summarised;
    const h = this.hist;
    this.summarised = {
      startMs: this.startMs,
      endMs: this.endMs,
      requests: this.requests,
      errors: this.errors,
      timeouts: this.timeouts,
      latency: h ? summarizeHistogram(h) : null,
      histogram: h && h.totalCount > 0 ? encodeHistogram(h) : null,
    };
    this.hist = null;
    return this.summarised;
  }

  get live(): boolean {
    return this.summarised === null && this.hist !== null;
  }

  timePoint(): TimePoint {
    const h = this.hist;
    if (this.summarised) {
      const s = this.summarised;
      return { tMs: this.startMs, requests: s.requests, errors: s.errors, p50: s.latency?.p50 ?? null, p99: s.latency?.p99 ?? null };
    }
    return {
      tMs: this.startMs,
      requests: this.requests,
      errors: this.errors,
      p50: h ? percentileMs(h, 50) : null,
      p99: h ? percentileMs(h, 99) : null,
    };
  }
}

interface PhaseState {
  name: string;
  startMs: number;
  /** Set when the next phase begins or the recorder finishes. */
  endMs: number | null;
  plannedDurationMs?: number;
  windowMs: number;
  total: Accumulator;
  windows: Map<number, Accumulator>;
}

/**
 * Records latency events into per-phase, per-window and per-timeline-bucket histograms.
 * Times are milliseconds since the run's start.
 */
export class LatencyRecorder {
  readonly name: string;
  private readonly graceMs: number;
  private readonly bucketMs: number;
  private readonly defaultWindowMs: number;
  private readonly phases: PhaseState[] = [];
  /** Timeline buckets still live (the last `graceMs`); summarised ones move to `points`. */
  private readonly buckets = new Map<number, Accumulator>();
  private readonly points = new Map<number, TimePoint>();
  private finished: RecordedSeries | null = null;

  constructor(options: RecorderOptions = {}) {
    this.name = options.name ?? 'http';
    this.graceMs = Math.max(0, options.graceMs ?? 0);
    this.bucketMs = Math.max(1, options.timelineBucketMs ?? 1000);
    this.defaultWindowMs = Math.max(1, options.defaultWindowMs ?? 5000);
  }

  /** Starts a phase at `atMs`; the previous phase ends there. Windows are 1/12 of `plannedDurationMs`. */
  beginPhase(name: string, atMs: number, plannedDurationMs?: number): void {
    const prev = this.phases[this.phases.length - 1];
    if (prev) {
      if (atMs < prev.startMs) throw new RangeError(`phase '${name}' cannot start before phase '${prev.name}'`);
      prev.endMs = atMs;
      for (const w of prev.windows.values()) w.endMs = Math.min(w.endMs, atMs);
      prev.total.endMs = atMs;
    }
    const planned = plannedDurationMs !== undefined && plannedDurationMs > 0 ? plannedDurationMs : undefined;
    const windowMs = planned ? planned / WINDOWS_PER_PHASE : this.defaultWindowMs;
    this.phases.push({
      name,
      startMs: atMs,
      endMs: null,
      ...(planned ? { plannedDurationMs: planned } : {}),
      windowMs,
      total: new Accumulator(atMs, Infinity),
      windows: new Map(),
    });
  }

  /** Records one event that was meant to start at `startMs` and took `latencyMs`. */
  record(startMs: number, latencyMs: number, outcome: Outcome): void {
    if (this.phases.length === 0) this.beginPhase('run', 0);
    const phase = this.phaseAt(startMs);
    phase.total.add(latencyMs, outcome);
    const index = Math.max(0, Math.floor((startMs - phase.startMs) / phase.windowMs));
    let w = phase.windows.get(index);
    if (!w) {
      const wStart = phase.startMs + index * phase.windowMs;
      const wEnd = phase.endMs === null ? wStart + phase.windowMs : Math.min(wStart + phase.windowMs, phase.endMs);
      w = new Accumulator(wStart, wEnd);
      phase.windows.set(index, w);
    }
    w.add(latencyMs, outcome);
    const b = Math.max(0, Math.floor(startMs / this.bucketMs));
    const point = this.points.get(b);
    if (point) {
      // A straggler for a bucket already summarised into a chart point: keep the counts exact; its
      // percentiles stay those of the events seen in time (a chart, not a budget, reads them).
      point.requests++;
      if (outcome !== 'ok') point.errors++;
    } else {
      let bucket = this.buckets.get(b);
      if (!bucket) {
        bucket = new Accumulator(b * this.bucketMs, (b + 1) * this.bucketMs);
        this.buckets.set(b, bucket);
      }
      bucket.add(latencyMs, outcome);
    }
  }

  /** Summarises and releases every span that ended more than `graceMs` before `nowMs`. */
  advance(nowMs: number): void {
    const horizon = nowMs - this.graceMs;
    for (const phase of this.phases) {
      for (const w of phase.windows.values()) if (w.live && w.endMs <= horizon) w.summarise();
      if (phase.endMs !== null && phase.endMs <= horizon && phase.total.live) phase.total.summarise();
    }
    for (const [b, bucket] of this.buckets) {
      if (bucket.endMs <= horizon) {
        this.points.set(b, bucket.timePoint());
        this.buckets.delete(b);
      }
    }
  }

  /** How many histograms are live right now (for memory tests). */
  liveHistograms(): number {
    let n = 0;
    for (const phase of this.phases) {
      if (phase.total.live) n++;
      for (const w of phase.windows.values()) if (w.live) n++;
    }
    for (const b of this.buckets.values()) if (b.live) n++;
    return n;
  }

  /** Name of the phase running at `atMs` (the last one begun), or null before any phase. */
  currentPhase(): string | null {
    return this.phases[this.phases.length - 1]?.name ?? null;
  }

  /** Ends the last phase at `endMs`, summarises everything and returns the series (idempotent). */
  finish(endMs: number): RecordedSeries {
    if (this.finished) return this.finished;
    const last = this.phases[this.phases.length - 1];
    if (last && last.endMs === null) {
      last.endMs = Math.max(endMs, last.startMs);
      last.total.endMs = last.endMs;
      for (const w of last.windows.values()) w.endMs = Math.min(w.endMs, last.endMs);
    }
    const phases: PhaseData[] = this.phases.map((p) => {
      const end = p.endMs ?? endMs;
      // Windows with no events still exist for the window check (an empty window is "no data").
      // The last window absorbs a short overrun (a phase planned for 30 s that ran 30.01 s has 12
      // windows, not a 13th of 10 ms that could never be judged), so it is 0.5 to 1.5 windows long.
      const count = Math.max(1, Math.round((end - p.startMs) / p.windowMs));
      const lastIndex = count - 1;
      for (const [i, acc] of [...p.windows]) {
        if (i <= lastIndex) continue;
        let into = p.windows.get(lastIndex);
        if (!into) {
          into = new Accumulator(p.startMs + lastIndex * p.windowMs, end);
          p.windows.set(lastIndex, into);
        }
        into.absorb(acc);
        p.windows.delete(i);
      }
      const windows: WindowData[] = [];
      for (let i = 0; i < count; i++) {
        const acc = p.windows.get(i);
        const wStart = p.startMs + i * p.windowMs;
        const wEnd = i === lastIndex ? end : Math.min(wStart + p.windowMs, end);
        if (acc) acc.endMs = wEnd;
        const data = acc ? acc.summarise() : emptySpan(wStart, wEnd);
        windows.push({ ...data, startMs: wStart, endMs: wEnd, index: i });
      }
      const total = p.total.summarise();
      return {
        ...total,
        startMs: p.startMs,
        endMs: end,
        name: p.name,
        ...(p.plannedDurationMs !== undefined ? { plannedDurationMs: p.plannedDurationMs } : {}),
        windowMs: p.windowMs,
        windows,
      };
    });
    for (const [b, bucket] of this.buckets) this.points.set(b, bucket.timePoint());
    this.buckets.clear();
    const lastBucket = Math.max(0, Math.ceil(endMs / this.bucketMs) - 1, ...this.points.keys());
    const timeline: TimePoint[] = [];
    for (let b = 0; b <= lastBucket; b++) {
      timeline.push(this.points.get(b) ?? { tMs: b * this.bucketMs, requests: 0, errors: 0, p50: null, p99: null });
    }
    this.finished = { name: this.name, endMs, phases, timeline };
    return this.finished;
  }

  private phaseAt(t: number): PhaseState {
    for (let i = this.phases.length - 1; i > 0; i--) {
      const p = this.phases[i]!;
      if (t >= p.startMs) return p;
    }
    return this.phases[0]!;
  }
}

function emptySpan(startMs: number, endMs: number): SpanData {
  return { startMs, endMs, requests: 0, errors: 0, timeouts: 0, latency: null, histogram: null };
}

/**
 * The report's phases from a recorded series: counts, latency summary and throughput (successful
 * events per second of the phase). Faults are left empty for the scenario runner to fill in.
 */
export function toPhaseReports(series: RecordedSeries): PhaseReport[] {
  return series.phases.map((p) => {
    const seconds = (p.endMs - p.startMs) / 1000;
    return {
      name: p.name,
      startMs: round(p.startMs),
      endMs: round(p.endMs),
      faults: [],
      requests: p.requests,
      errors: p.errors,
      timeouts: p.timeouts,
      latency: p.latency,
      throughput: seconds > 0 ? round((p.requests - p.errors) / seconds) : 0,
    };
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
