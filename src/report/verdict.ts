/**
 * One rule for turning a report's checks into its verdict and exit code, so `scenario run`, `load` and
 * `idempotency` judge alike. Precedence: aborted > error (an agent failed to start) > fail > invalid > pass.
 * A real failure outranks "could not judge": a breached budget is a finding even if another budget had no data.
 */
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { checkCountLine, countChecks, passHeadline } from './checks.js';
import { budgetLabel } from './format.js';
import type { RunReport, Verdict } from './model.js';

/** The verdict of a run and why, one line per reason (the first is the headline). */
export interface Judgement {
  verdict: Verdict;
  reasons: string[];
}

/** The exit code of a verdict: pass 0, fail 1, error 3, invalid 4, aborted (interrupted) 130. */
export function exitCodeForVerdict(verdict: Verdict): ExitCodeValue {
  switch (verdict) {
    case 'pass':
      return ExitCode.Ok;
    case 'fail':
      return ExitCode.CheckFailed;
    case 'aborted':
      return ExitCode.Interrupted;
    case 'error':
      return ExitCode.Environment;
    case 'invalid':
      return ExitCode.InvalidRun;
  }
}

type Judged = Pick<RunReport, 'agents' | 'budgets' | 'invariants' | 'checks'> & Partial<Pick<RunReport, 'aborted'>>;

/**
 * Judges a report from its checks (budgets, invariants, agent starts, generic checks) and `aborted`.
 * `extraInvalid` adds reasons that make the run invalid on their own (e.g. "load generator saturated").
 */
export function judgeReport(report: Judged, extraInvalid: string[] = []): Judgement {
  const failed: string[] = [];
  const invalid: string[] = [...extraInvalid];
  const warned: string[] = [];
  const notStarted: string[] = [];
  for (const a of report.agents) {
    if (a.status === 'failed') notStarted.push(`agent ${a.name} failed to start${a.error ? `: ${a.error}` : ''}`);
    if (a.status === 'crashed') failed.push(`agent ${a.name} crashed${a.error ? `: ${a.error}` : ''}`);
  }
  for (const i of report.invariants) {
    const line = `invariant ${i.name} ${i.status === 'fail' ? 'failed' : 'could not be checked'}${i.finding ? `: ${i.finding}` : ''}`;
    if (i.status === 'fail') failed.push(line);
    else if (i.status === 'invalid') invalid.push(line);
    else if (i.status === 'warn') warned.push(`invariant ${i.name} warned${i.finding ? `: ${i.finding}` : ''}`);
  }
  for (const b of report.budgets) {
    const where = b.scope === 'run' ? '' : ` in ${b.scope}`;
    const why = b.reason ? `: ${b.reason}` : '';
    if (b.status === 'fail') failed.push(`budget ${budgetLabel(b)} breached${where}${why}`);
    else if (b.status === 'invalid') invalid.push(`budget ${budgetLabel(b)} could not be judged${where}${why}`);
    else if (b.status === 'warn') warned.push(`budget ${budgetLabel(b)} warned${where}${why}`);
  }
  for (const c of report.checks) {
    const why = c.message ? `: ${c.message}` : '';
    if (c.status === 'fail') failed.push(`${c.suite} ${c.name} failed${why}`);
    else if (c.status === 'invalid') invalid.push(`${c.suite} ${c.name} could not be judged${why}`);
    else if (c.status === 'warn') warned.push(`${c.suite} ${c.name} warned${why}`);
  }
  if (report.aborted) {
    const by = report.aborted.signal ? ` by ${report.aborted.signal}` : '';
    return { verdict: 'aborted', reasons: [`aborted${by}: ${report.aborted.reason}`, ...notStarted, ...failed, ...invalid] };
  }
  if (notStarted.length > 0) return { verdict: 'error', reasons: [...notStarted, ...failed] };
  if (failed.length > 0) return { verdict: 'fail', reasons: [...failed, ...invalid, ...warned] };
  if (invalid.length > 0) return { verdict: 'invalid', reasons: [...invalid, ...warned] };
  return { verdict: 'pass', reasons: [passHeadline(countChecks(report)), ...warned] };
}

/**
 * What the CLI prints for a finished run: `PASS: <title> (20 checks: 20 passed)`, then each reason
 * indented. The count is {@link countChecks}', the same as every report file shows.
 */
export function verdictLines(report: RunReport): string[] {
  const reasons = report.reasons.map((r) => `  - ${r}`);
  return [`${report.verdict.toUpperCase()}: ${report.title} (${checkCountLine(countChecks(report))})`, ...reasons];
}
