/**
 * Tail attribution: for each slow workflow, which edge (caller → callee hop) its time went to.
 *
 * Workflows and the proxy's per-hop records are joined on the W3C trace id (the second field of
 * `traceparent`; the span id changes at every hop, the trace id does not). Within one workflow the
 * time of each edge is summed (retries and repeated calls add up). When every hop of a workflow has a
 * `startMs`, nested calls are taken apart: a hop b→c that runs inside a hop a→b (same trace, b is the
 * callee of one and the caller of the other, and its interval lies within) is subtracted from a→b, so
 * an outer edge does not win just by waiting on an inner one. Without start times each hop counts its
 * full latency, and the outermost edge tends to dominate.
 *
 * A trace can outlive the request that started it: an A2A agent answers `submitted` at once and does
 * the downstream work afterwards, on the same trace. So when a workflow sample has a window
 * (`startMs`..`endMs`, on the hops' clock), only the hops that *started* within it are its hops: for
 * the `http` series the window is the entry request's own, for the `workflow` series the workflow's
 * (intended start to terminal outcome). A 24 ms entry request is not blamed on a 185 ms hop that the
 * agent made after answering it.
 */
import { traceIdOf } from './template.js';

/** A finished workflow: its end-to-end latency and the traceparent its entry request carried. */
export interface WorkflowSample {
  traceparent: string;
  latencyMs: number;
  /** For reports (e.g. the Idempotency-Key). */
  id?: string;
  /**
   * The sample's window on the hops' clock (ms): only hops with a `startMs` in
   * `[startMs - tolerance, endMs + tolerance]` are attributed to it. Without a window every hop of
   * the trace is (the behaviour before windows; it blames work done after the answer).
   */
  startMs?: number;
  endMs?: number;
}

/** One hop through an edge's proxy, as the proxy recorded it. */
export interface HopRecord {
  /** `<from>-><to>` (an `edge.` prefix is accepted). */
  edge: string;
  traceparent: string;
  latencyMs: number;
  status?: number;
  /** When the hop started, ms on any clock shared by the hops (enables nested-call accounting). */
  startMs?: number;
}

/** Which edges dominated the slow workflows. */
export interface TailAttribution {
  /** Workflows slower than this are slow. */
  thresholdMs: number;
  workflows: number;
  slow: number;
  /** Slow workflows with no hop record on their trace. */
  unattributed: number;
  /** Per edge, most-dominating first. `share` is of all slow workflows (shares sum to ≤ 1). */
  edges: Array<{
    edge: string;
    /** Slow workflows in which this edge took the most time. */
    dominated: number;
    share: number;
    /** Mean fraction of those workflows' latency spent on this edge. */
    meanTimeShare: number;
  }>;
  /** The slowest few slow workflows with their dominant edge (at most 10). */
  examples: Array<{ id?: string; traceId: string; latencyMs: number; edge: string | null; edgeMs: number }>;
}

/** Options of {@link attributeTail}: a fixed threshold, or a percentile of the workflows' latencies. */
export interface TailOptions {
  /** Slow means latency strictly above this. */
  thresholdMs?: number;
  /** Slow means above this percentile (0..100) of the workflows' latencies (default 99 without a threshold). */
  percentile?: number;
  /**
   * Slack on both ends of a sample's window, ms (default {@link WINDOW_TOLERANCE_MS}): hop start
   * times and window bounds may each be truncated to the millisecond (ISO-8601 times).
   */
  toleranceMs?: number;
}

/** Default {@link TailOptions.toleranceMs}: one millisecond, the resolution of an ISO-8601 time. */
export const WINDOW_TOLERANCE_MS = 1;

/**
 * The hops of `hops` that belong to the sample: all of them without a window, else those that
 * started within the window (a hop with no start time cannot be placed and is kept).
 */
export function hopsInWindow<H extends Pick<HopRecord, 'startMs'>>(sample: Pick<WorkflowSample, 'startMs' | 'endMs'>, hops: readonly H[], toleranceMs = WINDOW_TOLERANCE_MS): H[] {
  const { startMs, endMs } = sample;
  if (startMs === undefined || endMs === undefined) return [...hops];
  return hops.filter((h) => h.startMs === undefined || (h.startMs >= startMs - toleranceMs && h.startMs <= endMs + toleranceMs));
}

const normEdge = (e: string): string => (e.startsWith('edge.') ? e.slice(5) : e);

/** Exact percentile (nearest-rank) of a list of numbers; null for an empty list. */
export function nearestRank(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Time per edge within one workflow's hops (self time when every hop has a start). */
export function edgeTimes(hops: readonly HopRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  const timed = hops.length > 0 && hops.every((h) => typeof h.startMs === 'number' && Number.isFinite(h.startMs));
  for (const h of hops) {
    let ms = Math.max(0, h.latencyMs);
    if (timed) {
      const [, callee] = normEdge(h.edge).split('->');
      const start = h.startMs!;
      const end = start + h.latencyMs;
      const inner: Array<[number, number]> = [];
      for (const c of hops) {
        if (c === h) continue;
        const [caller] = normEdge(c.edge).split('->');
        const cs = c.startMs!;
        const ce = cs + c.latencyMs;
        if (caller === callee && cs >= start && ce <= end) inner.push([cs, ce]);
      }
      ms = Math.max(0, h.latencyMs - unionLength(inner));
    }
    const e = normEdge(h.edge);
    out.set(e, (out.get(e) ?? 0) + ms);
  }
  return out;
}

/** The edge with the most time (ties: the alphabetically first, so record order does not matter), and its time; `[null, -1]` for none. */
export function dominantEdge(times: ReadonlyMap<string, number>): [edge: string | null, ms: number] {
  let best: string | null = null;
  let bestMs = -1;
  for (const [edge, ms] of [...times].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (ms > bestMs) {
      best = edge;
      bestMs = ms;
    }
  }
  return [best, bestMs];
}

function unionLength(intervals: Array<[number, number]>): number {
  if (intervals.length === 0) return 0;
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [cs, ce] = intervals[0]!;
  for (const [s, e] of intervals.slice(1)) {
    if (s > ce) {
      total += ce - cs;
      cs = s;
      ce = e;
    } else ce = Math.max(ce, e);
  }
  return total + (ce - cs);
}

/**
 * Tallies slow workflows one at a time into a {@link TailAttribution}: which edge dominated each,
 * and the slowest few as examples. Shared by {@link attributeTail} (lists in memory) and the
 * evidence store (rows from SQLite), so both judge alike.
 */
export class TailTally {
  private readonly tally = new Map<string, { dominated: number; timeShare: number }>();
  private examples: TailAttribution['examples'] = [];
  private slow = 0;
  private unattributed = 0;

  /** Adds one slow workflow with the time per edge of its hops (within its window). */
  add(w: Pick<WorkflowSample, 'id' | 'latencyMs'>, traceId: string, times: ReadonlyMap<string, number>): void {
    this.slow++;
    const [best, bestMs] = dominantEdge(times);
    if (best === null) this.unattributed++;
    else {
      const t = this.tally.get(best) ?? { dominated: 0, timeShare: 0 };
      t.dominated++;
      t.timeShare += w.latencyMs > 0 ? Math.min(1, bestMs / w.latencyMs) : 0;
      this.tally.set(best, t);
    }
    this.examples.push({ ...(w.id !== undefined ? { id: w.id } : {}), traceId, latencyMs: w.latencyMs, edge: best, edgeMs: Math.max(0, bestMs) });
    // Only the slowest few are reported: keep memory bounded however many workflows are slow.
    if (this.examples.length >= 1000) this.trimExamples();
  }

  /** The attribution of everything added; `workflows` is how many workflows the threshold was taken over. */
  result(thresholdMs: number, workflows: number): TailAttribution {
    this.trimExamples();
    const slow = this.slow;
    const edges = [...this.tally]
      .map(([edge, t]) => ({ edge, dominated: t.dominated, share: slow ? t.dominated / slow : 0, meanTimeShare: t.dominated ? t.timeShare / t.dominated : 0 }))
      .sort((a, b) => b.dominated - a.dominated || a.edge.localeCompare(b.edge));
    return { thresholdMs, workflows, slow, unattributed: this.unattributed, edges, examples: this.examples.slice() };
  }

  private trimExamples(): void {
    // A stable sort: equally slow workflows keep the order they were added in.
    this.examples.sort((a, b) => b.latencyMs - a.latencyMs);
    this.examples.length = Math.min(this.examples.length, MAX_EXAMPLES);
  }
}

/** Examples kept by a {@link TailAttribution}. */
const MAX_EXAMPLES = 10;

/**
 * For every workflow slower than the threshold, finds the edge that took most of its time, and
 * reports the share of slow workflows each edge dominated. A pure function.
 */
export function attributeTail(workflows: readonly WorkflowSample[], hops: readonly HopRecord[], options: TailOptions = {}): TailAttribution {
  const threshold = options.thresholdMs ?? nearestRank(workflows.map((w) => w.latencyMs), options.percentile ?? 99) ?? Infinity;
  const byTrace = new Map<string, HopRecord[]>();
  for (const h of hops) {
    const id = traceIdOf(h.traceparent);
    if (!id) continue;
    let list = byTrace.get(id);
    if (!list) byTrace.set(id, (list = []));
    list.push(h);
  }
  const tally = new TailTally();
  for (const w of workflows) {
    if (!(w.latencyMs > threshold)) continue;
    const traceId = traceIdOf(w.traceparent) ?? '';
    tally.add(w, traceId, edgeTimes(hopsInWindow(w, byTrace.get(traceId) ?? [], options.toleranceMs)));
  }
  return tally.result(threshold, workflows.length);
}
