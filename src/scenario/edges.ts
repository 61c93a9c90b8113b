/**
 * Per-edge figures of a run from the embedded proxy's HTTP records and fault journal: hop latency
 * and errors per edge (as report rows and as `edge.<from>-><to>` series for budgets), how many
 * hops carried a `traceparent`, which faults fired, and how many duplicate deliveries really
 * happened (so an exactly-once check that saw none can say it was not exercised).
 */
import { parseEdgeRecords, type EdgeRecord } from '../chaos/http/records.js';
import { parseJournal, type JournalEntry } from '../chaos/journal.js';
import { summarizeHistogram, createLatencyHistogram, recordMs } from '../load/histogram.js';
import type { LoadResult } from '../load/driver.js';
import { LatencyRecorder, type RecordedSeries } from '../load/recorder.js';
import type { EdgeReport } from '../report/model.js';
import type { ChaosBackend } from './chaos-backend.js';
import type { StartedTeam } from './team.js';

/** What {@link collectEdges} found. */
export interface CollectedEdges {
  reports: EdgeReport[];
  /** `edge.<from>-><to>` series for budgets. */
  series: Record<string, RecordedSeries>;
  /** Duplicate deliveries made by `duplicate` and retried work exposed by `commit_then_drop`; undefined without a journal. */
  duplicatesDelivered?: number;
  /** Raw records by edge id, for tail attribution. */
  records: Map<string, EdgeRecord[]>;
  journal: JournalEntry[];
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

/** A hop is an error for the edge when the callee failed or the exchange did not complete. */
function hopIsError(r: EdgeRecord): boolean {
  return r.outcome !== 'complete' || r.status === null || r.status >= 500;
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
  let duplicatesDelivered: number | undefined = backend.embedded ? 0 : undefined;
  const loadStart = load ? Date.parse(load.startedAt) : undefined;

  for (const [edgeId, proxy] of team.proxies) {
    const base = `${backend.url}/proxies/${encodeURIComponent(proxy.proxyName)}`;
    const recText = backend.embedded && proxy.edge.protocol === 'http' ? await fetchNdjson(`${base}/records`) : undefined;
    const jourText = !drained && backend.embedded && proxy.edge.protocol === 'http' ? await fetchNdjson(`${base}/journal`) : undefined;
    const recs = recText ? parseEdgeRecords(recText) : [];
    const entries = drained ? (drained.get(edgeId) ?? []) : jourText ? parseJournal(jourText) : [];
    records.set(edgeId, recs);
    journal.push(...entries);

    const faultsFired: Record<string, number> = {};
    for (const e of entries) {
      if (!e.fired) continue;
      faultsFired[e.type] = (faultsFired[e.type] ?? 0) + 1;
      if (duplicatesDelivered !== undefined && e.type === 'duplicate') {
        const copies = /^duplicate:(\d+)/.exec(e.outcome);
        duplicatesDelivered += copies ? Number(copies[1]) : 1;
      }
      // A lost response makes the caller retry work that was done: a duplicate delivery too.
      if (duplicatesDelivered !== undefined && e.type === 'commit_then_drop') duplicatesDelivered += 1;
    }

    const hist = createLatencyHistogram();
    let errors = 0;
    let traced = 0;
    const originals = recs.filter((r) => r.copyOf === undefined);
    for (const r of originals) {
      recordMs(hist, r.latencyMs);
      if (hopIsError(r)) errors++;
      if (r.traceparent) traced++;
    }
    reports.push({
      edge: edgeId,
      protocol: proxy.edge.protocol,
      requests: originals.length,
      errors,
      latency: originals.length > 0 ? summarizeHistogram(hist) : null,
      traceparentPropagated: originals.length > 0 ? traced / originals.length : null,
      faultsFired,
    });

    if (load && loadStart !== undefined && originals.length > 0) {
      const recorder = new LatencyRecorder({ name: `edge.${edgeId}` });
      for (const mark of load.schedule) recorder.beginPhase(mark.name, mark.startMs, mark.plannedDurationMs);
      for (const r of originals) {
        const t = Date.parse(r.time) - loadStart;
        // Hops before the first phase (warm-up) are not part of any phase.
        if (t < 0) continue;
        recorder.record(t, r.latencyMs, hopIsError(r) ? 'error' : 'ok');
      }
      series[`edge.${edgeId}`] = recorder.finish(load.durationMs);
    }
  }
  return { reports, series, records, journal, ...(duplicatesDelivered !== undefined ? { duplicatesDelivered } : {}) };
}
