/**
 * Tail attribution from the evidence store: the slow workflows (above a percentile of the series'
 * latencies, or a fixed threshold) joined on trace id with the hops that started within their own
 * window, each edge's time taken apart by {@link edgeTimes} and tallied by {@link TailTally}, the
 * same code {@link attributeTail} runs on lists in memory.
 *
 * The window: for the `http` series, the entry request's (intended start to intended start + entry
 * latency); for the `workflow` series, the workflow's (intended start to its terminal outcome).
 * Workflow times are on their driver's clock, hop times on the epoch: `drivers.origin_epoch_ms`
 * joins them.
 */
import type Database from 'better-sqlite3';
import { edgeTimes, TailTally, WINDOW_TOLERANCE_MS, type HopRecord, type TailAttribution } from '../load/attribution.js';

/** Options of a tail attribution query. */
export interface TailQueryOptions {
  /** Which latency judges "slow" and which window a workflow's hops must start in (default `workflow`). */
  series?: 'http' | 'workflow';
  /** Slow means above this percentile of the series' latencies (default 99). */
  percentile?: number;
  /** Slow means latency strictly above this (overrides `percentile`). */
  thresholdMs?: number;
  /** Slack on both ends of a window, ms (default 1: ISO times are whole milliseconds). */
  toleranceMs?: number;
  /** The driver whose workflows are judged (default `main`; warm-up is not measured). */
  driver?: string;
}

/** The report's `tail`: the attribution and the percentile it was taken at. */
export type StoreTail = TailAttribution & { percentile: number; series: 'http' | 'workflow' };

/** Runs the query; a driver without a known clock origin gets no window (every hop of the trace counts). */
export function tailFromStore(db: Database.Database, options: TailQueryOptions = {}): StoreTail {
  const series = options.series ?? 'workflow';
  const percentile = options.percentile ?? 99;
  const driver = options.driver ?? 'main';
  const tolerance = options.toleranceMs ?? WINDOW_TOLERANCE_MS;
  const latency = series === 'http' ? 'COALESCE(entry_latency_ms, latency_ms)' : 'latency_ms';
  const judged = `FROM workflows WHERE driver = ? AND history_type IS NOT NULL AND latency_ms IS NOT NULL`;
  const n = (db.prepare(`SELECT count(*) AS n ${judged}`).get(driver) as { n: number }).n;
  let threshold = options.thresholdMs;
  if (threshold === undefined) {
    // Nearest rank, as nearestRank() computes it on a list.
    const rank = Math.min(n, Math.max(1, Math.ceil((percentile / 100) * n)));
    const row = n > 0 ? (db.prepare(`SELECT ${latency} AS v ${judged} ORDER BY v LIMIT 1 OFFSET ?`).get(driver, rank - 1) as { v: number }) : undefined;
    threshold = row ? row.v : Infinity;
  }
  const origin = (db.prepare('SELECT origin_epoch_ms AS o FROM drivers WHERE name = ?').get(driver) as { o: number | null } | undefined)?.o ?? null;
  const hopsOf = db.prepare(
    'SELECT edge, start_ms, latency_ms FROM hops WHERE trace_id = ? AND copy_of IS NULL AND start_ms >= ? AND start_ms <= ? ORDER BY id',
  );
  const tally = new TailTally();
  const slow = db.prepare(`SELECT idempotency_key AS id, trace_id, ${latency} AS lat, intended_start_ms, end_ms ${judged} AND ${latency} > ? ORDER BY id`);
  for (const w of slow.iterate(driver, threshold) as IterableIterator<{ id: string; trace_id: string | null; lat: number; intended_start_ms: number; end_ms: number }>) {
    let from = -Infinity;
    let to = Infinity;
    if (origin !== null) {
      from = origin + w.intended_start_ms - tolerance;
      to = (series === 'http' ? origin + w.intended_start_ms + w.lat : origin + w.end_ms) + tolerance;
    }
    const hops: HopRecord[] = [];
    if (w.trace_id !== null) {
      for (const h of hopsOf.all(w.trace_id, from, to) as Array<{ edge: string; start_ms: number; latency_ms: number }>) {
        hops.push({ edge: h.edge, traceparent: '', latencyMs: h.latency_ms, startMs: h.start_ms });
      }
    }
    tally.add({ id: w.id, latencyMs: w.lat }, w.trace_id ?? '', edgeTimes(hops));
  }
  return { percentile, series, ...tally.result(threshold, n) };
}
