/**
 * Number and status formatting shared by the human-readable reporters (Markdown, HTML, progress),
 * so the same figure reads the same everywhere.
 */
import type { BudgetResult, CheckStatus, RunReport, Verdict } from './model.js';

/** Placeholder for a figure that does not exist (no data). */
export const NO_DATA = '–';

function isNum(n: number | null | undefined): n is number {
  return typeof n === 'number' && !Number.isNaN(n);
}

/** Formats milliseconds: `0.42 ms`, `12.3 ms`, `312 ms`, `1.25 s`, `2 min 5 s`. */
export function formatMs(ms: number | null | undefined): string {
  if (!isNum(ms)) return NO_DATA;
  if (!Number.isFinite(ms)) return ms > 0 ? '∞' : '-∞';
  const a = Math.abs(ms);
  if (a === 0) return '0 ms';
  // Each branch is chosen on the rounded value, so 99.96 reads `100 ms`, never `100.0 ms`.
  if (Number(a.toFixed(2)) < 1) return `${ms.toFixed(2)} ms`;
  if (Number(a.toFixed(1)) < 100) return `${ms.toFixed(1)} ms`;
  if (Math.round(a) < 1000) return `${Math.round(ms)} ms`;
  if (Number((a / 1000).toFixed(2)) < 10) return `${(ms / 1000).toFixed(2)} s`;
  if (Number((a / 1000).toFixed(1)) < 60) return `${(ms / 1000).toFixed(1)} s`;
  const totalS = Math.round(a / 1000);
  const sign = ms < 0 ? '-' : '';
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return m > 0 ? `${sign}${h} h ${m} min` : `${sign}${h} h`;
  return s > 0 ? `${sign}${m} min ${s} s` : `${sign}${m} min`;
}

/** Formats a ratio 0..1 as a percentage, two significant digits below 1 % (so 0.01 % is not 0): `0 %`, `0.012 %`, `4.25 %`, `99.8 %`. */
export function formatRatio(r: number | null | undefined): string {
  if (!isNum(r)) return NO_DATA;
  if (!Number.isFinite(r)) return r > 0 ? '∞' : '-∞';
  const p = r * 100;
  if (p === 0) return '0 %';
  const a = Math.abs(p);
  if (a < 0.001) return p > 0 ? '< 0.001 %' : '> -0.001 %';
  if (a < 1) return `${Number(p.toPrecision(2))} %`;
  if (a < 10) return `${p.toFixed(2).replace(/0+$/, '').replace(/\.$/, '')} %`;
  return `${p.toFixed(1).replace(/\.0$/, '')} %`;
}

/** Formats a rate per second: `200/s`, `12.5/s`. */
export function formatRate(n: number | null | undefined): string {
  if (!isNum(n)) return NO_DATA;
  if (!Number.isFinite(n)) return '∞/s';
  return `${Math.abs(n) >= 100 ? Math.round(n) : Number(n.toFixed(1))}/s`;
}

/** Formats a count with thousands separators: `12,345`. */
export function formatCount(n: number | null | undefined): string {
  if (!isNum(n)) return NO_DATA;
  return Math.round(n).toLocaleString('en-US');
}

/** Formats a burn rate multiplier: `0.2×`, `3.4×`, `14.4×`, `120×`. */
export function formatBurn(b: number | null | undefined): string {
  if (!isNum(b)) return NO_DATA;
  if (!Number.isFinite(b)) return '∞×';
  if (b >= 100) return `${Math.round(b)}×`;
  return `${Number(b.toFixed(b >= 10 ? 1 : 2))}×`;
}

/** Formats a value in a budget's unit (ms, ratio, per second). */
export function formatInUnit(value: number | null | undefined, unit: BudgetResult['unit']): string {
  switch (unit) {
    case 'ms':
      return formatMs(value);
    case 'ratio':
      return formatRatio(value);
    case 'per_second':
      return formatRate(value);
  }
}

/** Errors ÷ requests, or null when there were no requests. */
export function errorRatio(errors: number, requests: number): number | null {
  return requests > 0 ? errors / requests : null;
}

/** Upper-case label of a check status: `PASS`, `FAIL`, `WARN`, `INVALID`, `SKIPPED`. */
export function statusLabel(s: CheckStatus): string {
  return s.toUpperCase();
}

/** Emoji for a check status (for Markdown, where colour is not available). */
export function statusEmoji(s: CheckStatus): string {
  switch (s) {
    case 'pass':
      return '✅';
    case 'fail':
      return '❌';
    case 'warn':
      return '⚠️';
    case 'invalid':
      return '⛔';
    case 'skipped':
      return '⏭️';
  }
}

/** Emoji for a run verdict. */
export function verdictEmoji(v: Verdict): string {
  switch (v) {
    case 'pass':
      return '✅';
    case 'fail':
      return '❌';
    case 'invalid':
      return '⛔';
    case 'error':
      return '💥';
    case 'aborted':
      return '🛑';
  }
}

/** One sentence saying what a verdict means for the exit code, for headlines. */
export function verdictMeaning(v: Verdict): string {
  switch (v) {
    case 'pass':
      return 'every check passed';
    case 'fail':
      return 'a check failed';
    case 'invalid':
      return 'the run could not be judged';
    case 'error':
      return 'the environment failed';
    case 'aborted':
      return 'the run was interrupted';
  }
}

/** Human label of a budget: the metric and expression, without repeating the metric when the expression names it. */
export function budgetLabel(b: BudgetResult): string {
  return b.expression.includes(b.metric) ? b.expression : `${b.metric}: ${b.expression}`;
}

/** Formats a fault as `latency on a->b (downstream)`. */
export function faultLabel(f: RunReport['phases'][number]['faults'][number]): string {
  const stream = f.stream ? ` (${f.stream})` : '';
  return `${f.type} on ${f.edge}${stream}`;
}
