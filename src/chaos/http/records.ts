/**
 * Per-edge records: what an HTTP-aware proxy saw for each request on its edge (caller → callee),
 * so a scenario report can show per-hop latency and which hops propagated the `traceparent`.
 * Served as NDJSON at `GET /proxies/{p}/records`.
 */
import { BoundedLog, parseNdjson, toNdjson } from './bounded-log.js';

/**
 * How an exchange ended for the caller: `complete` (a whole response), `reset` (the proxy reset
 * the connection), `cut` (a stream was cut), `closed` (the connection closed before a whole
 * response: a hang the caller gave up on, or the upstream went away).
 */
export type EdgeOutcome = 'complete' | 'reset' | 'cut' | 'closed';

/** One request seen by an HTTP-aware proxy. */
export interface EdgeRecord {
  /** Position in this proxy's records (1-based, increasing). */
  seq: number;
  proxy: string;
  /** Same id as in the fault journal: `<connection>.<n>`; copies get `<id>+<k>`. */
  requestId: string;
  /** For a duplicate delivery: the request it copies; absent otherwise. */
  copyOf?: string;
  /** ISO-8601 time the request head arrived. */
  time: string;
  method: string;
  path: string;
  jsonrpcMethod: string | null;
  traceparent: string | null;
  /** Status the caller received (from upstream or from a toxic); null when none. */
  status: number | null;
  /** Status upstream answered; null when the request never reached it or it did not answer. */
  upstreamStatus: number | null;
  /** Milliseconds from the request head arriving to the end of the exchange for the caller. */
  latencyMs: number;
  outcome: EdgeOutcome;
  /** Names of the message toxics that fired on this request. */
  faults: string[];
  /** The request's `Idempotency-Key` header, when the proxy records it (null or absent: none / not recorded). */
  idempotencyKey?: string | null;
  /** First 16 hex digits of the SHA-1 of the request body (null: empty; absent: not recorded). */
  bodyHash?: string | null;
  /** The MCP tool of a `tools/call` request. */
  tool?: string | null;
  /** The response's `Retry-After` header. */
  retryAfter?: string | null;
}

/**
 * Called synchronously with every record as it is appended (so a subscriber can stream records out
 * while the run goes on, with none lost to the buffer's eviction). It must be cheap and must not throw.
 */
export type EdgeRecordListener = (record: EdgeRecord) => void;

/** A proxy's edge records: bounded (default 10,000 newest). */
export class EdgeRecords {
  private readonly log: BoundedLog<Omit<EdgeRecord, 'seq'>>;
  private readonly listeners = new Set<EdgeRecordListener>();

  constructor(capacity = 10_000) {
    this.log = new BoundedLog(capacity);
  }

  /** Records one exchange, and hands it to every subscriber. */
  append(record: Omit<EdgeRecord, 'seq'>): EdgeRecord {
    const stamped = this.log.append(record);
    for (const listener of this.listeners) {
      // A faulty subscriber must not cost the proxied exchange; it loses its own records only.
      try {
        listener(stamped);
      } catch {
        /* ignored */
      }
    }
    return stamped;
  }

  /**
   * Streams every record appended from now on to `listener`; returns the unsubscribe function.
   * Read `list(since)` first to catch up: both run on the one JS thread, so nothing falls between.
   */
  subscribe(listener: EdgeRecordListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sequence number of the newest record appended (0 before the first). */
  get lastSeq(): number {
    return this.log.evicted + this.log.size;
  }

  /** Records kept, oldest first, optionally only `seq > since`. */
  list(since = 0): EdgeRecord[] {
    return this.log.list(since);
  }

  /** The records as NDJSON. */
  toNdjson(since = 0): string {
    return toNdjson(this.list(since));
  }

  /** Records evicted because the buffer was full. */
  get evicted(): number {
    return this.log.evicted;
  }

  /** Forgets every record. */
  clear(): void {
    this.log.clear();
  }
}

/** Parses records fetched as NDJSON. */
export function parseEdgeRecords(ndjson: string): EdgeRecord[] {
  return parseNdjson<EdgeRecord>(ndjson);
}
