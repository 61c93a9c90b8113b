/**
 * The tail-attribution bug of issue 11: an A2A coordinator answers `submitted` in 24 ms and does
 * the slow work (a 185 ms LLM hop) afterwards on the same trace. The `http` series (the entry
 * request) must not be blamed on hops that started after the entry answered; the `workflow`
 * series (to the task's terminal state) must be.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attributeTail, type HopRecord, type WorkflowSample } from '../../src/load/attribution.js';
import { openEvidenceStore } from '../../src/evidence/store.js';
import { hopRecord, tempDir, traceparent } from './helpers.js';

const ORIGIN = 1_700_000_000_000;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Ten async workflows: entry answered at +24 ms, the task completed at +250 ms. */
function asyncRun() {
  const workflows = Array.from({ length: 10 }, (_, i) => ({ seq: i, start: i * 1000, entry: 24, total: 250, tp: traceparent(i + 1) }));
  const hops = workflows.flatMap((w) => [
    // During the entry request: the coordinator stores the task.
    { edge: 'coordinator->store', start: w.start + 2, latency: 18, tp: w.tp },
    // After it answered: the asynchronous part.
    { edge: 'coordinator->researcher', start: w.start + 30, latency: 200, tp: w.tp },
    { edge: 'researcher->llm', start: w.start + 35, latency: 185, tp: w.tp },
  ]);
  return { workflows, hops };
}

describe('tail attribution windows', () => {
  const { workflows, hops } = asyncRun();
  const hopRecords: HopRecord[] = hops.map((h) => ({ edge: h.edge, traceparent: h.tp, latencyMs: h.latency, startMs: ORIGIN + h.start }));

  it('in memory: without windows the entry is blamed on the async LLM hop (the bug); with its window, on the hop it waited for', () => {
    const entry = (windowed: boolean): WorkflowSample[] =>
      workflows.map((w) => ({ traceparent: w.tp, latencyMs: w.entry, id: `k${w.seq}`, ...(windowed ? { startMs: ORIGIN + w.start, endMs: ORIGIN + w.start + w.entry } : {}) }));
    expect(attributeTail(entry(false), hopRecords, { thresholdMs: 20 }).edges[0]!.edge).toBe('researcher->llm');
    const fixed = attributeTail(entry(true), hopRecords, { thresholdMs: 20 });
    expect(fixed.edges).toEqual([{ edge: 'coordinator->store', dominated: 10, share: 1, meanTimeShare: 18 / 24 }]);
  });

  it('in memory: the workflow series, over the task’s whole window, is blamed on the LLM hop', () => {
    const samples: WorkflowSample[] = workflows.map((w) => ({ traceparent: w.tp, latencyMs: w.total, startMs: ORIGIN + w.start, endMs: ORIGIN + w.start + w.total }));
    const a = attributeTail(samples, hopRecords, { thresholdMs: 200 });
    expect(a.edges.map((e) => [e.edge, e.dominated])).toEqual([['researcher->llm', 10]]);
  });

  it('in memory: a hop that started before the window opened is not the sample’s either', () => {
    const early: HopRecord[] = [{ edge: 'x->y', traceparent: workflows[0]!.tp, latencyMs: 500, startMs: ORIGIN - 100 }];
    const a = attributeTail([{ traceparent: workflows[0]!.tp, latencyMs: 24, startMs: ORIGIN, endMs: ORIGIN + 24 }], early, { thresholdMs: 1 });
    expect(a.unattributed).toBe(1);
  });

  it('from the store: http series → the entry’s own hop; workflow series → the LLM hop', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = openEvidenceStore(dir);
    store.setDriverOrigin('main', ORIGIN);
    store.registerEdge('coordinator->store', 'p1', 'http');
    for (const w of workflows) {
      const base = { key: `k${w.seq}`, seq: w.seq, traceparent: w.tp, phase: 'steady', workflow: 'task', workflowId: `u${w.seq}` };
      store.record({ ...base, type: 'invoke', tMs: w.start });
      store.record({ ...base, type: 'info', tMs: w.start + w.total, latencyMs: w.total, entryLatencyMs: w.entry, outcome: 'failed' });
    }
    for (const h of hops) store.hop(h.edge, hopRecord({ startEpochMs: ORIGIN + h.start, latencyMs: h.latency, traceparent: h.tp }));
    const http = store.tailAttribution({ series: 'http', thresholdMs: 20 });
    expect(http).toMatchObject({ series: 'http', workflows: 10, slow: 10, unattributed: 0 });
    expect(http.edges).toEqual([{ edge: 'coordinator->store', dominated: 10, share: 1, meanTimeShare: 18 / 24 }]);
    expect(http.examples[0]).toEqual({ id: 'k0', traceId: http.examples[0]!.traceId, latencyMs: 24, edge: 'coordinator->store', edgeMs: 18 });
    const wf = store.tailAttribution({ series: 'workflow', thresholdMs: 200 });
    expect(wf.edges.map((e) => [e.edge, e.dominated])).toEqual([['researcher->llm', 10]]);
    // Default: the p99 of the workflow latencies (all 250 ms): nothing is strictly slower.
    expect(store.tailAttribution().slow).toBe(0);
    await store.close();
  });
});
