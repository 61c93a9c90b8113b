import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCountLine, checkKindsLine, countChecks, passHeadline } from '../../src/report/checks.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { CheckStatus, RunReport } from '../../src/report/model.js';
import { judgeReport, verdictLines } from '../../src/report/verdict.js';
import { failingReport, invalidReport, passingReport, workflowReport } from './fixtures.js';

/** The report as the runner finishes it: verdict and reasons from judgeReport. */
function judged(r: RunReport): RunReport {
  const j = judgeReport(r);
  return { ...r, verdict: j.verdict, reasons: j.reasons };
}

/** Every count of checks each output states, as [total, passed] pairs. */
function statedCounts(r: RunReport): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  const cli = /\((\d+) checks?: (\d+) passed/.exec(verdictLines(r)[0] ?? '');
  if (cli) out.cli = [Number(cli[1]), Number(cli[2])];
  const md = /(\d+) checks?: (\d+) passed/.exec(renderMarkdown(r).split('\n').find((l) => l.includes(' · duration ')) ?? '');
  if (md) out.markdown = [Number(md[1]), Number(md[2])];
  const tile = /<div class="k">Checks passed<\/div><div class="v">(\d+)<small> of (\d+)/.exec(renderHtml(r));
  if (tile) out.htmlTile = [Number(tile[2]), Number(tile[1])];
  const xml = renderJunit(r);
  const prop = /<property name="checks" value="(\d+)"\/>/.exec(xml);
  const summary = /<property name="checks.summary" value="(\d+) checks?: (\d+) passed/.exec(xml);
  if (prop && summary) out.junit = [Number(prop[1]), Number(summary[2])];
  // junit.xml's test cases: one per check, plus the run's verdict case.
  const cases = (xml.match(/<testcase /g) ?? []).length - 1;
  out.junitCases = [cases, out.junit?.[1] ?? -1];
  const headline = /^all (\d+) checks passed/.exec(r.reasons[0] ?? '');
  if (headline) out.headline = [Number(headline[1]), Number(headline[1])];
  return out;
}

describe('countChecks', () => {
  it('counts budgets, invariants, agent starts and other checks once each, by status and by kind', () => {
    const c = countChecks(failingReport());
    expect(c).toEqual({ total: 12, pass: 7, fail: 4, warn: 1, invalid: 0, skipped: 0, budgets: 5, invariants: 2, agents: 3, other: 2 });
    expect(c.total).toBe(c.budgets + c.invariants + c.agents + c.other);
    expect(checkCountLine(c)).toBe('12 checks: 7 passed, 4 failed, 1 warned');
    expect(checkKindsLine(c)).toBe('5 budgets, 2 invariants, 3 agent starts, 2 other checks');
  });

  it('words the pass headline without claiming skipped checks passed', () => {
    const base = countChecks({ agents: [], budgets: [], invariants: [], checks: [] });
    expect(passHeadline(base)).toBe('no checks were declared');
    expect(passHeadline({ ...base, total: 1, pass: 1 })).toBe('1 check passed');
    expect(passHeadline({ ...base, total: 5, pass: 4, warn: 1 })).toBe('all 5 checks passed (1 with a warning)');
    expect(passHeadline({ ...base, total: 5, pass: 3, skipped: 2 })).toBe('3 of 5 checks passed (2 skipped)');
    expect(checkCountLine({ ...base, total: 1, pass: 0, invalid: 1 })).toBe('1 check: 0 passed, 1 could not be judged');
  });
});

describe('one count of checks everywhere', () => {
  it.each([
    ['passing', passingReport],
    ['failing', failingReport],
    ['invalid', invalidReport],
    ['workflows', workflowReport],
  ])('the CLI line, summary.md, the HTML tile and junit.xml agree on the %s report', (_name, make) => {
    const r = judged(make());
    const expected = countChecks(r);
    const stated = statedCounts(r);
    expect(Object.keys(stated)).toEqual(expect.arrayContaining(['cli', 'markdown', 'htmlTile', 'junit', 'junitCases']));
    for (const [where, [total, passed]] of Object.entries(stated)) {
      expect({ where, total }).toEqual({ where, total: expected.total });
      if (where !== 'headline') expect({ where, passed }).toEqual({ where, passed: expected.pass });
    }
  });

  it('agree on any mix of statuses (property)', () => {
    const status = fc.constantFrom<CheckStatus>('pass', 'fail', 'warn', 'invalid', 'skipped');
    fc.assert(
      fc.property(
        fc.array(status, { maxLength: 6 }),
        fc.array(status, { maxLength: 6 }),
        fc.array(fc.constantFrom<RunReport['agents'][number]['status']>('started', 'stopped', 'crashed'), { maxLength: 4 }),
        fc.array(status, { maxLength: 6 }),
        (budgets, invariants, agents, checks) => {
          const r = passingReport();
          r.budgets = budgets.map((s, i) => ({ ...r.budgets[0]!, expression: `p(99) < ${i + 1}s`, status: s }));
          r.invariants = invariants.map((s, i) => ({ name: `inv-${i}`, kind: 'http', when: 'end', status: s }));
          r.agents = agents.map((s, i) => ({ name: `agent-${i}`, runtime: 'process', status: s }));
          r.checks = checks.map((s, i) => ({ suite: 'suite', name: `check-${i}`, status: s }));
          const j = judged(r);
          const expected = countChecks(j);
          for (const [where, [total, passed]] of Object.entries(statedCounts(j))) {
            if (total !== expected.total || (where !== 'headline' && passed !== expected.pass)) return false;
          }
          return true;
        },
      ),
      { numRuns: 60 },
    );
  });
});
