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
 */
import { traceIdOf } from './template.js';

/** A finished workflow: its end-to-end latency and the traceparent its entry request carried. */
export interface WorkflowSample {
  traceparent: string;
  latencyMs: number;
  /** For reports (e.g. the Idempotency-Key). */
  id?: string;
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
  const tally = new Map<string, { dominated: number; timeShare: number }>();
  const examples: TailAttribution['examples'] = [];
  let slow = 0;
  let unattributed = 0;
  for (const w of workflows) {
    if (!(w.latencyMs > threshold)) continue;
    slow++;
    const traceId = traceIdOf(w.traceparent) ?? '';
    const times = edgeTimes(byTrace.get(traceId) ?? []);
    let best: string | null = null;
    let bestMs = -1;
    // Ties go to the alphabetically first edge so results do not depend on record order.
    for (const [edge, ms] of [...times].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (ms > bestMs) {
        best = edge;
        bestMs = ms;
      }
    }
    if (best === null) unattributed++;
    else {
      const t = tally.get(best) ?? { dominated: 0, timeShare: 0 };
      t.dominated++;
      t.timeShare += w.latencyMs > 0 ? Math.min(1, bestMs / w.latencyMs) : 0;
      tally.set(best, t);
    }
    examples.push({ ...(w.id !== undefined ? { id: w.id } : {}), traceId, latencyMs: w.latencyMs, edge: best, edgeMs: Math.max(0, bestMs) });
  }
  examples.sort((a, b) => b.latencyMs - a.latencyMs);
  const edges = [...tally]
    .map(([edge, t]) => ({ edge, dominated: t.dominated, share: slow ? t.dominated / slow : 0, meanTimeShare: t.dominated ? t.timeShare / t.dominated : 0 }))
    .sort((a, b) => b.dominated - a.dominated || a.edge.localeCompare(b.edge));
  return { thresholdMs: threshold, workflows: workflows.length, slow, unattributed, edges, examples: examples.slice(0, 10) };
}
