import { describe, expect, it } from 'vitest';
import { countSlowerThan, createLatencyHistogram, decodeHistogram, encodeHistogram, recordMs, summarizeHistogram } from '../../src/load/histogram.js';
import { LatencyRecorder, toPhaseReports } from '../../src/load/recorder.js';

describe('latency histogram', () => {
  it('keeps microsecond resolution and counts slow values conservatively', () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 1000; i++) recordMs(h, i * 0.5); // 0.5 ms … 500 ms
    const s = summarizeHistogram(h)!;
    expect(s.count).toBe(1000);
    expect(s.min).toBe(0.5);
    expect(Math.abs(s.p50 - 250)).toBeLessThan(0.25);
    expect(Math.abs(s.max - 500)).toBeLessThan(0.5);
    expect(countSlowerThan(h, 300, true)).toBe(401); // 300.0 … 500.0
    expect(countSlowerThan(h, 300, false)).toBeGreaterThanOrEqual(400);
    expect(countSlowerThan(h, 300, false)).toBeLessThanOrEqual(401);
    expect(countSlowerThan(h, 600, true)).toBe(0);
    const back = decodeHistogram(encodeHistogram(h));
    const b = summarizeHistogram(back)!;
    expect([b.count, b.p50, b.p90, b.p99, b.p999]).toEqual([s.count, s.p50, s.p90, s.p99, s.p999]);
  });
});

describe('latency recorder', () => {
  it('files events under their intended start, per phase and per window (1/12 of the phase)', () => {
    const rec = new LatencyRecorder({ graceMs: 0, timelineBucketMs: 1000 });
    rec.beginPhase('a', 0, 12_000);
    rec.record(500, 10, 'ok');
    rec.record(11_999, 10, 'timeout');
    rec.beginPhase('b', 12_000, 6000);
    rec.record(12_000, 30, 'error');
    const s = rec.finish(18_000);
    expect(s.phases.map((p) => [p.name, p.requests, p.errors, p.timeouts, p.windows.length])).toEqual([
      ['a', 2, 1, 1, 12],
      ['b', 1, 1, 0, 12],
    ]);
    expect(s.phases[0]!.windows[0]!.requests).toBe(1);
    expect(s.phases[0]!.windows[11]!.requests).toBe(1);
    expect(s.phases[1]!.windows[0]).toMatchObject({ startMs: 12_000, endMs: 12_500, requests: 1 });
    expect(s.timeline).toHaveLength(18);
    expect(s.timeline[12]).toMatchObject({ tMs: 12_000, requests: 1, errors: 1 });
    expect(s.timeline[5]).toEqual({ tMs: 5000, requests: 0, errors: 0, p50: null, p99: null });
    expect(toPhaseReports(s)[1]).toMatchObject({ name: 'b', startMs: 12_000, endMs: 18_000, requests: 1, errors: 1, throughput: 0 });
  });

  it('memory stays bounded: only spans inside the grace period are live, however long the run', () => {
    const rec = new LatencyRecorder({ graceMs: 5000, timelineBucketMs: 1000 });
    rec.beginPhase('soak', 0, 3_600_000);
    let maxLive = 0;
    // One simulated hour at 20 events/s, advancing the clock as a driver does.
    for (let t = 0; t < 3_600_000; t += 50) {
      rec.record(t, 5 + (t % 7), 'ok');
      if (t % 1000 === 0) {
        rec.advance(t);
        maxLive = Math.max(maxLive, rec.liveHistograms());
      }
    }
    // Live: the phase, ≤ 2 windows (5 min each) and ≤ 7 timeline buckets within the 5 s grace.
    expect(maxLive).toBeLessThanOrEqual(10);
    const s = rec.finish(3_600_000);
    expect(s.phases[0]!.requests).toBe(72_000);
    expect(s.phases[0]!.windows).toHaveLength(12);
    expect(s.timeline).toHaveLength(3600);
  });

  it('a straggler for an already summarised window reopens it and is counted', () => {
    const rec = new LatencyRecorder({ graceMs: 0 });
    rec.beginPhase('p', 0, 1200);
    rec.record(10, 5, 'ok');
    rec.advance(5000);
    expect(rec.liveHistograms()).toBe(1); // only the still-open phase
    rec.record(20, 900, 'error');
    const w = rec.finish(1200).phases[0]!.windows[0]!;
    expect(w.requests).toBe(2);
    expect(w.errors).toBe(1);
    expect(w.latency!.max).toBeGreaterThan(899);
  });
});
