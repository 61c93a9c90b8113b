import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { exitCodeForVerdict, judgeReport } from '../../src/report/verdict.js';
import { abortedReport, failingReport, invalidReport, passingReport } from './fixtures.js';

describe('judgeReport', () => {
  it('passes when every check passes, naming warnings', () => {
    expect(judgeReport(passingReport())).toEqual({
      verdict: 'pass',
      reasons: ['all 8 checks passed (1 with a warning)', 'budget http.error_rate: error_rate < 1% warned: a window burned the error budget at 1.2×'],
    });
  });

  it('fails on a failed invariant, budget, check or crashed agent, failures first', () => {
    const j = judgeReport(failingReport());
    expect(j.verdict).toBe('fail');
    expect(j.reasons.slice(0, 4)).toEqual([
      'agent notifier crashed: exited with code 1 at 41.2 s',
      'invariant payments-exactly-once failed: 3 orders charged twice: o-1, o-7, o-9',
      'budget http.latency: p(99) < 300ms breached in latency-on-payments: p99 512.8 ms exceeds 300 ms',
      'idempotency duplicate delivery failed: second delivery created a second charge',
    ]);
  });

  it('a failure outranks an invalid check; invalid alone makes the run invalid', () => {
    const mixed = failingReport();
    mixed.budgets.push(...invalidReport().budgets);
    expect(judgeReport(mixed).verdict).toBe('fail');
    const inv = judgeReport(invalidReport());
    expect(inv.verdict).toBe('invalid');
    expect(inv.reasons[0]).toBe('budget workflow.latency: p(99) < 1s could not be judged: no data');
    expect(judgeReport(passingReport(), ['load generator fell behind: 12 % of arrivals late']).verdict).toBe('invalid');
  });

  it('an agent that failed to start is an environment error; an abort outranks everything', () => {
    const r = passingReport();
    r.agents.push({ name: 'planner', runtime: 'process', status: 'failed', error: 'not ready after 10 s' });
    expect(judgeReport(r)).toEqual({ verdict: 'error', reasons: ['agent planner failed to start: not ready after 10 s'] });
    expect(judgeReport({ ...failingReport(), aborted: { signal: 'SIGINT', reason: 'interrupted' } }).verdict).toBe('aborted');
    expect(judgeReport(abortedReport()).reasons[0]).toBe('aborted by SIGINT: interrupted during baseline');
  });

  it('maps verdicts to the documented exit codes', () => {
    expect(exitCodeForVerdict('pass')).toBe(ExitCode.Ok);
    expect(exitCodeForVerdict('fail')).toBe(ExitCode.CheckFailed);
    expect(exitCodeForVerdict('aborted')).toBe(ExitCode.Interrupted);
    expect(exitCodeForVerdict('error')).toBe(ExitCode.Environment);
    expect(exitCodeForVerdict('invalid')).toBe(ExitCode.InvalidRun);
  });
});
