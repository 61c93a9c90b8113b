/**
 * The evidence store: a run's per-workflow and per-hop records in `evidence.sqlite` in the report
 * folder (SQLite through better-sqlite3, WAL mode), so memory does not grow with the run and the
 * evidence can be queried afterwards with the `sqlite3` CLI or any SQLite binding (docs/evidence.md).
 *
 * Writes are cheap on the hot path: a record call converts the event to a row and appends it to an
 * in-memory buffer; the buffer is written in one transaction every {@link EvidenceStoreOptions.batchRows}
 * rows or {@link EvidenceStoreOptions.flushIntervalMs} ms, whichever comes first. A workflow is one
 * row, written when it completes: its invoke waits in memory until then, so what is held is bounded
 * by the workflows in flight. Reads (history, tail attribution, per-edge figures) flush first.
 *
 * better-sqlite3 is synchronous: a flush blocks the event loop for the length of one transaction
 * (about a millisecond per thousand rows), never longer.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { existingHttpState } from '../chaos/http/proxy-state.js';
import type { EdgeRecord } from '../chaos/http/records.js';
import type { ProxyCollection } from '../chaos/proxy-collection.js';
import type { JournalEntry } from '../chaos/journal.js';
import type { HistoryEvent } from '../idempotency/history.js';
import type { LoadResult } from '../load/driver.js';
import { EdgeFigureBuilder, type LoadClock } from './edge-figures.js';
import { edgesFromStore, type StoreEdges } from './edge-query.js';
import { historyFromStore, type KeyOf, type StoreHistory } from './history-query.js';
import {
  DECISION_COLUMNS,
  decisionRow,
  epochNow,
  HOP_COLUMNS,
  hopRow,
  insertSql,
  invokeOf,
  storedWorkflow,
  WORKFLOW_COLUMNS,
  workflowRow,
  type DecisionEntry,
  type StoredWorkflow,
  type WorkflowEvent,
  type WorkflowRowData,
} from './rows.js';
import { EVIDENCE_FILE, EVIDENCE_FORMAT, INDEX_SQL, SCHEMA_SQL } from './schema.js';
import { RecordsSink, type RecordsSource, type SinkEdge, type SinkOptions, type SinkTarget } from './sink.js';
import { tailFromStore, type StoreTail, type TailQueryOptions } from './tail-query.js';

/** Options of {@link openEvidenceStore}. */
export interface EvidenceStoreOptions {
  /** Buffered rows that trigger a write (default 2,000). */
  batchRows?: number;
  /** Most milliseconds a row waits in the buffer (default 250). */
  flushIntervalMs?: number;
}

/** A chaos backend as the store needs it: the embedded one exposes its proxies for in-process reads. */
export interface EvidenceBackend {
  readonly url: string;
  readonly embedded: boolean;
  /** The embedded server's proxies (in-process reads); absent for a remote API. */
  readonly proxies?: ProxyCollection;
}

/** A team's edge proxies as the store needs them (StartedTeam.proxies: edge id → proxy). */
export type EvidenceEdges = ReadonlyMap<string, { readonly proxyName: string; readonly edge: { readonly protocol: 'http' | 'tcp' | 'nats' } }>;

/** One phase of the timeline (the `phases` table). */
export interface EvidencePhase {
  name: string;
  /** Milliseconds since the main driver's start. */
  startMs: number;
  endMs?: number;
  plannedDurationMs?: number;
  rate?: number;
  faults?: unknown[];
}

/** Row counts of the store (what has been written plus what is buffered). */
export interface EvidenceCounts {
  workflows: number;
  hops: number;
  decisions: number;
  /** Workflows invoked and not completed yet. */
  inFlight: number;
}

interface EdgeUpdate {
  recordsLost: number;
  decisionsLost: number;
  records: 0 | 1;
  journal: 0 | 1;
  source: string | null;
}

/** SQLite page cache while rows are being appended, KiB. */
const COLLECT_CACHE_KIB = 2048;
/** SQLite page cache for building the indexes and running the queries after finish(), KiB. */
const QUERY_CACHE_KIB = 32768;

const pendingKey = (driver: string, seq: number) => `${driver}\u0000${seq}`;

/** Opens (creating) `<dir>/evidence.sqlite`. */
export function openEvidenceStore(dir: string, options: EvidenceStoreOptions = {}): EvidenceStore {
  mkdirSync(dir, { recursive: true });
  return new EvidenceStore(path.join(dir, EVIDENCE_FILE), options);
}

/** See the module comment. Create with {@link openEvidenceStore}; `close()` when done. */
export class EvidenceStore implements SinkTarget {
  readonly db: Database.Database;
  private readonly insertWorkflow: Database.Statement;
  private readonly insertHop: Database.Statement;
  private readonly insertDecision: Database.Statement;
  private readonly writeBuffered: () => void;
  private readonly pending = new Map<string, { driver: string; invoke: WorkflowEvent }>();
  private workflowRows: unknown[][] = [];
  private hopRows: unknown[][] = [];
  private decisionRows: unknown[][] = [];
  private readonly origins = new Map<string, { ms: number; fixed: boolean; written: boolean }>();
  private readonly counts: Record<'workflows' | 'hops' | 'decisions', number> = { workflows: 0, hops: 0, decisions: 0 };
  /** Per-edge bookkeeping from the sinks, applied with the next write (a sink may report while a read is open). */
  private readonly edgeUpdates = new Map<string, EdgeUpdate>();
  private readonly sinks: RecordsSink[] = [];
  private readonly batchRows: number;
  private timer: NodeJS.Timeout | undefined;
  /** Open read iterators: SQLite cannot write on a connection that is reading. */
  private reading = 0;
  private finished = false;
  private closed = false;
  private edgeOrder = 0;

  constructor(
    readonly file: string,
    options: EvidenceStoreOptions = {},
  ) {
    this.batchRows = Math.max(1, options.batchRows ?? 2000);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a crash may lose the last transactions, never corrupt the file; no fsync per commit.
    this.db.pragma('synchronous = NORMAL');
    // Appending needs few pages; better-sqlite3's default 16 MB cache would only add to the RSS of
    // the run. The queries after finish() get a bigger one.
    this.db.pragma(`cache_size = -${COLLECT_CACHE_KIB}`);
    this.db.exec(SCHEMA_SQL);
    const meta = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    meta.run('format', String(EVIDENCE_FORMAT));
    meta.run('created_at', new Date().toISOString());
    this.insertWorkflow = this.db.prepare(insertSql('workflows', WORKFLOW_COLUMNS));
    this.insertHop = this.db.prepare(insertSql('hops', HOP_COLUMNS));
    this.insertDecision = this.db.prepare(insertSql('decisions', DECISION_COLUMNS));
    const upsertOrigin = this.db.prepare('INSERT INTO drivers (name, origin_epoch_ms) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET origin_epoch_ms = excluded.origin_epoch_ms');
    const updateEdge = this.db.prepare(`UPDATE edges SET records_lost = records_lost + ?, decisions_lost = decisions_lost + ?,
      records_available = max(records_available, ?), journal_available = max(journal_available, ?), source = COALESCE(?, source) WHERE id = ?`);
    this.writeBuffered = this.db.transaction(() => {
      for (const r of this.workflowRows) this.insertWorkflow.run(r);
      for (const r of this.hopRows) this.insertHop.run(r);
      for (const r of this.decisionRows) this.insertDecision.run(r);
      for (const [name, o] of this.origins) {
        if (o.written) continue;
        upsertOrigin.run(name, o.ms);
        o.written = true;
      }
      for (const [id, u] of this.edgeUpdates) updateEdge.run(u.recordsLost, u.decisionsLost, u.records, u.journal, u.source, id);
      this.edgeUpdates.clear();
    });
    this.timer = setInterval(() => this.flush(), Math.max(10, options.flushIntervalMs ?? 250));
    this.timer.unref();
  }

  // ---------------------------------------------------------------------------------------------
  // Writes (hot path: convert, buffer, return).

  /**
   * Records one load-driver history event (the RunEvidence seam: `record(event, driver)`). A
   * workflow becomes one row when its completion arrives; an invoke waits in memory until then.
   */
  record(event: WorkflowEvent, driver = 'main'): void {
    this.noteClock(driver, event.tMs);
    const key = pendingKey(driver, event.seq);
    if (event.type === 'invoke') {
      this.pending.set(key, { driver, invoke: event });
      return;
    }
    const open = this.pending.get(key);
    if (open) {
      this.pending.delete(key);
      this.buffer(this.workflowRows, workflowRow(driver, open.invoke, event), 'workflows');
    } else if (this.finished) {
      // Completed after finish() stored it as never completed.
      this.flush();
      this.db.prepare(`UPDATE workflows SET end_ms = ?, latency_ms = ?, entry_latency_ms = ?, history_type = ?, outcome = ?, status = ?, error = ?, extracted = ?, steps = ?, requests = ?
        WHERE driver = ? AND seq = ? AND history_type IS NULL`).run(...workflowRow(driver, event, event).slice(9), driver, event.seq);
    }
    // A completion never invoked: the driver never does that; ignored like MemoryEvidence does.
  }

  /** Alias of {@link record}. */
  recordWorkflow(event: WorkflowEvent, driver = 'main'): void {
    this.record(event, driver);
  }

  /**
   * Where a driver's clock starts, epoch ms (its `tMs` 0). Optional: without it the store takes
   * the tightest bound the events give (`now - tMs` at each event, the least of them), which is
   * within a fraction of a millisecond of the truth once a few events arrived promptly.
   */
  setDriverOrigin(driver: string, epochMs: number): void {
    this.origins.set(driver, { ms: epochMs, fixed: true, written: false });
  }

  private noteClock(driver: string, tMs: number): void {
    const o = this.origins.get(driver);
    if (o?.fixed) return;
    const estimate = epochNow() - tMs;
    if (!o) this.origins.set(driver, { ms: estimate, fixed: false, written: false });
    else if (estimate < o.ms) {
      o.ms = estimate;
      o.written = false;
    }
  }

  /** Registers an edge (done by {@link attachSink}; call it yourself when feeding hops by hand). */
  registerEdge(edgeId: string, proxyName: string, protocol: 'http' | 'tcp'): void {
    this.db
      .prepare('INSERT INTO edges (id, ord, proxy, protocol) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET proxy = excluded.proxy, protocol = excluded.protocol')
      .run(edgeId, this.edgeOrder++, proxyName, protocol);
  }

  /** One hop record of an edge (SinkTarget). */
  hop(edgeId: string, record: EdgeRecord, startEpochMs?: number): void {
    this.buffer(this.hopRows, hopRow(edgeId, record, startEpochMs), 'hops');
  }

  /**
   * Hop records of an edge, fed by hand (tests, imports, and an attached edge's proxy, whose
   * records are read through its API at the end); starts from their ISO times. After
   * {@link finish} they are written at once and their attempts numbered with the rest.
   */
  insertHops(edgeId: string, records: Iterable<EdgeRecord>): void {
    for (const r of records) this.hop(edgeId, r);
    if (this.finished) {
      this.flush();
      this.numberAttempts(edgeId);
    }
  }

  /** One fault decision of an edge (SinkTarget). */
  decision(edgeId: string, entry: DecisionEntry): void {
    this.buffer(this.decisionRows, decisionRow(edgeId, entry), 'decisions');
  }

  /** Imports journal entries (e.g. the lines of `journal.ndjson`, which carry their edge). */
  importJournal(entries: Iterable<JournalEntry & { edge: string }>): void {
    for (const e of entries) {
      this.registerEdgeIfNew(e.edge, e.proxy);
      this.markAvailable(e.edge, 'decisions', 'http');
      this.decision(e.edge, e);
    }
  }

  /** Counts entries the proxy evicted before they were read (SinkTarget); written with the next flush. */
  lost(edgeId: string, what: 'records' | 'decisions', n: number): void {
    const u = this.edgeUpdate(edgeId);
    if (what === 'records') u.recordsLost += n;
    else u.decisionsLost += n;
  }

  /** Notes that an edge's records or journal could be read (SinkTarget); written with the next flush. */
  available(edgeId: string, what: 'records' | 'decisions', source: RecordsSource['kind']): void {
    this.markAvailable(edgeId, what, source);
  }

  private markAvailable(edgeId: string, what: 'records' | 'decisions', source: string): void {
    const u = this.edgeUpdate(edgeId);
    if (what === 'records') u.records = 1;
    else u.journal = 1;
    u.source = source;
  }

  private edgeUpdate(edgeId: string): EdgeUpdate {
    let u = this.edgeUpdates.get(edgeId);
    if (!u) this.edgeUpdates.set(edgeId, (u = { recordsLost: 0, decisionsLost: 0, records: 0, journal: 0, source: null }));
    return u;
  }

  private registerEdgeIfNew(edgeId: string, proxyName: string): void {
    if (!this.db.prepare('SELECT 1 FROM edges WHERE id = ?').get(edgeId)) this.registerEdge(edgeId, proxyName, 'http');
  }

  /** Records a phase (upsert by name: call at its start, again with `endMs`). */
  recordPhase(p: EvidencePhase): void {
    const ord = (this.db.prepare('SELECT ord FROM phases WHERE name = ?').get(p.name) as { ord: number } | undefined)?.ord ?? (this.db.prepare('SELECT count(*) AS n FROM phases').get() as { n: number }).n;
    this.db
      .prepare(`INSERT OR REPLACE INTO phases (name, ord, start_ms, end_ms, planned_duration_ms, rate, faults) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(p.name, ord, p.startMs, p.endMs ?? null, p.plannedDurationMs ?? null, p.rate ?? null, p.faults ? JSON.stringify(p.faults) : null);
  }

  /**
   * Streams the proxies' hop records and fault decisions of `edges` into the store until
   * {@link finish}: in process when `backend.proxies` is there (the embedded server), else by
   * polling the API at `backend.url` with a cursor.
   */
  attachSink(backend: EvidenceBackend, edges: EvidenceEdges, options: SinkOptions = {}): RecordsSink {
    const list: SinkEdge[] = [];
    for (const [edgeId, p] of edges) {
      // NATS edges keep their own per-subject records (src/chaos/nats); hops are HTTP's.
      if (p.edge.protocol === 'nats') continue;
      this.registerEdge(edgeId, p.proxyName, p.edge.protocol);
      list.push({ edgeId, proxyName: p.proxyName, protocol: p.edge.protocol });
    }
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('backend', backend.embedded ? 'embedded' : 'remote');
    const proxies = backend.proxies;
    const source: RecordsSource = proxies
      ? {
          kind: 'in-process',
          buffersOf: (name) => {
            const proxy = proxies.find(name);
            const state = proxy ? existingHttpState(proxy) : undefined;
            return state ? { records: state.records, journal: state.journal } : undefined;
          },
        }
      : { kind: 'http', url: backend.url };
    return this.attachSource(source, list, options);
  }

  /** {@link attachSink} with an explicit source (edges must be registered). */
  attachSource(source: RecordsSource, edges: readonly SinkEdge[], options: SinkOptions = {}): RecordsSink {
    const sink = new RecordsSink(this, edges, source, options).start();
    this.sinks.push(sink);
    return sink;
  }

  private buffer(rows: unknown[][], row: unknown[], counter: 'workflows' | 'hops' | 'decisions'): void {
    rows.push(row);
    this.counts[counter]++;
    if (this.workflowRows.length + this.hopRows.length + this.decisionRows.length >= this.batchRows) this.flush();
  }

  /** Writes the buffered rows in one transaction (skipped while a read iterator is open). */
  flush(): void {
    if (this.closed || this.reading > 0) return;
    if (this.workflowRows.length + this.hopRows.length + this.decisionRows.length === 0 && this.edgeUpdates.size === 0 && [...this.origins.values()].every((o) => o.written)) return;
    this.writeBuffered();
    this.workflowRows = [];
    this.hopRows = [];
    this.decisionRows = [];
  }

  /**
   * Ends the collection: stops the sinks (a last read each), stores the workflows still in flight
   * as never completed, numbers the hops' attempts and writes everything. Queries after it see
   * the whole run. Idempotent.
   */
  async finish(): Promise<void> {
    for (const s of this.sinks.splice(0)) await s.stop();
    if (this.finished) return this.flush();
    for (const { driver, invoke } of this.pending.values()) this.workflowRows.push(workflowRow(driver, invoke, undefined));
    this.pending.clear();
    this.finished = true;
    this.flush();
    this.db.pragma(`cache_size = -${QUERY_CACHE_KIB}`);
    this.db.exec(INDEX_SQL);
    this.numberAttempts();
  }

  /**
   * attempt: 0 for the first delivery of a request through an edge, 1 for its first retry, …
   * ("the same request": the journal's identity: trace, method, path, JSON-RPC method, key).
   * Attempts never cross edges, so hops added to one edge later renumber that edge only.
   */
  private numberAttempts(edgeId?: string): void {
    const oneEdge = edgeId === undefined ? '' : 'AND edge = @edge';
    this.db.prepare(`UPDATE hops SET attempt = a.n FROM (
        SELECT id, row_number() OVER (
          PARTITION BY edge, COALESCE(trace_id, request_id), method, path, COALESCE(jsonrpc_method, ''), COALESCE(idempotency_key, '')
          ORDER BY start_ms, id) - 1 AS n
        FROM hops WHERE copy_of IS NULL ${oneEdge}) AS a
      WHERE hops.id = a.id`).run(edgeId === undefined ? {} : { edge: edgeId });
  }

  // ---------------------------------------------------------------------------------------------
  // Reads.

  /** The exactly-once checker's history keyed by `keyOf` (RunEvidence seam), warm-up included. */
  history(keyOf: KeyOf = 'idempotency_key'): HistoryEvent[] {
    return this.historyDetailed(keyOf).events;
  }

  /** {@link history} and how many workflows had no key. */
  historyDetailed(keyOf: KeyOf = 'idempotency_key'): StoreHistory {
    this.flush();
    const pending = [...this.pending.values()].map(({ driver, invoke }) => ({ ...invoke, driver, id: 0, intendedStartMs: invoke.tMs }));
    return this.reads(() => historyFromStore(this.db, keyOf, pending));
  }

  /** The main driver's completed workflows, in completion order (RunEvidence seam). */
  *completions(driver = 'main'): Generator<StoredWorkflow> {
    this.flush();
    this.reading++;
    try {
      const rows = this.db.prepare('SELECT * FROM workflows WHERE driver = ? AND history_type IS NOT NULL ORDER BY id').iterate(driver) as IterableIterator<WorkflowRowData>;
      for (const r of rows) yield storedWorkflow(r);
    } finally {
      this.reading--;
    }
  }

  /**
   * Every workflow's invoke (warm-up first, then by intended start), stored or still in flight,
   * shaped as the driver's invoke event.
   */
  *invocations(): Generator<StoredWorkflow> {
    this.flush();
    const order = (w: StoredWorkflow) => [Number(w.driver !== 'warmup'), w.intendedStartMs, w.seq] as const;
    const before = (a: StoredWorkflow, b: StoredWorkflow) => {
      const [x, y] = [order(a), order(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    };
    // Stored rows and the workflows still in flight, merged in start order.
    const inFlight = [...this.pending.values()].map(({ driver, invoke }) => ({ ...invoke, driver, id: 0, intendedStartMs: invoke.tMs })).sort(before);
    let next = 0;
    this.reading++;
    try {
      const rows = this.db.prepare("SELECT * FROM workflows ORDER BY driver <> 'warmup', intended_start_ms, seq").iterate() as IterableIterator<WorkflowRowData>;
      for (const r of rows) {
        const w = invokeOf(storedWorkflow(r));
        while (next < inFlight.length && before(inFlight[next]!, w) < 0) yield inFlight[next++]!;
        yield w;
      }
    } finally {
      this.reading--;
    }
    while (next < inFlight.length) yield inFlight[next++]!;
  }

  /** Tail attribution joined on trace id, each workflow with the hops inside its own window. */
  tailAttribution(options: TailQueryOptions = {}): StoreTail {
    this.flush();
    return this.reads(() => tailFromStore(this.db, options));
  }

  /**
   * Per-edge report rows, `edge.*` series (with the load's clock: `LoadResult` or a {@link LoadClock})
   * and duplicate deliveries, as scenario/edges.ts computes them from lists.
   */
  edgeFigures(load?: LoadClock | Pick<LoadResult, 'startedAt' | 'schedule' | 'durationMs'>): StoreEdges {
    this.flush();
    const clock = load && 'startedAt' in load ? { startEpochMs: this.driverOrigin('main') ?? Date.parse(load.startedAt), schedule: load.schedule, durationMs: load.durationMs } : load;
    return this.reads(() => edgesFromStore(this.db, clock));
  }

  /**
   * Every hop as the proxy recorded it, by edge, in start order: what detectors read. Streams from
   * the file (one row at a time); the caller decides what to keep.
   */
  *hopRecords(): Generator<EdgeRecord & { edge: string }> {
    this.flush();
    const rows = this.db.prepare('SELECT * FROM hops ORDER BY start_ms, id').iterate() as IterableIterator<Record<string, unknown>>;
    // No write while the statement is open (better-sqlite3 refuses one on a busy connection).
    this.reading++;
    try {
      for (const h of rows) {
        yield {
          edge: String(h.edge),
          seq: Number(h.record_seq ?? 0),
          proxy: String(h.proxy),
          requestId: String(h.request_id ?? ''),
          ...(h.copy_of !== null && h.copy_of !== undefined ? { copyOf: String(h.copy_of) } : {}),
          time: String(h.time ?? new Date(Number(h.start_ms)).toISOString()),
          method: String(h.method ?? ''),
          path: String(h.path ?? ''),
          jsonrpcMethod: (h.jsonrpc_method as string | null) ?? null,
          traceparent: (h.traceparent as string | null) ?? null,
          status: (h.status as number | null) ?? null,
          upstreamStatus: (h.upstream_status as number | null) ?? null,
          latencyMs: Number(h.latency_ms),
          outcome: String(h.outcome ?? 'complete') as EdgeRecord['outcome'],
          faults: JSON.parse(String(h.faults ?? '[]')) as string[],
          idempotencyKey: (h.idempotency_key as string | null) ?? null,
          bodyHash: (h.body_hash as string | null) ?? null,
          tool: (h.tool as string | null) ?? null,
          retryAfter: (h.retry_after as string | null) ?? null,
        };
      }
    } finally {
      this.reading--;
    }
  }

  /** Every journaled decision, with its edge, in arrival order (for explaining and shrinking). */
  journal(): Array<DecisionEntry & { edge: string }> {
    this.flush();
    type Row = Record<string, unknown> & { edge: string; fired: number; value: string | null };
    return (this.db.prepare('SELECT * FROM decisions ORDER BY id').all() as Row[]).map(
      (r) =>
        ({
          seq: r.journal_seq,
          time: r.time,
          proxy: r.proxy,
          toxic: r.toxic,
          type: r.type,
          requestId: r.request_id,
          method: r.method,
          path: r.path,
          jsonrpcMethod: r.jsonrpc_method,
          traceparent: r.traceparent,
          identity: r.identity,
          traceId: r.trace_id,
          idempotencyKey: r.idempotency_key,
          ...(r.attempt !== null ? { attempt: r.attempt } : {}),
          ordinal: r.ordinal,
          fired: r.fired === 1,
          value: r.value !== null ? (JSON.parse(r.value) as unknown) : null,
          outcome: r.outcome,
          edge: r.edge,
        }) as DecisionEntry & { edge: string },
    );
  }

  /** The clock origin of a driver, epoch ms (set or estimated), if any event or call gave one. */
  driverOrigin(driver: string): number | undefined {
    return this.origins.get(driver)?.ms;
  }

  /** Rows recorded so far (written or buffered). */
  stats(): EvidenceCounts {
    return { ...this.counts, inFlight: this.pending.size };
  }

  /** Finishes (if not done), checkpoints the WAL into the file and closes it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.finish();
    clearInterval(this.timer);
    this.timer = undefined;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.closed = true;
    this.db.close();
  }

  private reads<T>(fn: () => T): T {
    this.reading++;
    try {
      return fn();
    } finally {
      this.reading--;
    }
  }
}

export { EdgeFigureBuilder };
export type { KeyOf, LoadClock, StoreEdges, StoreTail, StoredWorkflow, TailQueryOptions, WorkflowEvent };
