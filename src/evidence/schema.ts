/**
 * The evidence store's SQLite schema (format version {@link EVIDENCE_FORMAT}). docs/evidence.md
 * documents every column; keep the two in step. Times: `*_epoch_ms` and hop `start_ms` are Unix
 * epoch milliseconds (fractional); workflow times are milliseconds since their load driver's start
 * (`drivers.origin_epoch_ms` converts them).
 */

/** Bumped on any incompatible change to the tables (stored in `meta.format`). */
export const EVIDENCE_FORMAT = 1;

/** The file name of the store in a report folder. */
export const EVIDENCE_FILE = 'evidence.sqlite';

/** Tables and indexes, created when the file is new. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT
);
CREATE TABLE IF NOT EXISTS drivers (
  name            TEXT PRIMARY KEY,
  origin_epoch_ms REAL
);
CREATE TABLE IF NOT EXISTS workflows (
  id                INTEGER PRIMARY KEY,
  driver            TEXT NOT NULL,
  seq               INTEGER NOT NULL,
  workflow_id       TEXT,
  name              TEXT,
  phase             TEXT NOT NULL,
  traceparent       TEXT,
  trace_id          TEXT,
  idempotency_key   TEXT,
  intended_start_ms REAL NOT NULL,
  end_ms            REAL,
  latency_ms        REAL,
  entry_latency_ms  REAL,
  history_type      TEXT CHECK (history_type IN ('ok', 'fail', 'info')),
  outcome           TEXT,
  status            INTEGER,
  error             TEXT,
  extracted         TEXT,
  steps             INTEGER,
  requests          INTEGER
);
CREATE TABLE IF NOT EXISTS edges (
  id                TEXT PRIMARY KEY,
  ord               INTEGER NOT NULL,
  proxy             TEXT NOT NULL,
  protocol          TEXT NOT NULL,
  source            TEXT,
  records_available INTEGER NOT NULL DEFAULT 0,
  journal_available INTEGER NOT NULL DEFAULT 0,
  records_lost      INTEGER NOT NULL DEFAULT 0,
  decisions_lost    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS hops (
  id              INTEGER PRIMARY KEY,
  edge            TEXT NOT NULL,
  proxy           TEXT NOT NULL,
  record_seq      INTEGER,
  request_id      TEXT,
  copy_of         TEXT,
  time            TEXT,
  start_ms        REAL NOT NULL,
  latency_ms      REAL NOT NULL,
  method          TEXT,
  path            TEXT,
  jsonrpc_method  TEXT,
  traceparent     TEXT,
  trace_id        TEXT,
  parent_span     TEXT,
  idempotency_key TEXT,
  status          INTEGER,
  upstream_status INTEGER,
  outcome         TEXT,
  faults          TEXT,
  attempt         INTEGER,
  body_hash       TEXT,
  tool            TEXT,
  retry_after     TEXT
);
CREATE TABLE IF NOT EXISTS decisions (
  id              INTEGER PRIMARY KEY,
  edge            TEXT NOT NULL,
  proxy           TEXT NOT NULL,
  journal_seq     INTEGER,
  time            TEXT,
  time_ms         REAL,
  toxic           TEXT NOT NULL,
  type            TEXT NOT NULL,
  request_id      TEXT,
  method          TEXT,
  path            TEXT,
  jsonrpc_method  TEXT,
  traceparent     TEXT,
  trace_id        TEXT,
  idempotency_key TEXT,
  identity        TEXT,
  attempt         INTEGER,
  ordinal         INTEGER,
  fired           INTEGER NOT NULL,
  outcome         TEXT NOT NULL,
  value           TEXT
);
CREATE TABLE IF NOT EXISTS phases (
  name                TEXT PRIMARY KEY,
  ord                 INTEGER NOT NULL,
  start_ms            REAL NOT NULL,
  end_ms              REAL,
  planned_duration_ms REAL,
  rate                REAL,
  faults              TEXT
);
`;

/**
 * Indexes for the queries, built once the run's rows are in (store.finish()): one bulk build is
 * several times cheaper than keeping a random-keyed index (trace ids) up to date on every insert.
 */
export const INDEX_SQL = `
CREATE INDEX IF NOT EXISTS workflows_driver_seq ON workflows (driver, seq);
CREATE INDEX IF NOT EXISTS hops_trace ON hops (trace_id, start_ms);
CREATE INDEX IF NOT EXISTS hops_edge ON hops (edge, start_ms);
CREATE INDEX IF NOT EXISTS decisions_edge ON decisions (edge, fired);
`;
