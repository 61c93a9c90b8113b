/** Words and figures the game-day writers share. */
import { formatMs, formatRate } from '../../report/format.js';
import type { Figures } from '../recovery.js';
import type { ExperimentReport, ExperimentVerdict } from '../report-model.js';

/** What each verdict means, in a few words. */
export const VERDICT_MEANING: Record<ExperimentVerdict, string> = {
  completed: 'the hypothesis held',
  deviated: 'the hypothesis did not hold',
  aborted: 'an abort condition fired; the method was stopped',
  interrupted: 'interrupted by a signal',
  error: 'could not run (environment or bug)',
  invalid: 'ran, but could not be judged',
};

/** `12.3/s · p99 45 ms · 2 of 120 failed`, or `–`. */
export function figuresLine(f: Figures | undefined): string {
  if (!f) return '–';
  return `${formatRate(f.goodput)} goodput · p99 ${formatMs(f.p99Ms)} · ${f.errors} of ${f.requests} failed`;
}

/** The recovery clause in words. */
export function recoveryLine(e: ExperimentReport): string | undefined {
  const r = e.recovery;
  if (!r) return undefined;
  return `${r.status}: ${r.reason}`;
}
