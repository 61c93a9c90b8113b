/**
 * Reading an agentcheck proxy server's fault journal and edge records over its API (what a
 * scenario run does after a phase), with clear errors for the cases users hit: the proxy does not
 * exist, or the URL is a real Toxiproxy that has no such endpoints.
 */
import { AgentcheckError } from '../../errors.js';
import { parseJournal, type JournalEntry } from '../journal.js';
import { existingHttpState } from './proxy-state.js';
import { parseEdgeRecords, type EdgeRecord } from './records.js';

/** Options of {@link fetchJournal} and {@link fetchEdgeRecords}. */
export interface FetchLogOptions {
  /** Only entries with `seq` greater than this (default 0: all kept entries). */
  since?: number;
  /** Give up after this many ms (default 10,000). */
  timeoutMs?: number;
}

async function fetchNdjson(apiUrl: string, proxy: string, resource: 'journal' | 'records', options: FetchLogOptions): Promise<string> {
  const url = new URL(`/proxies/${encodeURIComponent(proxy)}/${resource}`, apiUrl);
  if (options.since) url.searchParams.set('since', String(options.since));
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (err) {
    throw new AgentcheckError('environment', `cannot reach the proxy API at ${apiUrl}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (res.status === 404 && text.includes('proxy not found')) {
    throw new AgentcheckError('usage', `proxy '${proxy}' not found at ${apiUrl}`);
  }
  if (!res.ok) {
    throw new AgentcheckError(
      'environment',
      `GET ${url.pathname} answered ${res.status}: ${text.trim().slice(0, 200)}`,
      'message-level faults, the fault journal and edge records need agentcheck\'s own proxy (`agentcheck proxy`), not a real Toxiproxy',
    );
  }
  return text;
}

/** The fault journal of proxy `proxy` on the agentcheck proxy server at `apiUrl`. */
export async function fetchJournal(apiUrl: string, proxy: string, options: FetchLogOptions = {}): Promise<JournalEntry[]> {
  return parseJournal(await fetchNdjson(apiUrl, proxy, 'journal', options));
}

/** The per-edge records of proxy `proxy` on the agentcheck proxy server at `apiUrl`. */
export async function fetchEdgeRecords(apiUrl: string, proxy: string, options: FetchLogOptions = {}): Promise<EdgeRecord[]> {
  return parseEdgeRecords(await fetchNdjson(apiUrl, proxy, 'records', options));
}

/** Anything holding proxies by name (a `ProxyServer`'s `proxies`). */
export interface ProxyLookup {
  find(name: string): object | undefined;
}

/** In-process read of a proxy's fault journal (for a server started in this process); [] when it carried no HTTP traffic. */
export function readJournal(proxies: ProxyLookup, proxy: string, since = 0): JournalEntry[] {
  const owner = proxies.find(proxy);
  if (!owner) throw new AgentcheckError('usage', `proxy '${proxy}' not found`);
  return existingHttpState(owner)?.journal.entries(since) ?? [];
}

/** In-process read of a proxy's edge records; [] when it carried no HTTP traffic. */
export function readEdgeRecords(proxies: ProxyLookup, proxy: string, since = 0): EdgeRecord[] {
  const owner = proxies.find(proxy);
  if (!owner) throw new AgentcheckError('usage', `proxy '${proxy}' not found`);
  return existingHttpState(owner)?.records.list(since) ?? [];
}
