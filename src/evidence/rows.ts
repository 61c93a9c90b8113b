/**
 * What goes into the evidence store's rows, and back out: the load driver's workflow events and
 * the proxies' hop records and fault decisions, converted to the column order of the prepared
 * inserts (schema.ts).
 */
import type { EdgeRecord } from '../chaos/http/records.js';
import type { JournalEntry } from '../chaos/journal.js';
import type { HistoryEvent as DriverHistoryEvent } from '../load/driver.js';
import { traceIdOf } from '../load/template.js';

/**
 * A load driver's history event as the store takes it: one `invoke` and one completion per
 * workflow. `entryLatencyMs` (on the completion) is the entry request's own latency, from the
 * intended start, when the workflow had more than one request; without it the entry request is
 * taken to be the whole workflow (true of one-step workflows).
 */
export type WorkflowEvent = DriverHistoryEvent & { entryLatencyMs?: number };

/** A workflow read back from the store, shaped like the driver's event (the completion's fields when completed). */
export type StoredWorkflow = WorkflowEvent & {
  driver: string;
  /** Its row id (insertion order). */
  id: number;
  /** When the workflow was meant to start, ms since its driver's start. */
  intendedStartMs: number;
};

/** Milliseconds on the Unix epoch, sub-millisecond, from the process's monotonic clock. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The parent span of a hop: the `parent-id` field of its `traceparent` (the caller's span). */
export function parentSpanOf(traceparent: string | null | undefined): string | null {
  if (!traceparent) return null;
  const parts = traceparent.trim().split('-');
  return parts.length >= 4 && /^[0-9a-f]{16}$/i.test(parts[2]!) ? parts[2]!.toLowerCase() : null;
}

/** Insert parameters of a workflow row (columns of `workflows` after `id`). */
export function workflowRow(driver: string, invoke: WorkflowEvent, done: WorkflowEvent | undefined): unknown[] {
  const c = done;
  return [
    driver,
    invoke.seq,
    invoke.workflowId ?? null,
    invoke.workflow ?? null,
    invoke.phase,
    invoke.traceparent || null,
    traceIdOf(invoke.traceparent) ?? null,
    invoke.key,
    invoke.tMs,
    c ? c.tMs : null,
    c?.latencyMs ?? null,
    c?.entryLatencyMs ?? null,
    c ? c.type : null,
    c?.outcome ?? null,
    c?.status ?? null,
    c?.error ?? null,
    c?.extracted !== undefined ? JSON.stringify(c.extracted) : null,
    c?.steps ?? null,
    c?.requests ?? null,
  ];
}

/** The columns {@link workflowRow} fills, in order. */
export const WORKFLOW_COLUMNS = [
  'driver', 'seq', 'workflow_id', 'name', 'phase', 'traceparent', 'trace_id', 'idempotency_key', 'intended_start_ms', 'end_ms',
  'latency_ms', 'entry_latency_ms', 'history_type', 'outcome', 'status', 'error', 'extracted', 'steps', 'requests',
] as const;

/** One `workflows` row as SQLite returns it. */
export interface WorkflowRowData {
  id: number;
  driver: string;
  seq: number;
  workflow_id: string | null;
  name: string | null;
  phase: string;
  traceparent: string | null;
  trace_id: string | null;
  idempotency_key: string;
  intended_start_ms: number;
  end_ms: number | null;
  latency_ms: number | null;
  entry_latency_ms: number | null;
  history_type: 'ok' | 'fail' | 'info' | null;
  outcome: string | null;
  status: number | null;
  error: string | null;
  extracted: string | null;
  steps: number | null;
  requests: number | null;
}

/** A stored row as the driver's event: the completion when there is one, else the invoke. */
export function storedWorkflow(r: WorkflowRowData): StoredWorkflow {
  return {
    id: r.id,
    driver: r.driver,
    type: r.history_type ?? 'invoke',
    key: r.idempotency_key,
    seq: r.seq,
    traceparent: r.traceparent ?? '',
    phase: r.phase,
    tMs: r.end_ms ?? r.intended_start_ms,
    intendedStartMs: r.intended_start_ms,
    workflow: r.name ?? '',
    workflowId: r.workflow_id ?? '',
    ...(r.outcome !== null ? { outcome: r.outcome } : {}),
    ...(r.extracted !== null ? { extracted: JSON.parse(r.extracted) as Record<string, string> } : {}),
    ...(r.steps !== null ? { steps: r.steps } : {}),
    ...(r.requests !== null ? { requests: r.requests } : {}),
    ...(r.latency_ms !== null ? { latencyMs: r.latency_ms } : {}),
    ...(r.entry_latency_ms !== null ? { entryLatencyMs: r.entry_latency_ms } : {}),
    ...(r.status !== null ? { status: r.status } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
  };
}

/** The invoke event of a stored workflow (what the driver emitted when it started). */
export function invokeOf(w: StoredWorkflow): StoredWorkflow {
  return {
    id: w.id,
    driver: w.driver,
    type: 'invoke',
    key: w.key,
    seq: w.seq,
    traceparent: w.traceparent,
    phase: w.phase,
    tMs: w.intendedStartMs,
    intendedStartMs: w.intendedStartMs,
    workflow: w.workflow,
    workflowId: w.workflowId,
  };
}

/**
 * Insert parameters of a hop row (columns of `hops` after `id`, without `attempt`). `startEpochMs`:
 * when the hop started, if the caller knows it better than the record's millisecond ISO time.
 */
export function hopRow(edgeId: string, r: EdgeRecord, startEpochMs?: number): unknown[] {
  return [
    edgeId,
    r.proxy,
    r.seq,
    r.requestId,
    r.copyOf ?? null,
    r.time,
    startEpochMs ?? Date.parse(r.time),
    r.latencyMs,
    r.method,
    r.path,
    r.jsonrpcMethod,
    r.traceparent,
    traceIdOf(r.traceparent ?? undefined),
    parentSpanOf(r.traceparent),
    r.idempotencyKey ?? null,
    r.status,
    r.upstreamStatus,
    r.outcome,
    JSON.stringify(r.faults ?? []),
    r.bodyHash ?? null,
    r.tool ?? null,
    r.retryAfter ?? null,
  ];
}

/** The columns {@link hopRow} fills, in order. */
export const HOP_COLUMNS = [
  'edge', 'proxy', 'record_seq', 'request_id', 'copy_of', 'time', 'start_ms', 'latency_ms', 'method', 'path', 'jsonrpc_method',
  'traceparent', 'trace_id', 'parent_span', 'idempotency_key', 'status', 'upstream_status', 'outcome', 'faults',
  'body_hash', 'tool', 'retry_after',
] as const;

/** A journal entry; the fields the journal gained later (identity, attempt, value) are read when present. */
export type DecisionEntry = JournalEntry & {
  identity?: string | null;
  traceId?: string | null;
  idempotencyKey?: string | null;
  attempt?: number;
  value?: unknown;
};

/** Insert parameters of a decision row (columns of `decisions` after `id`). */
export function decisionRow(edgeId: string, e: DecisionEntry): unknown[] {
  return [
    edgeId,
    e.proxy,
    e.seq,
    e.time,
    Date.parse(e.time),
    e.toxic,
    e.type,
    e.requestId,
    e.method,
    e.path,
    e.jsonrpcMethod,
    e.traceparent,
    e.traceId ?? traceIdOf(e.traceparent ?? undefined),
    e.idempotencyKey ?? null,
    e.identity ?? null,
    e.attempt ?? null,
    e.ordinal,
    e.fired ? 1 : 0,
    e.outcome,
    e.value !== undefined && e.value !== null ? JSON.stringify(e.value) : null,
  ];
}

/** The columns {@link decisionRow} fills, in order. */
export const DECISION_COLUMNS = [
  'edge', 'proxy', 'journal_seq', 'time', 'time_ms', 'toxic', 'type', 'request_id', 'method', 'path', 'jsonrpc_method',
  'traceparent', 'trace_id', 'idempotency_key', 'identity', 'attempt', 'ordinal', 'fired', 'outcome', 'value',
] as const;

/** `INSERT INTO <table> (<columns>) VALUES (?, …)`. */
export function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}
