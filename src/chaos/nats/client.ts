/**
 * Reading a NATS proxy's per-subject records: over the API (what a scenario's collect stage does
 * at the end of a run) or in-process. The journal of a nats proxy is read with the HTTP layer's
 * `fetchJournal` / `readJournal` shape-compatible calls, or {@link readNatsJournal}.
 */
import { AgentcheckError } from '../../errors.js';
import { fetchEdgeRecords, type FetchLogOptions, type ProxyLookup } from '../http/client.js';
import { parseNdjson } from '../http/bounded-log.js';
import type { PublishedMessage } from './capture.js';
import type { SubjectRecord } from './records.js';
import { existingNatsState, type NatsJournalEntry } from './state.js';

/**
 * The per-subject records of nats proxy `proxy` on the agentcheck proxy server at `apiUrl`.
 * Same errors as `fetchEdgeRecords` (unknown proxy: usage; unreachable or a real Toxiproxy:
 * environment). `since` does not apply to these totals and is not sent.
 */
export async function fetchSubjectRecords(apiUrl: string, proxy: string, options: Omit<FetchLogOptions, 'since'> = {}): Promise<SubjectRecord[]> {
  // The same endpoint and NDJSON as an http proxy's records; only the line shape differs.
  const lines = await fetchEdgeRecords(apiUrl, proxy, options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  return lines as unknown as SubjectRecord[];
}

function stateOf(proxies: ProxyLookup, proxy: string) {
  const owner = proxies.find(proxy);
  if (!owner) throw new AgentcheckError('usage', `proxy '${proxy}' not found`);
  return existingNatsState(owner);
}

/** In-process read of a nats proxy's per-subject records; [] when it carried no NATS connection. */
export function readSubjectRecords(proxies: ProxyLookup, proxy: string): SubjectRecord[] {
  return stateOf(proxies, proxy)?.records.list() ?? [];
}

/** In-process read of a nats proxy's fault journal; [] when it carried no NATS connection. */
export function readNatsJournal(proxies: ProxyLookup, proxy: string, since = 0): NatsJournalEntry[] {
  return stateOf(proxies, proxy)?.journal.list(since) ?? [];
}

/** Totals over per-subject records (one edge's, or a run's), for a report line. */
export interface SubjectTotals {
  subjects: number;
  published: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  acksDropped: number;
  redeliveries: number;
  /** Highest consumer lag seen on any subject; null when no JetStream delivery was seen. */
  maxPending: number | null;
}

/** Sums `records` (JetStream API, ack and inbox subjects included, as the proxy counted them). */
export function subjectTotals(records: readonly SubjectRecord[]): SubjectTotals {
  const t: SubjectTotals = { subjects: records.length, published: 0, delivered: 0, dropped: 0, duplicated: 0, acksDropped: 0, redeliveries: 0, maxPending: null };
  for (const r of records) {
    t.published += r.published;
    t.delivered += r.delivered;
    t.dropped += r.dropped;
    t.duplicated += r.duplicated;
    t.acksDropped += r.acksDropped;
    t.redeliveries += r.redeliveries;
    if (r.maxPending !== null) t.maxPending = Math.max(t.maxPending ?? 0, r.maxPending);
  }
  return t;
}

/**
 * The messages clients published through nats proxy `proxy` (bounded: see `capture.ts`), all or
 * those on subjects matching `subject` (NATS wildcards), over the API.
 */
export async function fetchPublishedMessages(apiUrl: string, proxy: string, options: { subject?: string; timeoutMs?: number } = {}): Promise<PublishedMessage[]> {
  const query = options.subject !== undefined ? `?subject=${encodeURIComponent(options.subject)}` : '';
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/proxies/${encodeURIComponent(proxy)}/messages${query}`, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
  } catch (err) {
    throw new AgentcheckError('environment', `could not read the messages of proxy '${proxy}' at ${apiUrl}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (res.status === 404) throw new AgentcheckError('usage', `proxy '${proxy}' not found (or not an agentcheck proxy server) at ${apiUrl}`);
  if (!res.ok) throw new AgentcheckError(res.status === 400 ? 'usage' : 'environment', `reading the messages of proxy '${proxy}' answered ${res.status}: ${text.slice(0, 200)}`);
  return parseNdjson<PublishedMessage>(text);
}

/** In-process read of what clients published through a nats proxy; [] when it carried no NATS connection. */
export function readPublishedMessages(proxies: ProxyLookup, proxy: string, matches?: (subject: string) => boolean): PublishedMessage[] {
  return stateOf(proxies, proxy)?.published.list(matches) ?? [];
}
