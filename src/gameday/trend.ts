/**
 * The trend between two game days (this one and the previous game day's folder): which budgets
 * got better or worse, which findings are new and which were fixed, each experiment's verdict
 * then and now, and the resilience score's change. Experiments and budgets are matched by name
 * and expression + scope; one only in one of the two is listed as new or gone.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentcheckError } from '../errors.js';
import type { BudgetResult } from '../report/model.js';
import type { ExperimentVerdict, GameDayReport } from './report-model.js';

/** The JSON report's file name in a game-day folder. */
export const GAMEDAY_JSON_FILE = 'gameday.json';

/** How one budget moved. */
export interface BudgetTrend {
  experiment: string;
  expression: string;
  scope: string;
  unit: BudgetResult['unit'];
  before: number | null;
  after: number | null;
  change: 'better' | 'worse' | 'same' | 'new' | 'gone' | 'unknown';
}

/** The comparison with the previous game day. */
export interface Trend {
  previous: { dir: string; startedAt: string; score: number | null };
  score: { before: number | null; after: number | null; delta: number | null };
  verdicts: Array<{ experiment: string; before: ExperimentVerdict | null; after: ExperimentVerdict | null }>;
  budgets: BudgetTrend[];
  newFindings: Array<{ experiment: string; finding: string }>;
  fixedFindings: Array<{ experiment: string; finding: string }>;
}

/** Changes within this share of the objective are "same" (run-to-run noise). */
export const SAME_WITHIN = 0.05;

/** Reads `gameday.json` from a game-day folder (exit 2 when it is missing or not a game-day report). */
export async function readGameDayReport(dir: string): Promise<GameDayReport> {
  const file = path.join(dir, GAMEDAY_JSON_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new AgentcheckError('usage', `${dir}: no ${GAMEDAY_JSON_FILE} here, expected a folder written by \`agentcheck gameday run\``);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AgentcheckError('usage', `${file}: not JSON (${(err as Error).message})`);
  }
  const r = value as Partial<GameDayReport>;
  if (r.kind !== 'gameday' || !Array.isArray(r.experiments)) throw new AgentcheckError('usage', `${file}: not a game-day report (kind "${String(r.kind)}")`);
  return r as GameDayReport;
}

/** Lower is better for latency and error rate; higher for throughput. */
function direction(b: Pick<BudgetResult, 'unit'>): 1 | -1 {
  return b.unit === 'per_second' ? 1 : -1;
}

function budgetChange(before: BudgetResult | undefined, after: BudgetResult | undefined): BudgetTrend['change'] {
  if (!before) return 'new';
  if (!after) return 'gone';
  if (before.measured === null || after.measured === null) return 'unknown';
  const scale = Math.max(Math.abs(after.objective), Math.abs(before.measured), 1e-9);
  const delta = ((after.measured - before.measured) * direction(after)) / scale;
  if (Math.abs(delta) <= SAME_WITHIN) return 'same';
  return delta > 0 ? 'better' : 'worse';
}

/** Compares `current` with `previous` (the report read from `previousDir`). */
export function compareGameDays(current: GameDayReport, previous: GameDayReport, previousDir: string): Trend {
  const names = [...new Set([...previous.experiments.map((e) => e.name), ...current.experiments.map((e) => e.name)])];
  const trend: Trend = {
    previous: { dir: previousDir, startedAt: previous.startedAt, score: previous.score.value },
    score: { before: previous.score.value, after: current.score.value, delta: previous.score.value !== null && current.score.value !== null ? Math.round((current.score.value - previous.score.value) * 10) / 10 : null },
    verdicts: [],
    budgets: [],
    newFindings: [],
    fixedFindings: [],
  };
  for (const name of names) {
    const then = previous.experiments.find((e) => e.name === name);
    const now = current.experiments.find((e) => e.name === name);
    trend.verdicts.push({ experiment: name, before: then?.verdict ?? null, after: now?.verdict ?? null });
    const key = (b: BudgetResult) => `${b.expression}\u0000${b.scope}`;
    const beforeBudgets = new Map((then?.budgets ?? []).map((b) => [key(b), b]));
    const afterBudgets = new Map((now?.budgets ?? []).map((b) => [key(b), b]));
    for (const k of new Set([...beforeBudgets.keys(), ...afterBudgets.keys()])) {
      const b = beforeBudgets.get(k);
      const a = afterBudgets.get(k);
      const any = (a ?? b)!;
      trend.budgets.push({ experiment: name, expression: any.expression, scope: any.scope, unit: any.unit, before: b?.measured ?? null, after: a?.measured ?? null, change: budgetChange(b, a) });
    }
    // Findings of an experiment that did not run now (or then) are neither new nor fixed.
    if (!then || !now || now.verdict === 'interrupted' || then.verdict === 'interrupted') continue;
    const was = new Set(then.findings);
    const is = new Set(now.findings);
    for (const f of is) if (!was.has(f)) trend.newFindings.push({ experiment: name, finding: f });
    for (const f of was) if (!is.has(f)) trend.fixedFindings.push({ experiment: name, finding: f });
  }
  return trend;
}
