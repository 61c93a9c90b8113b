/**
 * Per-edge figures from hop records and fault decisions, computed one record at a time: request and
 * error counts, a latency summary, the share of hops that carried a `traceparent`, which faults
 * fired, duplicate deliveries, and the `edge.<from>-><to>` series (plus one per JSON-RPC method,
 * `edge.<from>-><to>{method=<m>}`) for budgets. Used both on lists in memory (scenario/edges.ts)
 * and on rows streamed out of the evidence store, so the two agree by construction; memory stays
 * bounded when hops are fed in start order (the recorders summarise what is behind).
 */
import type { EdgeOutcome } from '../chaos/http/records.js';
import { createLatencyHistogram, recordMs, summarizeHistogram } from '../load/histogram.js';
import { LatencyRecorder, type RecordedSeries } from '../load/recorder.js';
import type { EdgeReport } from '../report/model.js';

/** What the per-edge figures need of one original (not a copy made by `duplicate`) hop. */
export interface HopFacts {
  /** When the hop started, epoch ms. */
  startEpochMs: number;
  latencyMs: number;
  status: number | null;
  outcome: EdgeOutcome;
  /** The hop carried a `traceparent`. */
  traced: boolean;
  /** JSON-RPC method(s), comma-joined for a batch; null when none. */
  jsonrpcMethod: string | null;
}

/** The load run's clock and phases, to place hops in phases and windows for budgets. */
export interface LoadClock {
  /** The load's start, epoch ms (series times are ms since then). */
  startEpochMs: number;
  /** Phase marks as driven (LoadResult.schedule). */
  schedule: ReadonlyArray<{ name: string; startMs: number; plannedDurationMs?: number }>;
  /** The load's duration (LoadResult.durationMs). */
  durationMs: number;
}

/** A hop is an error for the edge when the callee failed or the exchange did not complete. */
export function hopIsError(h: Pick<HopFacts, 'outcome' | 'status'>): boolean {
  return h.outcome !== 'complete' || h.status === null || h.status >= 500;
}

/**
 * Duplicate deliveries one fired decision made: `duplicate` sends N copies (`duplicate:N:…`), and a
 * `commit_then_drop` makes the caller retry work that was done (one more delivery).
 */
export function duplicatesOf(type: string, outcome: string): number {
  if (type === 'duplicate') {
    const copies = /^duplicate:(\d+)/.exec(outcome);
    return copies ? Number(copies[1]) : 1;
  }
  return type === 'commit_then_drop' ? 1 : 0;
}

/** The series name of an edge, optionally scoped to a JSON-RPC method. */
export function edgeSeriesName(edgeId: string, method?: string): string {
  return method === undefined ? `edge.${edgeId}` : `edge.${edgeId}{method=${method}}`;
}

/** Hops between summaries of the recorders (they release what lies behind the newest start). */
const ADVANCE_EVERY = 1024;

/** Builds one edge's figures from its hops and fired decisions, fed one at a time. */
export class EdgeFigureBuilder {
  private readonly hist = createLatencyHistogram();
  private requests = 0;
  private errors = 0;
  private traced = 0;
  private duplicates = 0;
  private readonly faultsFired: Record<string, number> = {};
  private readonly recorders = new Map<string, LatencyRecorder>();
  private sinceAdvance = 0;

  constructor(
    readonly edgeId: string,
    readonly protocol: 'http' | 'tcp' | 'nats',
    private readonly load?: LoadClock,
  ) {}

  /** Adds one original hop (copies made by `duplicate` are not the caller's requests). */
  addHop(h: HopFacts): void {
    this.requests++;
    recordMs(this.hist, h.latencyMs);
    const error = hopIsError(h);
    if (error) this.errors++;
    if (h.traced) this.traced++;
    if (!this.load) return;
    const t = h.startEpochMs - this.load.startEpochMs;
    // Hops before the first phase (warm-up) are not part of any phase.
    if (t < 0) return;
    const outcome = error ? 'error' : 'ok';
    this.recorder(edgeSeriesName(this.edgeId)).record(t, h.latencyMs, outcome);
    if (h.jsonrpcMethod) {
      for (const m of new Set(h.jsonrpcMethod.split(','))) this.recorder(edgeSeriesName(this.edgeId, m)).record(t, h.latencyMs, outcome);
    }
    if (++this.sinceAdvance >= ADVANCE_EVERY) {
      this.sinceAdvance = 0;
      for (const r of this.recorders.values()) r.advance(t);
    }
  }

  /** Adds one fired fault decision of this edge. */
  addFiredDecision(type: string, outcome: string): void {
    this.faultsFired[type] = (this.faultsFired[type] ?? 0) + 1;
    this.duplicates += duplicatesOf(type, outcome);
  }

  /** The edge's report row, its series (none without a load clock or without hops) and duplicate deliveries. */
  build(): { report: EdgeReport; series: Record<string, RecordedSeries>; duplicatesDelivered: number } {
    const report: EdgeReport = {
      edge: this.edgeId,
      protocol: this.protocol,
      requests: this.requests,
      errors: this.errors,
      latency: this.requests > 0 ? summarizeHistogram(this.hist) : null,
      traceparentPropagated: this.requests > 0 ? this.traced / this.requests : null,
      faultsFired: { ...this.faultsFired },
    };
    const series: Record<string, RecordedSeries> = {};
    if (this.load && this.requests > 0) {
      // The base series exists whenever the edge carried hops (an empty one says "0 requests").
      this.recorder(edgeSeriesName(this.edgeId));
      for (const [name, r] of this.recorders) series[name] = r.finish(this.load.durationMs);
    }
    return { report, series, duplicatesDelivered: this.duplicates };
  }

  private recorder(name: string): LatencyRecorder {
    let r = this.recorders.get(name);
    if (!r) {
      r = new LatencyRecorder({ name });
      for (const mark of this.load?.schedule ?? []) r.beginPhase(mark.name, mark.startMs, mark.plannedDurationMs);
      this.recorders.set(name, r);
    }
    return r;
  }
}
