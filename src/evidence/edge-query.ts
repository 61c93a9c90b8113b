/**
 * Per-edge figures from the evidence store: each edge's hops streamed in start order into an
 * {@link EdgeFigureBuilder} (the code scenario/edges.ts runs on lists in memory), its fired
 * decisions counted in SQL, and the duplicate deliveries our own `duplicate` toxic made, both as
 * the journal says and as copies the proxy recorded.
 */
import type Database from 'better-sqlite3';
import type { EdgeOutcome } from '../chaos/http/records.js';
import type { RecordedSeries } from '../load/recorder.js';
import type { EdgeReport } from '../report/model.js';
import { EdgeFigureBuilder, type LoadClock } from './edge-figures.js';

/** What the per-edge query found: the same shapes scenario/edges.ts returns. */
export interface StoreEdges {
  reports: EdgeReport[];
  /** `edge.<from>-><to>` and `edge.<from>-><to>{method=<m>}` series, for budgets (only with a load clock). */
  series: Record<string, RecordedSeries>;
  /** Duplicate deliveries per the journal (`duplicate:N`, `commit_then_drop`); undefined when no edge's journal could be read. */
  duplicatesDelivered?: number;
  /** Copies the proxies recorded delivering (hops with `copy_of`), all edges. */
  copiesRecorded: number;
  /** Records and decisions the proxies evicted before the sink read them (should be 0). */
  lost: { records: number; decisions: number };
}

interface EdgeRow {
  id: string;
  protocol: 'http' | 'tcp';
  journal_available: number;
  records_lost: number;
  decisions_lost: number;
}

/** Runs the query over every registered edge, in registration order. */
export function edgesFromStore(db: Database.Database, load?: LoadClock): StoreEdges {
  const edges = db.prepare('SELECT id, protocol, journal_available, records_lost, decisions_lost FROM edges ORDER BY ord').all() as EdgeRow[];
  const fired = db.prepare('SELECT type, outcome FROM decisions WHERE edge = ? AND fired = 1 ORDER BY id');
  const hops = db.prepare(
    `SELECT start_ms, latency_ms, status, outcome, traceparent IS NOT NULL AND traceparent <> '' AS traced, jsonrpc_method
       FROM hops WHERE edge = ? AND copy_of IS NULL ORDER BY start_ms, id`,
  );
  const out: StoreEdges = { reports: [], series: {}, copiesRecorded: 0, lost: { records: 0, decisions: 0 } };
  let duplicates: number | undefined;
  for (const e of edges) {
    const b = new EdgeFigureBuilder(e.id, e.protocol, load);
    for (const d of fired.iterate(e.id) as IterableIterator<{ type: string; outcome: string }>) b.addFiredDecision(d.type, d.outcome);
    type Row = { start_ms: number; latency_ms: number; status: number | null; outcome: EdgeOutcome; traced: number; jsonrpc_method: string | null };
    for (const h of hops.iterate(e.id) as IterableIterator<Row>) {
      b.addHop({ startEpochMs: h.start_ms, latencyMs: h.latency_ms, status: h.status, outcome: h.outcome, traced: h.traced === 1, jsonrpcMethod: h.jsonrpc_method });
    }
    const built = b.build();
    out.reports.push(built.report);
    Object.assign(out.series, built.series);
    if (e.journal_available) duplicates = (duplicates ?? 0) + built.duplicatesDelivered;
    out.lost.records += e.records_lost;
    out.lost.decisions += e.decisions_lost;
  }
  out.copiesRecorded = (db.prepare('SELECT count(*) AS n FROM hops WHERE copy_of IS NOT NULL').get() as { n: number }).n;
  if (duplicates !== undefined) out.duplicatesDelivered = duplicates;
  return out;
}
