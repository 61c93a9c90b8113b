/**
 * Burn rate: how fast a scope spends its error budget. burn = bad ratio ÷ (1 − objective), so 1×
 * spends exactly the budget and 14.4× would spend a 30-day budget in 2 days (the SRE workbook's page
 * threshold). In CI a scope fails at ≥ 14.4× and warns at ≥ 1×.
 */

/** Burn rate at or above which a scope fails (SRE workbook page threshold). */
export const BURN_RATE_FAIL = 14.4;
/** Burn rate at or above which a scope warns (the budget is being spent faster than allowed). */
export const BURN_RATE_WARN = 1;

/**
 * bad ÷ total ÷ (1 − objective); null when there are no events or the objective leaves no budget
 * (objective ≥ 1).
 */
export function burnRate(bad: number, total: number, objective: number): number | null {
  if (total <= 0 || !(objective < 1) || !(objective >= 0)) return null;
  return bad / total / (1 - objective);
}

/** `fail` at ≥ 14.4×, `warn` at ≥ 1×, else `pass` (null burn rate: `pass`, there is nothing to judge). */
export function classifyBurnRate(rate: number | null): 'pass' | 'warn' | 'fail' {
  if (rate === null) return 'pass';
  // A hair of tolerance so 0.144 / 0.01 (= 14.399999…) counts as the 14.4× it is.
  if (rate >= BURN_RATE_FAIL - 1e-9) return 'fail';
  if (rate >= BURN_RATE_WARN - 1e-9) return 'warn';
  return 'pass';
}

/** One event of a history for {@link burnRateOfHistory}: when it happened and whether it was bad. */
export interface BurnEvent {
  tMs: number;
  bad: boolean;
}

/** Burn rate over a span and over its windows. */
export interface BurnRateResult {
  burnRate: number | null;
  /** One per window, in time order (null for a window with no events). */
  windowBurnRates: Array<number | null>;
  maxWindowBurnRate: number | null;
  /** Worst of the span's and the windows' classification. */
  status: 'pass' | 'warn' | 'fail';
}

/**
 * Burn rate of a raw event history over [startMs, endMs) and over `windows` equal windows of it
 * (default 12, i.e. 1/12 of the span). Events outside the span are ignored.
 */
export function burnRateOfHistory(
  events: readonly BurnEvent[],
  span: { startMs: number; endMs: number; objective: number; windows?: number },
): BurnRateResult {
  const n = Math.max(1, Math.floor(span.windows ?? 12));
  const length = span.endMs - span.startMs;
  const total = new Array<number>(n).fill(0);
  const bad = new Array<number>(n).fill(0);
  let all = 0;
  let allBad = 0;
  for (const e of events) {
    if (!(e.tMs >= span.startMs && e.tMs < span.endMs)) continue;
    const w = Math.min(n - 1, Math.floor(((e.tMs - span.startMs) / length) * n));
    total[w]!++;
    all++;
    if (e.bad) {
      bad[w]!++;
      allBad++;
    }
  }
  const overall = burnRate(allBad, all, span.objective);
  const windowBurnRates = total.map((t, i) => burnRate(bad[i]!, t, span.objective));
  const present = windowBurnRates.filter((r): r is number => r !== null);
  const maxWindowBurnRate = present.length ? Math.max(...present) : null;
  const order = { pass: 0, warn: 1, fail: 2 } as const;
  const status = [classifyBurnRate(overall), classifyBurnRate(maxWindowBurnRate)].reduce((a, b) => (order[b] > order[a] ? b : a));
  return { burnRate: overall, windowBurnRates, maxWindowBurnRate, status };
}
