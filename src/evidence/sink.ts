/**
 * The records sink: streams what the HTTP-aware proxies see (per-hop records and fault decisions)
 * into the evidence store while the run goes on, so nothing is lost to the proxies' bounded
 * buffers and nothing accumulates in memory.
 *
 * Two sources. In process (the embedded proxy): the sink subscribes to each proxy's record buffer
 * (every record is handed over synchronously as the exchange ends, so its start time is exact) and
 * reads the journal with a cursor on every tick. Remote (a proxy behind an API URL, e.g. in a
 * container): it polls `GET /proxies/{p}/records?since=<seq>` and `/journal?since=<seq>` on every
 * tick. Either way a gap in the sequence numbers (the proxy evicted entries before they were read)
 * is counted as lost, never hidden. A proxy that serves neither endpoint (a real Toxiproxy) is
 * marked unavailable: its figures are unknown, not zero.
 */
import { parseEdgeRecords, type EdgeRecord, type EdgeRecords } from '../chaos/http/records.js';
import { parseJournal, type FaultJournal } from '../chaos/journal.js';
import { epochNow, type DecisionEntry } from './rows.js';

/** One edge the sink reads: the scenario's edge id and its proxy. */
export interface SinkEdge {
  edgeId: string;
  proxyName: string;
  protocol: 'http' | 'tcp';
}

/** A proxy's buffers, read in process. */
export interface ProxyBuffers {
  records: EdgeRecords;
  journal?: FaultJournal;
}

/** Where the sink reads from. */
export type RecordsSource =
  /** `buffersOf` answers undefined until the proxy has carried HTTP traffic (its buffers exist from then on). */
  | { kind: 'in-process'; buffersOf: (proxyName: string) => ProxyBuffers | undefined }
  | { kind: 'http'; url: string };

/** What the sink hands records to (the evidence store). */
export interface SinkTarget {
  /** One record; `startEpochMs` when known exactly (in process), else the record's ISO time counts. */
  hop(edgeId: string, record: EdgeRecord, startEpochMs?: number): void;
  decision(edgeId: string, entry: DecisionEntry): void;
  lost(edgeId: string, what: 'records' | 'decisions', n: number): void;
  available(edgeId: string, what: 'records' | 'decisions', source: RecordsSource['kind']): void;
}

/** Options of {@link RecordsSink}. */
export interface SinkOptions {
  /** Milliseconds between reads (default 200: at 10,000 entries per buffer, no loss below 50,000 entries/s per proxy). */
  pollMs?: number;
  /** Read the fault journal too (default true). */
  decisions?: boolean;
}

interface EdgeState {
  edge: SinkEdge;
  records: number;
  decisions: number;
  buffers?: ProxyBuffers;
  unsubscribe?: () => void;
  available: Set<'records' | 'decisions'>;
  recordsUnavailable?: boolean;
  decisionsUnavailable?: boolean;
}

/** Streams the proxies' records of `edges` (http edges only) into `target` until stopped. */
export class RecordsSink {
  private readonly states: EdgeState[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly pollMs: number;
  private readonly withDecisions: boolean;

  constructor(
    private readonly target: SinkTarget,
    edges: readonly SinkEdge[],
    private readonly source: RecordsSource,
    options: SinkOptions = {},
  ) {
    this.states = edges.filter((e) => e.protocol === 'http').map((edge) => ({ edge, records: 0, decisions: 0, available: new Set() }));
    this.pollMs = Math.max(10, options.pollMs ?? 200);
    this.withDecisions = options.decisions ?? true;
  }

  /** Reads once now, then every `pollMs`. */
  start(): this {
    void this.read();
    this.timer = setInterval(() => void this.read(), this.pollMs);
    this.timer.unref();
    return this;
  }

  /** Reads what is new now (serialised: overlapping reads wait for each other). */
  read(): Promise<void> {
    this.running = this.running.then(() => (this.source.kind === 'in-process' ? this.readInProcess(this.source.buffersOf) : this.readHttp(this.source.url))).catch(() => undefined);
    return this.running;
  }

  /** Stops the timer, reads the rest and unsubscribes. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.stopped) await this.read();
    this.stopped = true;
    for (const s of this.states) {
      s.unsubscribe?.();
      s.unsubscribe = undefined;
    }
  }

  /** Hands `r` over unless already seen; a gap in `seq` is counted as lost. */
  private take(s: EdgeState, r: EdgeRecord, startEpochMs?: number): void {
    if (r.seq <= s.records) return;
    if (r.seq > s.records + 1) this.target.lost(s.edge.edgeId, 'records', r.seq - s.records - 1);
    s.records = r.seq;
    this.target.hop(s.edge.edgeId, r, startEpochMs);
  }

  private takeDecisions(s: EdgeState, entries: Iterable<DecisionEntry>): void {
    for (const e of entries) {
      if (e.seq <= s.decisions) continue;
      if (e.seq > s.decisions + 1) this.target.lost(s.edge.edgeId, 'decisions', e.seq - s.decisions - 1);
      s.decisions = e.seq;
      this.target.decision(s.edge.edgeId, e);
    }
  }

  private markAvailable(s: EdgeState, what: 'records' | 'decisions', kind: RecordsSource['kind']): void {
    if (s.available.has(what)) return;
    s.available.add(what);
    this.target.available(s.edge.edgeId, what, kind);
  }

  private async readInProcess(buffersOf: (proxyName: string) => ProxyBuffers | undefined): Promise<void> {
    for (const s of this.states) {
      const b = buffersOf(s.edge.proxyName);
      if (!b) continue;
      if (b.records !== s.buffers?.records) {
        // A proxy (re)created: new buffers, sequence numbers from 1 again.
        s.unsubscribe?.();
        if (s.buffers) {
          s.records = 0;
          s.decisions = 0;
        }
        s.buffers = b;
        // Catch up, then subscribe: both on this one thread, so no record falls in between.
        for (const r of b.records.list(s.records)) this.take(s, r);
        s.unsubscribe = this.stopped ? undefined : b.records.subscribe((r) => this.take(s, r, epochNow() - r.latencyMs));
        this.markAvailable(s, 'records', 'in-process');
      }
      if (b.journal) this.markAvailable(s, 'decisions', 'in-process');
      if (this.withDecisions && b.journal) this.takeDecisions(s, b.journal.entries(s.decisions));
    }
  }

  private async readHttp(url: string): Promise<void> {
    for (const s of this.states) {
      const base = `${url}/proxies/${encodeURIComponent(s.edge.proxyName)}`;
      if (!s.recordsUnavailable) {
        const text = await fetchNdjson(`${base}/records?since=${s.records}`);
        if (text === null) s.recordsUnavailable = true;
        else if (text !== undefined) {
          this.markAvailable(s, 'records', 'http');
          for (const r of parseEdgeRecords(text)) this.take(s, r);
        }
      }
      if (this.withDecisions && !s.decisionsUnavailable) {
        const text = await fetchNdjson(`${base}/journal?since=${s.decisions}`);
        if (text === null) s.decisionsUnavailable = true;
        else if (text !== undefined) {
          this.markAvailable(s, 'decisions', 'http');
          this.takeDecisions(s, parseJournal(text));
        }
      }
    }
  }
}

/** The body of a 200; null when the endpoint does not exist (404, 405); undefined when it could not be read now. */
async function fetchNdjson(url: string): Promise<string | null | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (res.status === 404 || res.status === 405) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return await res.text();
  } catch {
    return undefined;
  }
}
