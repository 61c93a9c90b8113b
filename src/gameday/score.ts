/** The game day's resilience score and exit code (docs/gameday.md has both written down). */
import { ExitCode } from '../errors.js';
import type { ExperimentReport, ResilienceScore } from './report-model.js';

/** The score's formula, as the reports print it. */
export const SCORE_FORMULA =
  'score = 100 × Σ weight of experiments that held (completed) ÷ Σ weight of experiments judged (completed, deviated, aborted); invalid, error and interrupted experiments are in neither sum';

/** The weighted share of hypotheses that held, 0..100; null when no experiment could be judged. */
export function resilienceScore(experiments: readonly Pick<ExperimentReport, 'verdict' | 'weight'>[]): ResilienceScore {
  let held = 0;
  let judged = 0;
  for (const e of experiments) {
    if (e.verdict === 'completed' || e.verdict === 'deviated' || e.verdict === 'aborted') judged += e.weight;
    if (e.verdict === 'completed') held += e.weight;
  }
  return { value: judged > 0 ? Math.round((1000 * held) / judged) / 10 : null, formula: SCORE_FORMULA, heldWeight: held, judgedWeight: judged };
}

/**
 * The exit code for schedulers: 130 interrupted; an `error` experiment's own code (3 environment,
 * 2 a configuration the proxy refused, 70 a bug); 1 a hypothesis failed (deviated or aborted);
 * 3 a rollback step failed (the system may not be back as it was); 4 could not judge; 0 all held.
 */
export function exitCodeOf(experiments: readonly ExperimentReport[], interrupted: boolean): { exitCode: number; summary: string } {
  const named = (pred: (e: ExperimentReport) => boolean) => experiments.filter(pred).map((e) => e.name).join(', ');
  if (interrupted || experiments.some((e) => e.verdict === 'interrupted')) return { exitCode: ExitCode.Interrupted, summary: `interrupted (${named((e) => e.verdict === 'interrupted')}); rollback ran for the running experiment` };
  const errored = experiments.filter((e) => e.verdict === 'error');
  if (errored.length > 0) {
    const code = Math.max(...errored.map((e) => e.errorExitCode ?? ExitCode.Environment));
    return { exitCode: code, summary: `could not run ${named((e) => e.verdict === 'error')}` };
  }
  const failed = named((e) => e.verdict === 'deviated' || e.verdict === 'aborted');
  const rollbackFailed = named((e) => e.rollback.some((s) => s.status === 'failed'));
  if (failed) return { exitCode: ExitCode.CheckFailed, summary: `hypothesis failed: ${failed}${rollbackFailed ? `; rollback failed: ${rollbackFailed}` : ''}` };
  if (rollbackFailed) return { exitCode: ExitCode.Environment, summary: `every hypothesis held, but a rollback step failed: ${rollbackFailed}` };
  const invalid = named((e) => e.verdict === 'invalid');
  if (invalid) return { exitCode: ExitCode.InvalidRun, summary: `could not judge: ${invalid}` };
  return { exitCode: ExitCode.Ok, summary: `every hypothesis held (${experiments.length} experiments)` };
}
