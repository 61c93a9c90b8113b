/**
 * Stage 3, collect: what the proxies saw. Each edge's hop records and fault journal are read from
 * the embedded backend (a real Toxiproxy has neither) and turned into per-edge report rows, the
 * `edge.<from>-><to>` series for budgets, and the count of duplicate deliveries that really happened.
 */
import type { EdgeRecord } from '../../chaos/http/records.js';
import type { JournalEntry } from '../../chaos/journal.js';
import type { RecordedSeries } from '../../load/recorder.js';
import type { EdgeReport } from '../../report/model.js';
import { collectEdges } from '../edges.js';
import type { Driven } from './drive.js';
import type { Started } from './start.js';

/** What the collect stage produced. */
export interface Collected {
  edges: EdgeReport[];
  /** Every series a budget may read: `http` (the entry) and `edge.<from>-><to>`. */
  series: Record<string, RecordedSeries>;
  /** Raw hop records by edge id (tail attribution). */
  records: Map<string, EdgeRecord[]>;
  /** Every message-level fault decision the proxies journaled (fired or not). */
  journal: JournalEntry[];
  /** Duplicate deliveries our own toxics made; undefined when the backend cannot tell. */
  duplicatesDelivered?: number;
}

/** Reads every edge's evidence from the backend; never throws for a missing record (counts unknown). */
export async function collectStage(started: Started, driven: Driven): Promise<Collected> {
  const edges = await collectEdges(started.backend, started.team, driven.load);
  return {
    edges: edges.reports,
    series: { ...(driven.load ? { http: driven.load.series } : {}), ...edges.series },
    records: edges.records,
    journal: edges.journal,
    ...(edges.duplicatesDelivered !== undefined ? { duplicatesDelivered: edges.duplicatesDelivered } : {}),
  };
}
