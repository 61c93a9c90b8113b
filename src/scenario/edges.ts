/**
 * Per-edge figures of a run from the embedded proxy's HTTP records and fault journal: hop latency
 * and errors per edge (as report rows and as `edge.<from>-><to>` series for budgets), how many
 * hops carried a `traceparent`, which faults fired, and how many duplicate deliveries really
 * happened (so an exactly-once check that saw none can say it was not exercised). The figures
 * themselves are computed by {@link EdgeFigureBuilder}, which the evidence store uses too.
 */
import { parseEdgeRecords, type EdgeRecord } from '../chaos/http/records.js';
import { fetchSubjectRecords } from '../chaos/nats/client.js';
import type { SubjectRecord } from '../chaos/nats/records.js';
import { parseJournal, type JournalEntry } from '../chaos/journal.js';
import { EdgeFigureBuilder, type LoadClock } from '../evidence/edge-figures.js';
import type { LoadResult } from '../load/driver.js';
import type { RecordedSeries } from '../load/recorder.js';
import type { EdgeReport } from '../report/model.js';
import type { ChaosBackend } from './chaos-backend.js';
import { subjectFigures } from './subject-figures.js';
import type { StartedTeam } from './team.js';

/** What {@link collectEdges} found. */
export interface CollectedEdges {
  reports: EdgeReport[];
  /** `edge.<from>-><to>` (and `edge.<from>-><to>{method=<m>}` per JSON-RPC method) series for budgets. */
  series: Record<string, RecordedSeries>;
  /** Duplicate deliveries made by `duplicate` and retried work exposed by `commit_then_drop`; undefined without a journal. */
  duplicatesDelivered?: number;
  /** Raw records by edge id, for tail attribution. */
  records: Map<string, EdgeRecord[]>;
  journal: JournalEntry[];
  /** Which evidence each edge's proxy keeps: per-request records (agentcheck's http proxies) and a decision journal (not tcp edges, not a real Toxiproxy). */
  kept: Map<string, EdgeEvidenceKept>;
}

/** The evidence an edge's proxy keeps, so "none seen" can be told from "not kept". */
export interface EdgeEvidenceKept {
  records: boolean;
  journal: boolean;
}

async function fetchNdjson(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    return await res.text();
  } catch {
    return undefined;
  }
}

/**
 * Reads every edge's records and journal from the embedded backend (a real Toxiproxy has
 * neither: its edges are reported with counts unknown). `drained`: the journal already read
 * during the run (journal-file.ts), by edge id; the proxies' bounded buffers are not read again.
 */
export async function collectEdges(backend: ChaosBackend, team: StartedTeam, load: LoadResult | undefined, drained?: ReadonlyMap<string, JournalEntry[]>): Promise<CollectedEdges> {
  const reports: EdgeReport[] = [];
  const series: Record<string, RecordedSeries> = {};
  const records = new Map<string, EdgeRecord[]>();
  const journal: JournalEntry[] = [];
  const kept = new Map<string, EdgeEvidenceKept>();
  let duplicatesDelivered: number | undefined = backend.embedded ? 0 : undefined;
  const clock: LoadClock | undefined = load ? { startEpochMs: Date.parse(load.startedAt), schedule: load.schedule, durationMs: load.durationMs } : undefined;

  for (const [edgeId, proxy] of team.proxies) {
    // Attach mode: the edge's proxy may run on its own API; agentcheck's proxy there has records and
    // a journal, read here at the end (the run's journal drain reads the backend only).
    const base = `${proxy.remote?.api ?? backend.url}/proxies/${encodeURIComponent(proxy.proxyName)}`;
    const ours = proxy.remote ? proxy.remote.agentcheck : backend.embedded;
    const fromDrain = drained !== undefined && !proxy.remote;
    const nats = proxy.edge.protocol === 'nats';
    // A deployed proxy still holds earlier runs' entries: only those after this run attached count.
    const since = (log: 'records' | 'journal') => (proxy.remote ? `?since=${proxy.remote.since[log]}` : '');
    const recText = ours && proxy.edge.protocol === 'http' ? await fetchNdjson(`${base}/records${since('records')}`) : undefined;
    // A nats proxy's journal has the HTTP journal's line shape (subject in `path`), so it is read the same way.
    const jourText = !fromDrain && ours && proxy.edge.protocol !== 'tcp' ? await fetchNdjson(`${base}/journal${since('journal')}`) : undefined;
    const subjects = backend.embedded && nats ? await fetchSubjectRecords(backend.url, proxy.proxyName, { timeoutMs: 5000 }).catch(() => undefined) : undefined;
    const recs = recText ? parseEdgeRecords(recText) : [];
    const entries = fromDrain ? (drained.get(edgeId) ?? []) : jourText ? parseJournal(jourText) : [];
    records.set(edgeId, recs);
    journal.push(...entries);
    kept.set(edgeId, { records: recText !== undefined, journal: fromDrain || jourText !== undefined });

    // A nats edge has no HTTP records: its hop figures are unknown, as on a tcp edge; its
    // figures are per subject.
    const figures = new EdgeFigureBuilder(edgeId, proxy.edge.protocol, clock);
    for (const e of entries) if (e.fired) figures.addFiredDecision(e.type, e.outcome);
    // In start order, as the evidence store streams them (the recorders then stay small).
    const originals = recs.filter((r) => r.copyOf === undefined).map((r) => ({ r, start: Date.parse(r.time) }));
    originals.sort((a, b) => a.start - b.start);
    for (const { r, start } of originals) {
      figures.addHop({ startEpochMs: start, latencyMs: r.latencyMs, status: r.status, outcome: r.outcome, traced: !!r.traceparent, jsonrpcMethod: r.jsonrpcMethod });
    }
    const built = figures.build();
    if (subjects) built.report.subjects = subjectFigures(subjects);
    reports.push(built.report);
    Object.assign(series, built.series);
    if (duplicatesDelivered !== undefined) duplicatesDelivered += built.duplicatesDelivered + (subjects ? redeliveriesOf(subjects) : 0);
  }
  return { reports, series, records, journal, kept, ...(duplicatesDelivered !== undefined ? { duplicatesDelivered } : {}) };
}

/**
 * JetStream redeliveries a nats proxy carried: each is a message delivered again, a duplicate
 * delivery as real as a `duplicate` copy (a lost ack, or a consumer that acked too late).
 */
function redeliveriesOf(records: readonly SubjectRecord[]): number {
  return records.reduce((n, r) => n + r.redeliveries, 0);
}
