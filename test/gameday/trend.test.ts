/** The trend and the score as functions (properties); the trend between real runs is in reference.test.ts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExperimentReport, ExperimentVerdict, GameDayReport } from '../../src/gameday/report-model.js';
import { resilienceScore } from '../../src/gameday/score.js';
import { compareGameDays } from '../../src/gameday/trend.js';

const VERDICTS: ExperimentVerdict[] = ['completed', 'deviated', 'aborted', 'interrupted', 'error', 'invalid'];

const experiment = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'd'),
  verdict: fc.constantFrom(...VERDICTS.filter((v) => v !== 'interrupted')),
  weight: fc.integer({ min: 1, max: 5 }),
  findings: fc.uniqueArray(fc.constantFrom('recovery', 'invariant x', 'budget p(99) < 1s [after]'), { maxLength: 3 }),
  measured: fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: null }),
});

interface ExperimentInput {
  name: string;
  verdict: ExperimentVerdict;
  weight: number;
  findings: string[];
  measured: number | null;
}

function report(exps: ExperimentInput[]): GameDayReport {
  const unique = [...new Map(exps.map((e) => [e.name, e])).values()];
  const experiments = unique.map(
    (e) =>
      ({
        name: e.name,
        verdict: e.verdict,
        weight: e.weight,
        findings: e.findings,
        budgets: [{ expression: 'p(99) < 1s', metric: 'workflow.latency', scope: 'after', status: 'pass', measured: e.measured, objective: 1000, unit: 'ms', samples: 100 }],
      }) as unknown as ExperimentReport,
  );
  return { kind: 'gameday', experiments, score: resilienceScore(experiments), startedAt: '2026-01-01T00:00:00Z' } as unknown as GameDayReport;
}

describe('trend and score', () => {
  it('a game day compared with itself has no new or fixed findings and no budget moved', () => {
    fc.assert(
      fc.property(fc.array(experiment, { maxLength: 4 }), (exps) => {
        const r = report(exps);
        const t = compareGameDays(r, r, 'prev');
        expect(t.newFindings).toEqual([]);
        expect(t.fixedFindings).toEqual([]);
        expect(t.budgets.every((b) => b.change === 'same' || b.change === 'unknown')).toBe(true);
        expect(t.score.delta === null || t.score.delta === 0).toBe(true);
      }),
    );
  });

  it('new findings one way are exactly the fixed findings the other way', () => {
    fc.assert(
      fc.property(fc.array(experiment, { maxLength: 4 }), fc.array(experiment, { maxLength: 4 }), (a, b) => {
        const ra = report(a);
        const rb = report(b);
        const key = (f: { experiment: string; finding: string }) => `${f.experiment}/${f.finding}`;
        expect(compareGameDays(rb, ra, 'a').newFindings.map(key).sort()).toEqual(compareGameDays(ra, rb, 'b').fixedFindings.map(key).sort());
      }),
    );
  });

  it('the score is the weighted share of judged experiments that held, in [0, 100], null when none was judged', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ verdict: fc.constantFrom(...VERDICTS), weight: fc.integer({ min: 1, max: 9 }) }), { maxLength: 8 }), (exps) => {
        const s = resilienceScore(exps);
        const judged = exps.filter((e) => ['completed', 'deviated', 'aborted'].includes(e.verdict)).reduce((a, e) => a + e.weight, 0);
        const held = exps.filter((e) => e.verdict === 'completed').reduce((a, e) => a + e.weight, 0);
        if (judged === 0) expect(s.value).toBeNull();
        // The score is rounded to one decimal: 31.25 shows as 31.3, exactly 0.05 (plus float noise) away.
        else expect(Math.abs(s.value! - (100 * held) / judged)).toBeLessThanOrEqual(0.05 + 1e-9);
        if (s.value !== null) expect(s.value >= 0 && s.value <= 100).toBe(true);
      }),
    );
  });
});
