/**
 * Stage 3, collect: what the proxies saw. Each edge's hop records and fault journal are read from
 * the embedded backend (a real Toxiproxy has neither) and turned into per-edge report rows, the
 * `edge.<from>-><to>` series for budgets, and the count of duplicate deliveries that really happened.
 */
import type { EdgeRecord } from '../../chaos/http/records.js';
import type { JournalEntry } from '../../chaos/journal.js';
import type { RecordedSeries } from '../../load/recorder.js';
import type { EdgeReport } from '../../report/model.js';
import { collectEdges, type EdgeEvidenceKept } from '../edges.js';
import type { EvidenceStore } from '../../evidence/store.js';
import type { JournalDrain } from '../journal-file.js';
import type { Driven } from './drive.js';
import type { Started } from './start.js';

/** What the collect stage produced. */
export interface Collected {
  edges: EdgeReport[];
  /** Every series a budget may read: `http` (the entry hop), `workflow`, their scoped forms, and `edge.<from>-><to>`. */
  series: Record<string, RecordedSeries>;
  /**
   * Every hop record, each with its edge id, read afresh on each call: from the evidence store
   * (one row at a time, so a long run's hops are never all in memory at once), else from the
   * proxies' buffers. Detectors, fault coverage and tail attribution without a store read it.
   */
  hops: () => Iterable<EdgeRecord & { edge: string }>;
  /** Every message-level fault decision the proxies journaled (fired or not). */
  journal: JournalEntry[];
  /** Which evidence each edge's proxy keeps (records, journal), by edge id. */
  kept: Map<string, EdgeEvidenceKept>;
  /** Duplicate deliveries our own toxics made; undefined when the backend cannot tell. */
  duplicatesDelivered?: number;
  /** Journal entries the proxies evicted before the run's drain read them (0 unless it fell far behind). */
  journalLost?: number;
}

/** Reads every edge's evidence from the backend; never throws for a missing record (counts unknown). */
export async function collectStage(started: Started, driven: Driven, drain?: JournalDrain, store?: EvidenceStore): Promise<Collected> {
  // The journal was read as the run went (journal-file.ts); this reads its last entries.
  const drained = drain ? groupByEdge(await drain.stop()) : undefined;
  const edges = await collectEdges(started.backend, started.team, driven.load, drained);
  // With the evidence store, the per-edge figures come from every hop the sink streamed out,
  // not from the proxies' bounded buffers (which a long run overflows).
  const fromStore = store ? store.edgeFigures(driven.load) : undefined;
  // The sink streams the embedded proxies' hops only: an attached edge's proxy runs elsewhere, and
  // its records are the ones collectEdges read from its API. They join the store, which then
  // holds every hop of the run (and evidence.sqlite has them too).
  if (store) for (const [edgeId, proxy] of started.team.proxies) if (proxy.remote) store.insertHops(edgeId, edges.records.get(edgeId) ?? []);
  const hops = store ? () => store.hopRecords() : () => withEdge(edges.records);
  return {
    edges: fromStore ? mergeReports(edges.reports, fromStore.reports) : edges.reports,
    series: { ...(driven.load?.seriesByName ?? {}), ...edges.series, ...(fromStore?.series ?? {}) },
    hops,
    journal: edges.journal,
    kept: edges.kept,
    ...(edges.duplicatesDelivered !== undefined ? { duplicatesDelivered: edges.duplicatesDelivered } : {}),
    ...(drain && drain.lost > 0 ? { journalLost: drain.lost } : {}),
  };
}

/** The buffers' records, each with its edge id. */
function* withEdge(records: ReadonlyMap<string, readonly EdgeRecord[]>): Generator<EdgeRecord & { edge: string }> {
  for (const [edge, list] of records) for (const r of list) yield { ...r, edge };
}

/** The store's figures where it has an edge (it saw every hop), the buffer's elsewhere (tcp edges, faults fired). */
function mergeReports(fromBuffers: EdgeReport[], fromStore: EdgeReport[]): EdgeReport[] {
  return fromBuffers.map((b) => {
    const s = fromStore.find((x) => x.edge === b.edge);
    return s && s.requests >= b.requests ? { ...b, requests: s.requests, errors: s.errors, latency: s.latency, traceparentPropagated: s.traceparentPropagated } : b;
  });
}

function groupByEdge<T extends { edge: string }>(entries: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const e of entries) {
    const list = out.get(e.edge);
    if (list) list.push(e);
    else out.set(e.edge, [e]);
  }
  return out;
}
