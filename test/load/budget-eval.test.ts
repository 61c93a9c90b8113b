import { describe, expect, it } from 'vitest';
import { budgetsStatus, compileBudget, evaluateBudget } from '../../src/load/budget.js';
import { burnRate, burnRateOfHistory, classifyBurnRate } from '../../src/load/burn-rate.js';
import { LatencyRecorder, type Outcome } from '../../src/load/recorder.js';

/** A 12 s phase at 100 events/s: `shape(tMs)` gives each event's latency and outcome. */
function phase(shape: (tMs: number) => { ms: number; outcome?: Outcome }, opts: { name?: string; durationMs?: number; perSecond?: number } = {}) {
  const durationMs = opts.durationMs ?? 12_000;
  const rec = new LatencyRecorder({ graceMs: 1000 });
  rec.beginPhase(opts.name ?? 'steady', 0, durationMs);
  const step = 1000 / (opts.perSecond ?? 100);
  for (let t = 0; t < durationMs; t += step) {
    const s = shape(t);
    rec.record(t, s.ms, s.outcome ?? 'ok');
    if (Math.floor(t) % 500 === 0) rec.advance(t);
  }
  // The same events as the entry hop and as the workflow (a plain request's two series).
  const series = rec.finish(durationMs);
  return { http: series, workflow: series };
}

describe('budget evaluation', () => {
  it('passes a healthy phase and reports measured, samples, burn rate and 12 windows', () => {
    const series = phase((t) => ({ ms: 20 + ((t / 10) % 10) }));
    const [r] = evaluateBudget(compileBudget('p(99) < 300ms'), { series });
    expect(r).toMatchObject({ status: 'pass', scope: 'steady', metric: 'workflow.latency', samples: 1200, objective: 300, unit: 'ms', objectiveRatio: 0.99, burnRate: 0 });
    expect(r!.measured).toBeGreaterThanOrEqual(28.9);
    expect(r!.measured).toBeLessThan(29.1);
    expect(r!.windows).toHaveLength(12);
    expect(r!.windows!.every((w) => w.status === 'pass' && w.samples === 100)).toBe(true);
  });

  it('fails a phase whose p99 breaks the budget', () => {
    // 2 % of events are slow: p99 lands on them.
    const series = phase((t) => ({ ms: Math.floor(t / 10) % 50 === 0 ? 900 : 20 }));
    const [r] = evaluateBudget(compileBudget('p(99) < 300ms'), { series });
    expect(r!.status).toBe('fail');
    expect(r!.measured).toBeGreaterThan(890);
    expect(r!.burnRate).toBeCloseTo(2, 5);
    expect(r!.reason).toMatch(/p\(99\) = 9\d\d ms ≥ 300 ms over phase 'steady'/);
  });

  it('a phase fine for 11/12 that collapses in its last window fails on the window check though the total passes', () => {
    const collapse = (t: number) => (t >= 11_000 ? { ms: 2000, outcome: 'error' as const } : { ms: 20 });
    const series = phase(collapse);
    const [errors] = evaluateBudget(compileBudget('error_rate < 10%'), { series });
    // The phase as a whole is within budget (8.3 % < 10 %)…
    expect(errors!.measured).toBeCloseTo(100 / 1200, 6);
    expect(errors!.measured!).toBeLessThan(0.1);
    // …but its last window is not.
    const last = errors!.windows!.at(-1)!;
    expect(last).toMatchObject({ status: 'fail', measured: 1, samples: 100 });
    expect(errors!.windows!.slice(0, 11).every((w) => w.status === 'pass')).toBe(true);
    expect(errors!.status).toBe('fail');
    expect(errors!.reason).toMatch(/1 of 12 windows fail; first: window 12\/12 \(11–12 s\): error_rate = 100% ≥ 10%/);
    expect(errors!.maxWindowBurnRate).toBeCloseTo(10, 6);

    const [latency] = evaluateBudget(compileBudget('p(90) < 300ms'), { series });
    expect(latency!.measured!).toBeLessThan(300);
    expect(latency!.status).toBe('fail');
    expect(latency!.windows!.at(-1)!.status).toBe('fail');

    // The same budget over the same phase without the collapse passes.
    const [healthy] = evaluateBudget(compileBudget('error_rate < 10%'), { series: phase(() => ({ ms: 20 })) });
    expect(healthy!.status).toBe('pass');
  });

  it('no data is invalid, never a pass', () => {
    const { http } = phase(() => ({ ms: 20 }));
    const series = { http };
    // Only the entry hop recorded: the bare budget (the workflow) has no data.
    const [noStream] = evaluateBudget(compileBudget('p(99) < 1s'), { series });
    expect(noStream).toMatchObject({ status: 'invalid', samples: 0, measured: null });
    expect(noStream!.reason).toMatch(/no data/);
    const [noPhase] = evaluateBudget(compileBudget('http.latency{phase=recovery} p(99) < 1s'), { series });
    expect(noPhase!.status).toBe('invalid');
    expect(budgetsStatus([noStream!])).toBe('invalid');
  });

  it('too few samples for the percentile is invalid (p99 needs 100, p99.9 needs 1000)', () => {
    const few = phase(() => ({ ms: 20 }), { perSecond: 8 }); // 96 events
    const [p99] = evaluateBudget(compileBudget('p(99) < 300ms'), { series: few });
    expect(p99!.status).toBe('invalid');
    expect(p99!.reason).toMatch(/needs at least 100 events, phase 'steady' has 96/);
    const enough = phase(() => ({ ms: 20 }), { perSecond: 9 }); // 108 events
    expect(evaluateBudget(compileBudget('p(99) < 300ms'), { series: enough })[0]!.status).toBe('pass');
    expect(evaluateBudget(compileBudget('p(99.9) < 300ms'), { series: enough })[0]!.status).toBe('invalid');
  });

  it('judges each phase separately and only the phases in scope', () => {
    const rec = new LatencyRecorder();
    rec.beginPhase('baseline', 0, 6000);
    for (let t = 0; t < 6000; t += 10) rec.record(t, 10, 'ok');
    rec.beginPhase('fault', 6000, 6000);
    for (let t = 6000; t < 12000; t += 10) rec.record(t, 800, 'ok');
    const series = { http: rec.finish(12_000) };
    const all = evaluateBudget(compileBudget('http.latency p(99) < 300ms'), { series });
    expect(all.map((r) => [r.scope, r.status])).toEqual([
      ['baseline', 'pass'],
      ['fault', 'fail'],
    ]);
    const scoped = evaluateBudget(compileBudget('http.latency{phase=baseline} p(99) < 300ms'), { series });
    expect(scoped.map((r) => r.scope)).toEqual(['baseline']);
    expect(budgetsStatus(all)).toBe('fail');
  });

  it('a scoped budget reads the scoped series by name and is invalid without it', () => {
    const ok = phase(() => ({ ms: 20 })).http;
    const bad = phase((t) => ({ ms: 20, outcome: Math.floor(t / 10) % 2 === 0 ? 'error' : 'ok' })).http;
    const series = { workflow: ok, 'workflow{workflow=order}': bad, 'edge.a->b{method=message/send}': bad, 'edge.a->b': ok };
    expect(evaluateBudget(compileBudget('error_rate < 1%'), { series })[0]!.status).toBe('pass');
    expect(evaluateBudget(compileBudget('error_rate{workflow=order} < 1%'), { series })[0]!.status).toBe('fail');
    expect(evaluateBudget(compileBudget('edge.a->b.error_rate{method=message/send} < 1%'), { series })[0]!.status).toBe('fail');
    expect(evaluateBudget(compileBudget('edge.a->b.error_rate < 1%'), { series })[0]!.status).toBe('pass');
    const [missing] = evaluateBudget(compileBudget('error_rate{step=send} < 1%'), { series });
    expect(missing!.status).toBe('invalid');
    expect(missing!.reason).toMatch(/workflow\{step=send\} recorded no events/);
  });

  it('throughput counts successful events per second and is a floor', () => {
    const series = phase((t) => ({ ms: 5, outcome: Math.floor(t / 10) % 4 === 0 ? 'error' : 'ok' }));
    const [r] = evaluateBudget(compileBudget('throughput >= 80/s'), { series });
    expect(r!.measured).toBeCloseTo(75, 6);
    expect(r!.status).toBe('fail');
    expect(evaluateBudget(compileBudget('throughput >= 70/s'), { series })[0]!.status).toBe('pass');
  });
});

describe('burn rate', () => {
  it('is bad ratio over (1 − objective)', () => {
    expect(burnRate(1, 100, 0.99)).toBeCloseTo(1, 12);
    expect(burnRate(144, 1000, 0.99)).toBeCloseTo(14.4, 12);
    expect(burnRate(0, 100, 0.99)).toBe(0);
    expect(burnRate(5, 0, 0.99)).toBeNull();
    expect(burnRate(5, 10, 1)).toBeNull();
    expect(classifyBurnRate(14.4)).toBe('fail');
    expect(classifyBurnRate(0.144 / 0.01)).toBe('fail');
    expect(classifyBurnRate(14.3)).toBe('warn');
    expect(classifyBurnRate(1)).toBe('warn');
    expect(classifyBurnRate(0.99)).toBe('pass');
    expect(classifyBurnRate(null)).toBe('pass');
  });

  it('over a constructed history: spread-out bad events warn, the same count bunched in one window fails', () => {
    // 1200 events over 12 s, objective 99 %: 24 bad events = 2 % = burn 2×.
    const spread = Array.from({ length: 1200 }, (_, i) => ({ tMs: i * 10, bad: i % 50 === 0 }));
    const a = burnRateOfHistory(spread, { startMs: 0, endMs: 12_000, objective: 0.99 });
    expect(a.burnRate).toBeCloseTo(2, 9);
    expect(a.windowBurnRates).toHaveLength(12);
    expect(a.windowBurnRates.every((r) => r !== null && Math.abs(r - 2) < 1e-9)).toBe(true);
    expect(a.status).toBe('warn');

    const bunched = Array.from({ length: 1200 }, (_, i) => ({ tMs: i * 10, bad: i >= 1176 }));
    const b = burnRateOfHistory(bunched, { startMs: 0, endMs: 12_000, objective: 0.99 });
    expect(b.burnRate).toBeCloseTo(2, 9);
    expect(b.maxWindowBurnRate).toBeCloseTo(24, 9);
    expect(b.windowBurnRates.slice(0, 11).every((r) => r === 0)).toBe(true);
    expect(b.status).toBe('fail');

    const clean = Array.from({ length: 1200 }, (_, i) => ({ tMs: i * 10, bad: false }));
    expect(burnRateOfHistory(clean, { startMs: 0, endMs: 12_000, objective: 0.99 }).status).toBe('pass');
  });

  it('the evaluator computes the same burn rates from recorded histograms', () => {
    const series = phase((t) => ({ ms: t >= 11_760 ? 900 : 20 }));
    const [r] = evaluateBudget(compileBudget('p(99) < 300ms'), { series });
    expect(r!.burnRate).toBeCloseTo(2, 6);
    expect(r!.maxWindowBurnRate).toBeCloseTo(24, 6);
    expect(r!.status).toBe('fail');
  });
});
