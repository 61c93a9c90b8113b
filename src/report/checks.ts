/**
 * The one count of a report's checks. Every place that says how many checks a run had (the CLI's
 * verdict line, the verdict's "all N checks passed", the HTML tile, summary.md, junit.xml's
 * properties) takes it from {@link countChecks}, so they cannot disagree. A check is one judged
 * row: each budget per scope, each invariant per time it was checked, each agent start, and each
 * generic check (contracts, idempotency properties). The JUnit verdict case is not a check: it is
 * the run itself.
 */
import type { CheckStatus, RunReport } from './model.js';

/** What a report's checks are counted from. */
export type CountedReport = Pick<RunReport, 'agents' | 'budgets' | 'invariants' | 'checks'>;

/** Checks by status, and by kind. `total` is the sum of either. */
export interface CheckCounts {
  total: number;
  pass: number;
  fail: number;
  warn: number;
  invalid: number;
  skipped: number;
  budgets: number;
  invariants: number;
  agents: number;
  /** Generic checks (contracts, idempotency properties, detectors). */
  other: number;
}

/** Status of an agent start, as a check: failed to start or crashed is a failure. */
export function agentStatus(a: RunReport['agents'][number]): CheckStatus {
  return a.status === 'failed' || a.status === 'crashed' ? 'fail' : 'pass';
}

/** Counts every check of a report, once. */
export function countChecks(report: CountedReport): CheckCounts {
  const counts: CheckCounts = {
    total: 0,
    pass: 0,
    fail: 0,
    warn: 0,
    invalid: 0,
    skipped: 0,
    budgets: report.budgets.length,
    invariants: report.invariants.length,
    agents: report.agents.length,
    other: report.checks.length,
  };
  const all: CheckStatus[] = [
    ...report.budgets.map((b) => b.status),
    ...report.invariants.map((i) => i.status),
    ...report.agents.map(agentStatus),
    ...report.checks.map((c) => c.status),
  ];
  for (const s of all) {
    counts.total++;
    counts[s]++;
  }
  return counts;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `20 checks: 18 passed, 1 failed, 1 warned` (only the statuses that occur besides passed). */
export function checkCountLine(c: CheckCounts): string {
  const parts = [
    `${c.pass} passed`,
    c.fail ? `${c.fail} failed` : '',
    c.invalid ? `${c.invalid} could not be judged` : '',
    c.warn ? `${c.warn} warned` : '',
    c.skipped ? `${c.skipped} skipped` : '',
  ].filter(Boolean);
  return `${plural(c.total, 'check')}: ${parts.join(', ')}`;
}

/** `10 budgets, 4 invariants, 5 agent starts, 1 other check`: what the checks are, for tooltips and footnotes. */
export function checkKindsLine(c: CheckCounts): string {
  const parts = [
    c.budgets ? plural(c.budgets, 'budget') : '',
    c.invariants ? plural(c.invariants, 'invariant') : '',
    c.agents ? plural(c.agents, 'agent start') : '',
    c.other ? plural(c.other, 'other check') : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no checks';
}

/**
 * The headline of a passing run: `all 20 checks passed (1 with a warning)`, `18 of 20 checks passed
 * (2 skipped)`, or `no checks were declared`.
 */
export function passHeadline(c: CheckCounts): string {
  if (c.total === 0) return 'no checks were declared';
  const warned = c.warn > 0 ? `${c.warn} with a warning` : '';
  if (c.skipped > 0) {
    const notes = [`${c.skipped} skipped`, warned].filter(Boolean).join(', ');
    return `${c.pass + c.warn} of ${plural(c.total, 'check')} passed (${notes})`;
  }
  const passed = c.total === 1 ? '1 check passed' : `all ${c.total} checks passed`;
  return `${passed}${warned ? ` (${warned})` : ''}`;
}
