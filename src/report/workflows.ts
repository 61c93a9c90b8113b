/**
 * Workflow outcomes arranged for reading: a table of outcome classes per phase and workflow, and
 * the error classes with their JSON-RPC method and first message. Shared by the HTML and Markdown
 * reporters (and JUnit's properties), so every report shows the same figures.
 */
import type { RunReport, WorkflowOutcomeCount } from './model.js';

/** The outcome class of a workflow that ended well. Every other class is an error. */
export const OK_CLASS = 'completed';

/** Most outcome classes given their own column; the rest are summed into `other`. */
export const MAX_CLASS_COLUMNS = 8;

/** The label of the row that sums a workflow over every phase. */
export const ALL_PHASES = 'all phases';

/** One row of {@link outcomeTable}: a phase (or {@link ALL_PHASES}) and a workflow. */
export interface OutcomeRow {
  phase: string;
  workflow: string;
  total: number;
  /** Count per column of {@link OutcomeTable.classes}. */
  counts: number[];
  /** Share (0..1) of the row that did not end `completed`. */
  errorShare: number;
}

/** Outcome counts per phase and workflow, one column per class (`completed` first, then by count). */
export interface OutcomeTable {
  classes: string[];
  rows: OutcomeRow[];
}

/**
 * Builds the outcome table: rows in the phases' order (phases unknown to the report after them),
 * workflows by name, and one {@link ALL_PHASES} row per workflow when there is more than one phase.
 * Classes beyond {@link MAX_CLASS_COLUMNS} are summed into a last column `other`.
 */
export function outcomeTable(report: Pick<RunReport, 'phases' | 'workflows'>): OutcomeTable {
  const outcomes = (report.workflows?.outcomes ?? []).filter((o) => Number.isFinite(o.count) && o.count > 0);
  const byClass = new Map<string, number>();
  for (const o of outcomes) byClass.set(o.class, (byClass.get(o.class) ?? 0) + o.count);
  const ranked = [...byClass.entries()]
    .sort(([a, na], [b, nb]) => Number(b === OK_CLASS) - Number(a === OK_CLASS) || nb - na || a.localeCompare(b))
    .map(([c]) => c);
  const overflow = ranked.length > MAX_CLASS_COLUMNS;
  const classes = overflow ? [...ranked.slice(0, MAX_CLASS_COLUMNS - 1), 'other'] : ranked;
  const column = (c: string): number => {
    const i = classes.indexOf(c);
    return i === -1 || (overflow && i === classes.length - 1) ? classes.length - 1 : i;
  };

  const phaseOrder = new Map(report.phases.map((p, i) => [p.name, i]));
  const rows = new Map<string, OutcomeRow>();
  const rowFor = (phase: string, workflow: string): OutcomeRow => {
    const key = JSON.stringify([phase, workflow]);
    let row = rows.get(key);
    if (!row) {
      row = { phase, workflow, total: 0, counts: classes.map(() => 0), errorShare: 0 };
      rows.set(key, row);
    }
    return row;
  };
  const phases = new Set(outcomes.map((o) => o.phase));
  for (const o of outcomes) {
    const targets = [rowFor(o.phase, o.workflow)];
    if (phases.size > 1) targets.push(rowFor(ALL_PHASES, o.workflow));
    for (const row of targets) {
      row.total += o.count;
      row.counts[column(o.class)]! += o.count;
    }
  }
  const okColumn = classes.indexOf(OK_CLASS);
  const rank = (phase: string): number => (phase === ALL_PHASES ? Number.MAX_SAFE_INTEGER : phaseOrder.get(phase) ?? Number.MAX_SAFE_INTEGER - 1);
  const sorted = [...rows.values()].sort(
    (a, b) => a.workflow.localeCompare(b.workflow) || rank(a.phase) - rank(b.phase) || a.phase.localeCompare(b.phase),
  );
  for (const row of sorted) row.errorShare = row.total > 0 ? (row.total - (okColumn === -1 ? 0 : row.counts[okColumn]!)) / row.total : 0;
  return { classes, rows: sorted };
}

/** One error class of {@link errorClasses}: summed over phases, with where it happened. */
export interface ErrorClassRow {
  class: string;
  method?: string;
  workflow: string;
  count: number;
  phases: string[];
  message?: string;
}

/** The non-`completed` outcomes by class, JSON-RPC method and workflow, most frequent first. */
export function errorClasses(outcomes: readonly WorkflowOutcomeCount[]): ErrorClassRow[] {
  const rows = new Map<string, ErrorClassRow>();
  for (const o of outcomes) {
    if (o.class === OK_CLASS || !(o.count > 0)) continue;
    const key = JSON.stringify([o.class, o.method ?? null, o.workflow]);
    let row = rows.get(key);
    if (!row) {
      row = { class: o.class, ...(o.method !== undefined ? { method: o.method } : {}), workflow: o.workflow, count: 0, phases: [] };
      rows.set(key, row);
    }
    row.count += o.count;
    if (!row.phases.includes(o.phase)) row.phases.push(o.phase);
    if (row.message === undefined && o.message !== undefined) row.message = o.message;
  }
  return [...rows.values()].sort((a, b) => b.count - a.count || a.class.localeCompare(b.class) || a.workflow.localeCompare(b.workflow));
}
