import { describe, expect, it } from 'vitest';
import { shrinkFaultSchedule } from '../../src/idempotency/shrink.js';

interface Decision {
  edge: string;
  fault: string;
  at: number;
}

// A schedule as a scenario's fault journal would hold it: many decisions, most irrelevant.
const schedule: Decision[] = Array.from({ length: 24 }, (_, i) => ({
  edge: i % 3 === 0 ? 'planner->payments' : i % 3 === 1 ? 'intake->planner' : 'planner->notifier',
  fault: i % 4 === 0 ? 'drop_response' : i % 4 === 1 ? 'latency' : i % 4 === 2 ? 'duplicate' : 'reset_peer',
  at: i * 100,
}));

describe('shrinkFaultSchedule', () => {
  it('finds the single fault that suffices', async () => {
    // The failure: a dropped response on the payments edge makes the planner retry and double-charge.
    const culprit = schedule[12] as Decision;
    const reproduce = async (subset: Decision[]) => subset.some((d) => d === culprit);
    const r = await shrinkFaultSchedule(schedule, reproduce, { seed: 42 });
    expect(r.reproduced).toBe(true);
    expect(r.minimal).toEqual([culprit]);
    expect(r.indices).toEqual([12]);
    expect(r.oneMinimal).toBe(true);
    expect(r.exhausted).toBe(false);
    expect(r.attempts).toBeGreaterThan(1);
    expect(r.attempts).toBeLessThanOrEqual(100);
  });

  it('keeps every fault of a failure that needs two of them, in the original order', async () => {
    const reproduce = async (subset: Decision[]) =>
      subset.some((d) => d.at === 2000) && subset.some((d) => d.at === 500);
    const r = await shrinkFaultSchedule(schedule, reproduce, { seed: 7 });
    expect(r.minimal.map((d) => d.at)).toEqual([500, 2000]);
    expect(r.oneMinimal).toBe(true);
  });

  it('reports a schedule that does not reproduce, after one rerun, without shrinking', async () => {
    let calls = 0;
    const r = await shrinkFaultSchedule(schedule, async () => {
      calls++;
      return false;
    });
    expect(r.reproduced).toBe(false);
    expect(r.minimal).toHaveLength(schedule.length);
    expect(calls).toBe(1);
  });

  it('never reruns the same subset twice and respects the rerun budget', async () => {
    const seen = new Set<string>();
    let duplicates = 0;
    const reproduce = async (subset: Decision[]) => {
      const id = subset.map((d) => d.at).join(',');
      if (seen.has(id)) duplicates++;
      seen.add(id);
      // Fails whenever at least 3 faults are present: many subsets fail, so the search is long.
      return subset.length >= 3;
    };
    const r = await shrinkFaultSchedule(schedule, reproduce, { maxAttempts: 5, seed: 1 });
    expect(duplicates).toBe(0);
    expect(r.attempts).toBe(5);
    expect(r.exhausted).toBe(true);
    expect(r.oneMinimal).toBe(false);
    expect(r.minimal.length).toBeGreaterThanOrEqual(3);
  });
});
