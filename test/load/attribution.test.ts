import { describe, expect, it } from 'vitest';
import { attributeTail, edgeTimes, nearestRank, type HopRecord, type WorkflowSample } from '../../src/load/attribution.js';
import { createRng } from '../../src/chaos/rng.js';
import { randomTraceparent } from '../../src/load/template.js';

/** Rewrites a traceparent's span id, as every hop does (the trace id stays). */
const hopOf = (tp: string, span: string) => tp.replace(/^(00-[0-9a-f]{32}-)[0-9a-f]{16}/, `$1${span.padStart(16, '0')}`);

describe('tail attribution', () => {
  it('attributes each slow workflow to the edge that took most of its time, joined on trace id', () => {
    const rng = createRng('attr');
    const workflows: WorkflowSample[] = [];
    const hops: HopRecord[] = [];
    for (let i = 0; i < 100; i++) {
      const tp = randomTraceparent(rng);
      // 90 fast workflows; 6 slow in search, 3 slow in payments, 1 slow without any hop record.
      const slowEdge = i < 6 ? 'planner->search' : i < 9 ? 'intake->payments' : null;
      const noHops = i === 9;
      const latency = slowEdge || noHops ? 1500 : 120;
      workflows.push({ traceparent: tp, latencyMs: latency, id: `w${i}` });
      if (noHops) continue;
      hops.push({ edge: 'intake->planner', traceparent: hopOf(tp, 'a1'), latencyMs: 40 });
      hops.push({ edge: 'edge.planner->search', traceparent: hopOf(tp, 'b2'), latencyMs: slowEdge === 'planner->search' ? 1300 : 30 });
      hops.push({ edge: 'intake->payments', traceparent: hopOf(tp, 'c3'), latencyMs: slowEdge === 'intake->payments' ? 1200 : 25 });
    }
    const a = attributeTail(workflows, hops, { thresholdMs: 300 });
    expect(a).toMatchObject({ thresholdMs: 300, workflows: 100, slow: 10, unattributed: 1 });
    expect(a.edges.map((e) => [e.edge, e.dominated, e.share])).toEqual([
      ['planner->search', 6, 0.6],
      ['intake->payments', 3, 0.3],
    ]);
    expect(a.edges[0]!.meanTimeShare).toBeCloseTo(1300 / 1500, 9);
    expect(a.examples).toHaveLength(10);
    expect(a.examples.find((e) => e.id === 'w9')!.edge).toBeNull();
  });

  it('uses the workflows’ percentile as threshold when none is given', () => {
    const rng = createRng('p');
    const workflows = Array.from({ length: 200 }, (_, i) => ({ traceparent: randomTraceparent(rng), latencyMs: i + 1 }));
    const a = attributeTail(workflows, [], { percentile: 99 });
    expect(a.thresholdMs).toBe(198);
    expect(a.slow).toBe(2);
    expect(nearestRank([], 50)).toBeNull();
  });

  it('with start times, an inner hop is subtracted from the outer one so the real culprit wins', () => {
    // intake->planner (0..1000) waits on planner->search (100..900): self times 200 vs 800.
    const hops: HopRecord[] = [
      { edge: 'intake->planner', traceparent: 't', latencyMs: 1000, startMs: 0 },
      { edge: 'planner->search', traceparent: 't', latencyMs: 800, startMs: 100 },
    ];
    const t = edgeTimes(hops);
    expect(t.get('intake->planner')).toBe(200);
    expect(t.get('planner->search')).toBe(800);
    // Without start times the outer hop counts in full.
    const raw = edgeTimes(hops.map(({ startMs: _s, ...h }) => h));
    expect(raw.get('intake->planner')).toBe(1000);
  });

  it('sums repeated hops on one edge (retries) within a workflow', () => {
    const t = edgeTimes([
      { edge: 'a->b', traceparent: 't', latencyMs: 300 },
      { edge: 'a->b', traceparent: 't', latencyMs: 300 },
      { edge: 'a->c', traceparent: 't', latencyMs: 500 },
    ]);
    expect(t.get('a->b')).toBe(600);
  });
});
