/**
 * The exactly-once checker's history from the evidence store: one operation per workflow (warm-up
 * included), an `invoke` and its completion (`ok` / `fail` / `info`) when it has one, keyed by a
 * key extractor. Workflows still in flight (or that never completed) have an invoke only, which the
 * checker counts as unknown.
 */
import type Database from 'better-sqlite3';
import { History, type HistoryEvent } from '../idempotency/history.js';
import { storedWorkflow, type StoredWorkflow, type WorkflowRowData } from './rows.js';

/**
 * How a workflow is keyed for exactly-once: `idempotency_key` (the first step's Idempotency-Key),
 * `workflow_id` (its `${uuid}`), `extracted.<path>` (a value the workflow extracted, e.g.
 * `extracted.taskId`; JSON path syntax after `extracted`), or a function of the stored workflow
 * (e.g. a request body field rendered from `${uuid}`). A key that is `undefined`/null leaves the
 * workflow out (nothing to join its effects on).
 */
export type KeyOf = 'idempotency_key' | 'workflow_id' | `extracted.${string}` | ((w: StoredWorkflow) => string | undefined);

/** A history and how many workflows had no key (left out). */
export interface StoreHistory {
  events: HistoryEvent[];
  unkeyed: number;
}

function keyColumn(keyOf: Exclude<KeyOf, (w: StoredWorkflow) => string | undefined>): { sql: string; params: unknown[] } {
  if (keyOf === 'idempotency_key' || keyOf === 'workflow_id') return { sql: keyOf, params: [] };
  const path = keyOf.slice('extracted'.length);
  if (!/^(\.[A-Za-z_$][\w$-]*|\[\d+\])+$/.test(path)) throw new RangeError(`not a key path: '${keyOf}' (expected extracted.<name>[.<name>|[<n>]]…)`);
  // json_extract returns SQL NULL for a missing path; numbers are keyed by their text.
  return { sql: `CAST(json_extract(extracted, ?) AS TEXT)`, params: [`$${path}`] };
}

const noteOf = (r: { status: number | null; error: string | null }): string | undefined =>
  r.status !== null ? String(r.status) : (r.error ?? undefined);

/**
 * Builds the history from every stored workflow (insertion order), then `pending` (invoked, not yet
 * stored) as invokes only.
 */
export function historyFromStore(db: Database.Database, keyOf: KeyOf, pending: Iterable<StoredWorkflow>): StoreHistory {
  const h = new History(() => 0);
  let unkeyed = 0;
  const add = (key: string | null | undefined, phase: string, type: StoredWorkflow['type'], note: string | undefined) => {
    if (key === null || key === undefined) {
      unkeyed++;
      return;
    }
    const op = h.invoke(key, phase);
    if (type !== 'invoke') h[type](op, note);
  };
  if (typeof keyOf === 'function') {
    for (const r of db.prepare('SELECT * FROM workflows ORDER BY id').iterate() as IterableIterator<WorkflowRowData>) {
      const w = storedWorkflow(r);
      add(keyOf(w), r.phase, w.type, noteOf(r));
    }
    for (const w of pending) add(keyOf(w), w.phase, 'invoke', undefined);
  } else {
    const col = keyColumn(keyOf);
    const rows = db.prepare(`SELECT ${col.sql} AS k, phase, history_type, status, error FROM workflows ORDER BY id`).iterate(...col.params) as IterableIterator<{
      k: string | null;
      phase: string;
      history_type: 'ok' | 'fail' | 'info' | null;
      status: number | null;
      error: string | null;
    }>;
    for (const r of rows) add(r.k, r.phase, r.history_type ?? 'invoke', noteOf(r));
    for (const w of pending) {
      // In flight: nothing extracted yet, so only the header and id keys can name it.
      const key = keyOf === 'idempotency_key' ? w.key : keyOf === 'workflow_id' ? w.workflowId : undefined;
      add(key, w.phase, 'invoke', undefined);
    }
  }
  return { events: [...h.events], unkeyed };
}
