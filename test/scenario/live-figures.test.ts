import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestRank } from '../../src/load/attribution.js';
import { LIVE_WINDOW_MS, LiveFigures } from '../../src/scenario/stages/live-figures.js';

describe('LiveFigures (the drive stage running figures)', () => {
  it('holds only the last 60 s of completions when no window is ever read (10 minutes at 500/s)', () => {
    const live = new LiveFigures();
    let maxHeld = 0;
    // 300,000 completions 2 ms apart, nobody reading a window (a run without progress callbacks).
    for (let i = 0; i < 300_000; i++) {
      live.add(i % 10 !== 0, i * 2, 20 + (i % 7));
      maxHeld = Math.max(maxHeld, live.held);
    }
    expect(live.completed).toBe(300_000);
    expect(live.errors).toBe(30_000);
    // 60 s at 500/s is 30,000; compaction lets at most 4,096 forgotten entries wait at the head
    // (plus the window's own), never more than about twice the window.
    expect(maxHeld).toBeGreaterThanOrEqual(30_000);
    expect(maxHeld).toBeLessThanOrEqual(60_002);
    expect(live.held).toBeLessThanOrEqual(60_002);
  });

  it('counts a window exactly: what falls inside it, not what came before', () => {
    const live = new LiveFigures();
    // 10 s of 100 ok completions per second, then 2 s of failures, slow ones.
    for (let t = 0; t < 10_000; t += 10) live.add(true, t, 5);
    for (let t = 10_000; t < 12_000; t += 10) live.add(false, t, 900);
    const last2s = live.window(12_000, 2000);
    expect(last2s.requests).toBe(200);
    expect(last2s.errors).toBe(200);
    expect(last2s.errorRate).toBe(1);
    expect(last2s.p99Ms).toBe(900);
    expect(last2s.goodput).toBe(0);
    const last12s = live.window(12_000, 12_000);
    expect(last12s.requests).toBe(1200);
    expect(last12s.errors).toBe(200);
    expect(last12s.goodput).toBeCloseTo(1000 / 12, 6);
    // A run that is healthy in the window passes, whatever failed earlier.
    for (let t = 12_000; t < 80_000; t += 10) live.add(true, t, 5);
    const healthy = live.window(80_000, 5000);
    expect(healthy.errors).toBe(0);
    expect(healthy.p99Ms).toBe(5);
    expect(live.errors).toBe(200);
  });

  it('a window without latencies has p99 null; windows longer than 60 s see 60 s', () => {
    const live = new LiveFigures();
    for (let t = 0; t < 120_000; t += 100) live.add(true, t, undefined);
    const w = live.window(120_000, 120_000);
    expect(w.p99Ms).toBeNull();
    expect(w.requests).toBe(LIVE_WINDOW_MS / 100);
  });

  it('agrees with a full recomputation over the kept span (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.boolean(), fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined })), { maxLength: 400 }),
        fc.integer({ min: 1, max: 90_000 }),
        (steps, ms) => {
          const live = new LiveFigures();
          const all: Array<[number, boolean, number | undefined]> = [];
          let t = 0;
          for (const [dt, ok, latency] of steps) {
            t += dt;
            live.add(ok, t, latency);
            all.push([t, ok, latency]);
          }
          const now = t + 1;
          const from = now - Math.min(ms, LIVE_WINDOW_MS);
          const inside = all.filter(([at]) => at >= from);
          const w = live.window(now, ms);
          expect(w.requests).toBe(inside.length);
          expect(w.errors).toBe(inside.filter(([, ok]) => !ok).length);
          expect(w.p99Ms).toBe(nearestRank(inside.flatMap(([, , l]) => (l === undefined ? [] : [l])), 99));
        },
      ),
    );
  });
});
