import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { outcomesByKey } from '../../src/idempotency/history.js';
import { openEvidenceStore, type EvidenceStore } from '../../src/evidence/store.js';
import { hopRecord, tempDir, traceparent, workflowEvents } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function open(options = {}): { store: EvidenceStore; dir: string } {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return { store: openEvidenceStore(dir, options), dir };
}

describe('evidence store', () => {
  it('writes one workflow row per completed workflow into evidence.sqlite (WAL), readable by another connection after close', async () => {
    const { store, dir } = open();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    for (let i = 0; i < 5; i++) for (const e of workflowEvents({ seq: i, startMs: i * 10, latencyMs: 5 + i, extracted: { taskId: `t-${i}` } })) store.record(e);
    const [invoke] = workflowEvents({ seq: 5, startMs: 50, latencyMs: 1 });
    store.record(invoke);
    expect(store.stats()).toEqual({ workflows: 5, hops: 0, decisions: 0, inFlight: 1 });
    await store.close();
    const file = path.join(dir, 'evidence.sqlite');
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare("SELECT seq, history_type, latency_ms, outcome, json_extract(extracted, '$.taskId') AS task FROM workflows ORDER BY seq").all();
      expect(rows).toEqual([
        ...[0, 1, 2, 3, 4].map((i) => ({ seq: i, history_type: 'ok', latency_ms: 5 + i, outcome: 'completed', task: `t-${i}` })),
        // In flight at the end: stored as never completed (an unknown outcome for exactly-once).
        { seq: 5, history_type: null, latency_ms: null, outcome: null, task: null },
      ]);
      expect(db.prepare("SELECT value FROM meta WHERE key = 'format'").get()).toEqual({ value: '1' });
    } finally {
      db.close();
    }
  });

  it('buffers rows and writes them every N rows or T ms, not per call', async () => {
    const { store } = open({ batchRows: 3, flushIntervalMs: 40 });
    const count = () => (store.db.prepare('SELECT count(*) AS n FROM hops').get() as { n: number }).n;
    store.registerEdge('a->b', 'a_to_b', 'http');
    store.hop('a->b', hopRecord({ startEpochMs: 1000, latencyMs: 1 }));
    store.hop('a->b', hopRecord({ startEpochMs: 1001, latencyMs: 1 }));
    expect(count()).toBe(0);
    store.hop('a->b', hopRecord({ startEpochMs: 1002, latencyMs: 1 }));
    expect(count()).toBe(3);
    store.hop('a->b', hopRecord({ startEpochMs: 1003, latencyMs: 1 }));
    expect(count()).toBe(3);
    await new Promise((r) => setTimeout(r, 120));
    expect(count()).toBe(4);
    await store.close();
  });

  it('keys the exactly-once history by Idempotency-Key, workflow id, an extracted value or a function', async () => {
    const { store } = open();
    store.record(workflowEvents({ seq: 0, key: 'K0', startMs: 0, latencyMs: 3, extracted: { taskId: 'T0' } })[0]);
    store.record(workflowEvents({ seq: 0, key: 'K0', startMs: 0, latencyMs: 3, extracted: { taskId: 'T0' } })[1]);
    const [i1, c1] = workflowEvents({ seq: 1, key: 'K1', startMs: 1, latencyMs: 3, type: 'info', status: 503 });
    store.record(i1, 'warmup');
    store.record(c1, 'warmup');
    store.record(workflowEvents({ seq: 2, key: 'K2', startMs: 2, latencyMs: 3 })[0]);
    const byKey = outcomesByKey(store.history('idempotency_key'));
    expect([...byKey.values()]).toEqual([
      { key: 'K0', attempts: 1, ok: 1, fail: 0, info: 0 },
      { key: 'K1', attempts: 1, ok: 0, fail: 0, info: 1 },
      // Still in flight: an invoke without completion counts as unknown.
      { key: 'K2', attempts: 1, ok: 0, fail: 0, info: 1 },
    ]);
    const extracted = store.historyDetailed('extracted.taskId');
    expect([...outcomesByKey(extracted.events).keys()]).toEqual(['T0']);
    expect(extracted.unkeyed).toBe(2);
    expect([...outcomesByKey(store.history('workflow_id')).keys()]).toEqual(['u-0', 'u-1', 'u-2']);
    expect([...outcomesByKey(store.history((w) => `${w.driver}/${w.seq}`)).keys()]).toEqual(['main/0', 'warmup/1', 'main/2']);
    expect(store.history('idempotency_key').find((e) => e.type === 'info')?.note).toBe('503');
    expect(() => store.history('extracted.bad path' as 'extracted.x')).toThrow(/not a key path/);
    await store.close();
  });

  it('streams completions of the main driver in completion order, and writes nothing while one is being read', async () => {
    const { store } = open({ batchRows: 1 });
    for (let i = 0; i < 3; i++) for (const e of workflowEvents({ seq: i, startMs: i, latencyMs: 10 - i })) store.record(e);
    const seen: number[] = [];
    for (const w of store.completions()) {
      seen.push(w.seq);
      // A write arriving mid-read waits in the buffer instead of failing on the busy connection.
      for (const e of workflowEvents({ seq: 10 + w.seq, startMs: 0, latencyMs: 1 })) store.record(e, 'warmup');
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(store.stats().workflows).toBe(6);
    expect((store.db.prepare("SELECT count(*) AS n FROM workflows WHERE driver = 'warmup'").get() as { n: number }).n).toBe(0);
    store.flush();
    expect((store.db.prepare("SELECT count(*) AS n FROM workflows WHERE driver = 'warmup'").get() as { n: number }).n).toBe(3);
    await store.close();
  });

  it('numbers attempts of the same request through an edge, and leaves copies out', async () => {
    const { store } = open();
    store.registerEdge('a->b', 'a_to_b', 'http');
    const tp = traceparent(7);
    store.hop('a->b', hopRecord({ startEpochMs: 1000, latencyMs: 5, traceparent: tp, requestId: '1.1' }));
    store.hop('a->b', hopRecord({ startEpochMs: 1010, latencyMs: 5, traceparent: tp, requestId: '1.2' }));
    store.hop('a->b', hopRecord({ startEpochMs: 1011, latencyMs: 5, traceparent: tp, requestId: '1.2+1', copyOf: '1.2' }));
    store.hop('a->b', hopRecord({ startEpochMs: 1020, latencyMs: 5, traceparent: tp, path: '/other' }));
    await store.finish();
    expect(store.db.prepare('SELECT request_id, attempt, parent_span FROM hops ORDER BY id').all()).toEqual([
      { request_id: '1.1', attempt: 0, parent_span: '0000000000000001' },
      { request_id: '1.2', attempt: 1, parent_span: '0000000000000001' },
      { request_id: '1.2+1', attempt: null, parent_span: '0000000000000001' },
      { request_id: expect.any(String), attempt: 0, parent_span: '0000000000000001' },
    ]);
    await store.close();
  });

  it("hops inserted after finish() (an attached edge's records) are written and numbered, leaving other edges' attempts as they were", async () => {
    const { store } = open();
    const tp = traceparent(8);
    store.hop('a->b', hopRecord({ startEpochMs: 1000, latencyMs: 5, traceparent: tp, requestId: 'a.1' }));
    store.hop('a->b', hopRecord({ startEpochMs: 1010, latencyMs: 5, traceparent: tp, requestId: 'a.2' }));
    await store.finish();
    store.insertHops('b->c', [
      hopRecord({ startEpochMs: 1001, latencyMs: 3, traceparent: tp, requestId: 'b.1' }),
      hopRecord({ startEpochMs: 1005, latencyMs: 3, traceparent: tp, requestId: 'b.2' }),
    ]);
    expect(store.db.prepare('SELECT edge, request_id, attempt FROM hops ORDER BY id').all()).toEqual([
      { edge: 'a->b', request_id: 'a.1', attempt: 0 },
      { edge: 'a->b', request_id: 'a.2', attempt: 1 },
      { edge: 'b->c', request_id: 'b.1', attempt: 0 },
      { edge: 'b->c', request_id: 'b.2', attempt: 1 },
    ]);
    expect([...store.hopRecords()].map((h) => h.requestId)).toEqual(['a.1', 'b.1', 'b.2', 'a.2']);
    await store.close();
  });

  it('a workflow completing after finish() updates its never-completed row', async () => {
    const { store } = open();
    const [invoke, done] = workflowEvents({ seq: 3, key: 'late', startMs: 0, latencyMs: 9, type: 'fail', status: 409 });
    store.record(invoke);
    await store.finish();
    expect(outcomesByKey(store.history()).get('late')).toEqual({ key: 'late', attempts: 1, ok: 0, fail: 0, info: 1 });
    store.record(done);
    expect(outcomesByKey(store.history()).get('late')).toEqual({ key: 'late', attempts: 1, ok: 0, fail: 1, info: 0 });
    expect(store.db.prepare('SELECT latency_ms, status FROM workflows').get()).toEqual({ latency_ms: 9, status: 409 });
    await store.close();
  });

  it('estimates a driver clock origin from its events and prefers one that is set', async () => {
    const { store } = open();
    const before = performance.timeOrigin + performance.now();
    store.record(workflowEvents({ seq: 0, startMs: 0, latencyMs: 1 })[0]);
    const est = store.driverOrigin('main')!;
    expect(est).toBeGreaterThanOrEqual(before);
    expect(est).toBeLessThan(before + 1000);
    store.setDriverOrigin('main', 42);
    store.record(workflowEvents({ seq: 1, startMs: 0, latencyMs: 1 })[0]);
    expect(store.driverOrigin('main')).toBe(42);
    await store.close();
  });
});
