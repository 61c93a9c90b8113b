import { describe, expect, it } from 'vitest';
import { bucketWidthMs, downsampleTimeline, formatTimeTick, mergeFaultWindows, niceTicks, renderTimeChart } from '../../src/report/chart.js';
import { formatBurn, formatCount, formatInUnit, formatMs, formatRate, formatRatio } from '../../src/report/format.js';
import { failingReport, makeTimeline } from './fixtures.js';

describe('number formatting', () => {
  it('milliseconds', () => {
    expect([0, 0.42, 0.999, 12.34, 99.96, 312.4, 999.7, 1250, 9_999, 12_345, 59_990, 65_000, 60_000, 3_600_000, 3_660_000, null, undefined, NaN, Infinity].map(formatMs)).toEqual([
      '0 ms', '0.42 ms', '1.0 ms', '12.3 ms', '100 ms', '312 ms', '1.00 s', '1.25 s', '10.0 s', '12.3 s', '1 min', '1 min 5 s', '1 min', '1 h', '1 h 1 min', '–', '–', '–', '∞',
    ]);
  });
  it('ratios as percentages never round a non-zero rate to 0', () => {
    expect([0, 0.0000001, 0.0001234, 0.00049, 0.0123, 0.0425, 0.5, 0.998, 1, null].map(formatRatio)).toEqual([
      '0 %', '< 0.001 %', '0.012 %', '0.049 %', '1.23 %', '4.25 %', '50 %', '99.8 %', '100 %', '–',
    ]);
  });
  it('rates, counts, burn rates, units', () => {
    expect([204.5, 12.25, 0, null].map(formatRate)).toEqual(['205/s', '12.3/s', '0/s', '–']);
    expect([0, 1234567.4, null].map(formatCount)).toEqual(['0', '1,234,567', '–']);
    expect([0.049, 1.2, 14.4, 16.25, 120.4, Infinity, undefined].map(formatBurn)).toEqual(['0.05×', '1.2×', '14.4×', '16.3×', '120×', '∞×', '–']);
    expect(formatInUnit(0.01, 'ratio')).toBe('1 %');
    expect(formatInUnit(300, 'ms')).toBe('300 ms');
    expect(formatInUnit(200, 'per_second')).toBe('200/s');
  });
});

describe('chart helpers', () => {
  it('nice ticks cover the maximum on a 1-2-5 step', () => {
    expect(niceTicks(572)).toEqual([0, 200, 400, 600]);
    expect(niceTicks(0.08)).toEqual([0, 0.02, 0.04, 0.06, 0.08]);
    expect(niceTicks(9450)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(niceTicks(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
  it('time ticks switch to m:ss past two minutes', () => {
    expect(formatTimeTick(30_000, 60_000)).toBe('30 s');
    expect(formatTimeTick(90_000, 600_000)).toBe('1:30');
    expect(formatTimeTick(3_723_000, 7_200_000)).toBe('1:02:03');
  });
  it('bucket width is the most common gap', () => {
    expect(bucketWidthMs(makeTimeline(10, 0, 0), 5)).toBe(1000);
    expect(bucketWidthMs([{ tMs: 0, requests: 1, errors: 0, p50: 1, p99: 1 }], 750)).toBe(750);
  });
  it('downsampling keeps totals and the worst p99', () => {
    const tl = makeTimeline(5000, 2500, 2501);
    const spike = tl[2500];
    if (spike) spike.p99 = 99_999;
    const small = downsampleTimeline(tl, 1000);
    expect(small.length).toBeLessThanOrEqual(1000);
    expect(small.reduce((s, p) => s + p.requests, 0)).toBe(tl.reduce((s, p) => s + p.requests, 0));
    expect(small.reduce((s, p) => s + p.errors, 0)).toBe(tl.reduce((s, p) => s + p.errors, 0));
    expect(Math.max(...small.map((p) => p.p99 ?? 0))).toBe(99_999);
    expect(downsampleTimeline(tl.slice(0, 10), 1000)).toHaveLength(10);
  });
  it('fault windows of one span merge their labels; overlapping windows get separate label rows', () => {
    expect(
      mergeFaultWindows([
        { startMs: 0, endMs: 10, label: 'a' },
        { startMs: 0, endMs: 10, label: 'b' },
        { startMs: 0, endMs: 10, label: 'a' },
        { startMs: 5, endMs: 20, label: 'c' },
      ]),
    ).toEqual([
      { startMs: 0, endMs: 10, label: 'a + b' },
      { startMs: 5, endMs: 20, label: 'c' },
    ]);
    const svg = renderTimeChart({
      title: 't',
      series: [{ name: 's', className: 'p99', points: [[0, 1], [10_000, 2]] }],
      xMaxMs: 20_000,
      formatY: String,
      faults: [
        { startMs: 0, endMs: 10_000, label: 'first' },
        { startMs: 5_000, endMs: 20_000, label: 'second' },
      ],
      phases: [],
    });
    const ys = [...svg.matchAll(/<text class="fault-label" x="[\d.]+" y="([\d.]+)">/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(2);
    expect(ys[0]).not.toBe(ys[1]);
  });
  it('labels too long for their window are shortened with an ellipsis, full text in the tooltip', () => {
    const long = 'x'.repeat(500);
    const svg = renderTimeChart({ title: 't', series: [], xMaxMs: 10_000, formatY: String, faults: [{ startMs: 0, endMs: 1000, label: long }], phases: [] });
    const label = /<text class="fault-label"[^>]*>([^<]*)</.exec(svg)?.[1] ?? '';
    expect(label.length).toBeLessThan(30);
    expect(label.endsWith('…')).toBe(true);
    expect(svg).toContain(`<title>fault: ${long}</title>`);
  });
});
