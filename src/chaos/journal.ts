/**
 * The fault journal: one entry per message-level fault decision, fired or not, so a run can be
 * explained ("request 41 was dropped by drop_payments on its first attempt") and replayed exactly
 * (a toxic's `replay` attribute takes the fired entries' identity, attempt and value). Served as
 * NDJSON at `GET /proxies/{p}/journal`; a scenario run saves it as `journal.ndjson`.
 */
import type { DecisionValue } from './http/decision.js';
import { BoundedLog, parseNdjson, toNdjson } from './http/bounded-log.js';

/**
 * Why a decision did not fire: `no-match` (filters), `not-first` (past the first N),
 * `not-every` (not an N-th match), `toxicity` / `probability` (the seeded roll said no),
 * `not-event-stream` (stream_cut on a response that is not SSE), `body-unavailable` (duplicate
 * of a request too large to hold), or `preempted:<toxic>` (an earlier drop / http_error
 * answered the request, so this toxic had nothing to act on).
 */
export type SkipReason =
  | 'no-match'
  | 'not-first'
  | 'not-every'
  | 'not-scheduled'
  | 'toxicity'
  | 'probability'
  | 'not-event-stream'
  | 'body-unavailable'
  | `preempted:${string}`;

/** One fault decision. */
export interface JournalEntry {
  /** Position in this proxy's journal (1-based, increasing). */
  seq: number;
  /** ISO-8601 time of the decision. */
  time: string;
  proxy: string;
  toxic: string;
  /** Toxic type, e.g. `drop`. */
  type: string;
  /** `<connection>.<n>`: the proxy-wide connection number and the request's position on it. */
  requestId: string;
  method: string;
  path: string;
  /** JSON-RPC method(s) in the body, comma-joined for a batch; null when not JSON-RPC or not inspected. */
  jsonrpcMethod: string | null;
  /** The request's `traceparent` header, null when absent. */
  traceparent: string | null;
  /**
   * The request identity's join key (trace id, method, path, Idempotency-Key, JSON-RPC method),
   * null when the request had neither a traceparent nor an Idempotency-Key: then the decision
   * was keyed by `ordinal`, the arrival order, and is not reproducible across runs.
   */
  identity: string | null;
  /** The trace id of the request's traceparent, null when none. */
  traceId: string | null;
  /** The request's Idempotency-Key, null when none. */
  idempotencyKey: string | null;
  /** How many times this toxic had seen the identity before (0 = first delivery, 1 = first retry, …). */
  attempt: number;
  /** Which match of this toxic the request was (1-based; 0 when it did not match or was not counted). */
  ordinal: number;
  fired: boolean;
  /** What the fired decision drew or applied (delay, copies, status, events); null when not fired. */
  value: DecisionValue | null;
  /**
   * What happened: a {@link SkipReason} when not fired, else the action, e.g. `drop:hang`,
   * `drop:status:503`, `duplicate:2:concurrent`, `http_error:500`, `commit_then_drop:reset`,
   * `http_latency:upstream:120ms`, `stream_cut:3`. `fired` is true only when the toxic acted.
   */
  outcome: string;
}

/** Journal entries a proxy keeps by default; a scenario run drains them as it goes, so none are lost. */
export const JOURNAL_CAPACITY = 100_000;

/** A proxy's fault journal: bounded (default {@link JOURNAL_CAPACITY} newest entries; `evicted` counts the rest). */
export class FaultJournal {
  private readonly log: BoundedLog<Omit<JournalEntry, 'seq'>>;

  constructor(capacity = JOURNAL_CAPACITY) {
    this.log = new BoundedLog(capacity);
  }

  /** Records a decision (stamps `seq`; `time` defaults to now). */
  append(entry: Omit<JournalEntry, 'seq' | 'time'> & { time?: string }): JournalEntry {
    return this.log.append({ ...entry, time: entry.time ?? new Date().toISOString() });
  }

  /** Entries kept, oldest first, optionally only `seq > since`. */
  entries(since = 0): JournalEntry[] {
    return this.log.list(since);
  }

  /** The journal as NDJSON. */
  toNdjson(since = 0): string {
    return toNdjson(this.entries(since));
  }

  /** Entries evicted because the journal was full. */
  get evicted(): number {
    return this.log.evicted;
  }

  /** Forgets every entry. */
  clear(): void {
    this.log.clear();
  }
}

/** Parses a journal fetched as NDJSON. */
export function parseJournal(ndjson: string): JournalEntry[] {
  return parseNdjson<JournalEntry>(ndjson);
}
