/**
 * The store's figures equal the in-memory computation over random record sets: the exactly-once
 * history (as the runner builds it from its event list), tail attribution (attributeTail with
 * windows) and per-edge figures (EdgeFigureBuilder over the unsorted lists, plus plain counts).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { EdgeRecord } from '../../src/chaos/http/records.js';
import { EdgeFigureBuilder, hopIsError, duplicatesOf } from '../../src/evidence/edge-figures.js';
import type { WorkflowEvent } from '../../src/evidence/rows.js';
import { openEvidenceStore } from '../../src/evidence/store.js';
import { History, outcomesByKey } from '../../src/idempotency/history.js';
import { attributeTail, type HopRecord, type WorkflowSample } from '../../src/load/attribution.js';
import { tempDir, traceparent } from './helpers.js';

const temp = tempDir();
afterAll(() => temp.cleanup());
let n = 0;
const freshStore = () => openEvidenceStore(`${temp.dir}/${++n}`, { batchRows: 7 });

/** The runner's in-memory history (runner.ts historyFor / MemoryEvidence). */
function memoryHistory(events: Array<WorkflowEvent & { driver: string }>, keyOf: (e: WorkflowEvent) => string) {
  const h = new History(() => 0);
  const ops = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'invoke') ops.set(`${e.driver}:${e.seq}`, h.invoke(keyOf(e), e.phase));
    else {
      const op = ops.get(`${e.driver}:${e.seq}`);
      if (op !== undefined) h[e.type](op, e.status !== undefined ? String(e.status) : e.error);
    }
  }
  return h.events;
}

const workflowArb = fc.record({
  driver: fc.constantFrom('main', 'warmup'),
  key: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  completion: fc.option(fc.constantFrom('ok', 'fail', 'info') as fc.Arbitrary<'ok' | 'fail' | 'info'>, { nil: undefined }),
  status: fc.option(fc.constantFrom(200, 409, 503), { nil: undefined }),
  order: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('evidence store = in-memory computation', () => {
  it('history: the same outcome per key as the runner’s event list', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(workflowArb, { maxLength: 40 }), async (ws) => {
        const events: Array<WorkflowEvent & { driver: string }> = [];
        const seqs = new Map<string, number>();
        const completions: Array<{ order: number; e: WorkflowEvent & { driver: string } }> = [];
        for (const w of ws) {
          const seq = seqs.get(w.driver) ?? 0;
          seqs.set(w.driver, seq + 1);
          const base = { key: w.key, seq, traceparent: traceparent(seq + 1), phase: 'p', workflow: 'w', workflowId: `u${seq}`, driver: w.driver };
          events.push({ ...base, type: 'invoke', tMs: seq });
          if (w.completion) completions.push({ order: w.order, e: { ...base, type: w.completion, tMs: seq + 1, latencyMs: 1, ...(w.status !== undefined ? { status: w.status } : {}) } });
        }
        // Completions arrive in any order after their invokes.
        completions.sort((a, b) => a.order - b.order);
        events.push(...completions.map((c) => c.e));
        const store = freshStore();
        for (const e of events) store.record(e, e.driver);
        const keyOf = (e: WorkflowEvent) => `${e.key}/${e.phase}`;
        expect(outcomesByKey(store.history('idempotency_key'))).toEqual(outcomesByKey(memoryHistory(events, (e) => e.key)));
        expect(outcomesByKey(store.history(keyOf))).toEqual(outcomesByKey(memoryHistory(events, keyOf)));
        await store.finish();
        expect(outcomesByKey(store.history('idempotency_key'))).toEqual(outcomesByKey(memoryHistory(events, (e) => e.key)));
        await store.close();
      }),
      { numRuns: 40 },
    );
  });

  const EDGES = ['a->b', 'b->c', 'c->d'];
  const tailCase = fc.record({
    workflows: fc.array(
      fc.record({
        start: fc.integer({ min: 0, max: 500 }),
        latency: fc.integer({ min: 1, max: 300 }),
        entryLatency: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
        trace: fc.integer({ min: 1, max: 12 }),
      }),
      { minLength: 1, maxLength: 30 },
    ),
    hops: fc.array(
      fc.record({ trace: fc.integer({ min: 0, max: 12 }), edge: fc.constantFrom(...EDGES), start: fc.integer({ min: -20, max: 900 }), latency: fc.integer({ min: 0, max: 200 }), copy: fc.boolean() }),
      { maxLength: 60 },
    ),
    percentile: fc.integer({ min: 50, max: 99 }),
    series: fc.constantFrom('http', 'workflow') as fc.Arbitrary<'http' | 'workflow'>,
  });

  it('tail attribution: the same as attributeTail over the same windows', async () => {
    const origin = 1_700_000_000_000;
    await fc.assert(
      fc.asyncProperty(tailCase, async (c) => {
        const store = freshStore();
        store.setDriverOrigin('main', origin);
        store.registerEdge('a->b', 'x', 'http');
        const samples: WorkflowSample[] = [];
        c.workflows.forEach((w, seq) => {
          const tp = traceparent(w.trace);
          const base = { key: `k${seq}`, seq, traceparent: tp, phase: 'p', workflow: 'w', workflowId: `u${seq}` };
          store.record({ ...base, type: 'invoke', tMs: w.start });
          store.record({ ...base, type: 'ok', tMs: w.start + w.latency, latencyMs: w.latency, ...(w.entryLatency !== undefined ? { entryLatencyMs: w.entryLatency } : {}) });
          const lat = c.series === 'http' ? (w.entryLatency ?? w.latency) : w.latency;
          samples.push({ traceparent: tp, latencyMs: lat, id: `k${seq}`, startMs: origin + w.start, endMs: origin + w.start + (c.series === 'http' ? lat : w.latency) });
        });
        const hops: HopRecord[] = [];
        c.hops.forEach((h, i) => {
          const record: EdgeRecord = {
            seq: i + 1, proxy: 'x', requestId: `r${i}`, ...(h.copy ? { copyOf: `r${i - 1}` } : {}), time: new Date(origin + h.start).toISOString(),
            method: 'POST', path: '/', jsonrpcMethod: null, traceparent: h.trace === 0 ? null : traceparent(h.trace, i + 2), status: 200, upstreamStatus: 200,
            latencyMs: h.latency, outcome: 'complete', faults: [],
          };
          store.hop(h.edge, record);
          if (record.traceparent && !h.copy) hops.push({ edge: h.edge, traceparent: record.traceparent, latencyMs: h.latency, startMs: origin + h.start });
        });
        const expected = attributeTail(samples, hops, { percentile: c.percentile });
        const got = store.tailAttribution({ series: c.series, percentile: c.percentile });
        // Examples of equal latency may come in either order (SQL and Array.sort break ties
        // differently); which ones are shown, and everything else, must be the same.
        const byLatencyThenId = (a: { latencyMs: number; id?: string }, b: { latencyMs: number; id?: string }) => b.latencyMs - a.latencyMs || String(a.id).localeCompare(String(b.id));
        const tieSafe = <T extends { examples: Array<{ latencyMs: number; id?: string }> }>(t: T): T => ({ ...t, examples: [...t.examples].sort(byLatencyThenId) });
        expect(tieSafe(got)).toEqual(tieSafe({ percentile: c.percentile, series: c.series, ...expected }));
        await store.close();
      }),
      { numRuns: 60 },
    );
  });

  const hopArb = fc.record({
    edge: fc.constantFrom('a->b', 'b->c'),
    start: fc.integer({ min: -500, max: 20_000 }),
    latency: fc.double({ min: 0, max: 800, noNaN: true }),
    status: fc.option(fc.constantFrom(200, 404, 500, 503), { nil: null }),
    outcome: fc.constantFrom('complete', 'complete', 'complete', 'reset', 'cut', 'closed') as fc.Arbitrary<EdgeRecord['outcome']>,
    traced: fc.boolean(),
    rpc: fc.constantFrom(null, 'message/send', 'tasks/get', 'message/send,tasks/get'),
    copy: fc.boolean(),
  });
  const decisionArb = fc.record({
    edge: fc.constantFrom('a->b', 'b->c'),
    type: fc.constantFrom('duplicate', 'drop', 'commit_then_drop', 'http_error'),
    fired: fc.boolean(),
    copies: fc.integer({ min: 1, max: 3 }),
  });

  it('per-edge figures: the same rows, series and duplicate deliveries as the lists in memory', async () => {
    const t0 = 1_700_000_000_000;
    const load = { startEpochMs: t0, schedule: [{ name: 'steady', startMs: 0, plannedDurationMs: 10_000 }, { name: 'fault', startMs: 10_000, plannedDurationMs: 10_000 }], durationMs: 20_000 };
    await fc.assert(
      fc.asyncProperty(fc.array(hopArb, { maxLength: 80 }), fc.array(decisionArb, { maxLength: 20 }), async (hs, ds) => {
        const store = freshStore();
        store.registerEdge('a->b', 'a_to_b', 'http');
        store.registerEdge('b->c', 'b_to_c', 'http');
        store.available('a->b', 'decisions', 'in-process');
        store.available('b->c', 'decisions', 'in-process');
        const builders = new Map(['a->b', 'b->c'].map((e) => [e, new EdgeFigureBuilder(e, 'http', load)]));
        const plain = new Map(['a->b', 'b->c'].map((e) => [e, { requests: 0, errors: 0, traced: 0 }]));
        hs.forEach((h, i) => {
          const r: EdgeRecord = {
            seq: i + 1, proxy: 'p', requestId: `r${i}`, ...(h.copy ? { copyOf: 'r0' } : {}), time: new Date(t0 + h.start).toISOString(), method: 'POST', path: '/',
            jsonrpcMethod: h.rpc, traceparent: h.traced ? traceparent(i + 1) : null, status: h.status, upstreamStatus: h.status, latencyMs: h.latency, outcome: h.outcome, faults: [],
          };
          store.hop(h.edge, r);
          if (h.copy) return;
          builders.get(h.edge)!.addHop({ startEpochMs: t0 + h.start, latencyMs: h.latency, status: h.status, outcome: h.outcome, traced: h.traced, jsonrpcMethod: h.rpc });
          const p = plain.get(h.edge)!;
          p.requests++;
          if (hopIsError({ outcome: h.outcome, status: h.status })) p.errors++;
          if (h.traced) p.traced++;
        });
        let duplicates = 0;
        ds.forEach((d, i) => {
          const outcome = d.type === 'duplicate' ? `duplicate:${d.copies}:concurrent` : `${d.type}:x`;
          store.decision(d.edge, {
            seq: i + 1, time: new Date(t0).toISOString(), proxy: 'p', toxic: 't', type: d.type, requestId: `r${i}`, method: 'POST', path: '/',
            jsonrpcMethod: null, traceparent: null, ordinal: 1, fired: d.fired, outcome,
          } as Parameters<typeof store.decision>[1]);
          if (d.fired) {
            builders.get(d.edge)!.addFiredDecision(d.type, outcome);
            duplicates += duplicatesOf(d.type, outcome);
          }
        });
        const got = store.edgeFigures(load);
        const expected = [...builders.values()].map((b) => b.build());
        expect(got.reports).toEqual(expected.map((e) => e.report));
        expect(got.series).toEqual(Object.assign({}, ...expected.map((e) => e.series)));
        expect(got.duplicatesDelivered).toBe(duplicates);
        expect(got.copiesRecorded).toBe(hs.filter((h) => h.copy).length);
        for (const r of got.reports) expect({ requests: r.requests, errors: r.errors, traced: Math.round((r.traceparentPropagated ?? 0) * r.requests) }).toEqual(plain.get(r.edge));
        await store.close();
      }),
      { numRuns: 40 },
    );
  });
});
