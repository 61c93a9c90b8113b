/**
 * SLO budgets: validate a parsed expression (see `budget-grammar.ts` for the grammar), then evaluate
 * it per phase and per window (1/12 of the phase) against recorded series.
 *
 * What a result means (the rules in the project's checks reference):
 * - No data, or fewer samples than the statistic needs (p(99) needs ≥ 100, p(99.9) ≥ 1,000,
 *   `error_rate < 1%` ≥ 100), is `invalid` — never a pass.
 * - A phase fails when the statistic over the phase breaks the budget, when any window with enough
 *   samples breaks it (a collapse in the last twelfth is not averaged away), or when the burn rate
 *   over the phase or any window is ≥ 14.4×; it warns at a burn rate ≥ 1×.
 * - For latency percentiles the bad events are the requests slower than the threshold and the
 *   objective is the percentile (p(99) → 0.99); for error_rate the bad events are errors and timeouts
 *   and the objective is 1 − the threshold. avg, min, max and throughput have no burn rate.
 * - throughput counts successful events per second of the phase (or window).
 * - A bare budget (`p(99) < 1s`, `error_rate < 1%`) reads the `workflow` series; `{workflow=…}`,
 *   `{step=…}` and `{method=…}` read scoped series named `<stream>{<key>=<value>}` (for example
 *   `workflow{step=send}`, `edge.intake->planner{method=message/send}`), which the load driver and
 *   the edge collector record under those names.
 */
import type { BudgetResult, BudgetWindowResult, CheckStatus } from '../report/model.js';
import {
  BudgetError,
  closest,
  formatAmount,
  formatStat,
  parseBudget,
  type BudgetAst,
  type BudgetOp,
  type BudgetStat,
  type BudgetUnit,
  type FilterKey,
  type Span,
} from './budget-grammar.js';
import { BURN_RATE_FAIL, BURN_RATE_WARN, burnRate, classifyBurnRate } from './burn-rate.js';
import { countSlowerThan, decodeHistogram, type LatencyHistogram } from './histogram.js';
import type { PhaseData, RecordedSeries, SpanData } from './recorder.js';

/** What a budget measures: latency statistics, the error rate, or successful throughput. */
export type BudgetMeasure = 'latency' | 'error_rate' | 'throughput';

/** A validated budget, ready to evaluate. Thresholds are in ms, ratio (0..1) or per second. */
export interface Budget {
  /** The expression as written. */
  expression: string;
  /** The metric in full: `http.latency`, `edge.planner->search.error_rate`, `workflow.latency{workflow=order}`. */
  metric: string;
  /** The event stream it reads: `http`, `workflow`, `edge.<from>-><to>`. */
  stream: string;
  /** A `workflow=`, `step=` or `method=` scope, when there is one. */
  filter?: { key: FilterKey; value: string };
  /** The series it reads: the stream, or `<stream>{<key>=<value>}` with a filter. */
  series: string;
  measure: BudgetMeasure;
  stat: BudgetStat;
  op: BudgetOp;
  /** The threshold in `unit`. */
  threshold: number;
  unit: 'ms' | 'ratio' | 'per_second';
  /** Phases it is judged in; null means every phase of the run. */
  phases: string[] | null;
  /** Objective ratio for burn rates (p(99) → 0.99; error_rate < 1% → 0.99), when there is one. */
  objective?: number;
  /** Fewest events for a verdict (p(99): 100, p(99.9): 1,000). */
  minSamples: number;
}

/** What a budget may refer to. Omitted lists accept any name (checked against data later). */
export interface BudgetContext {
  /** Phase names of the run. */
  phases?: readonly string[];
  /** Known edges as `<from>-><to>`. */
  edges?: readonly string[];
  /** Streams that exist besides edges (default `http` and `workflow`). */
  streams?: readonly string[];
  /** Workflow names `{workflow=…}` may use (omitted: any). */
  workflows?: readonly string[];
  /** Step names `{step=…}` may use (omitted: any). */
  steps?: readonly string[];
}

/** A budget as a scenario may give it: an expression, or an object with the phases it applies to. */
export type BudgetSpec = string | { budget: string; phases?: string[] };

const LATENCY_STATS = new Set(['percentile', 'avg', 'min', 'max']);

function validError(expression: string, span: Span | undefined, reason: string, valid: string): BudgetError {
  return new BudgetError('validate', expression, span ?? { start: 0, end: expression.length }, reason, valid);
}

/** Every metric name valid in `ctx`, for error messages. */
export function validMetricNames(ctx: BudgetContext = {}): string[] {
  const streams = [...(ctx.streams ?? ['http', 'workflow'])];
  const edges = ctx.edges ? ctx.edges.map((e) => `edge.${e}`) : ['edge.<from>-><to>'];
  const out: string[] = [];
  for (const s of [...streams, ...edges]) for (const m of ['latency', 'error_rate', 'throughput']) out.push(`${s}.${m}`);
  return out;
}

/** Splits `edge.a->b.latency` into stream `edge.a->b` and measure `latency` (null when malformed). */
function splitMetric(metric: string): { stream: string; measure: string } | null {
  const dot = metric.lastIndexOf('.');
  if (dot <= 0) return null;
  return { stream: metric.slice(0, dot), measure: metric.slice(dot + 1) };
}

/**
 * Gives a parsed budget its meaning: resolves the metric, checks the statistic, unit, operator and
 * phases, and normalises the threshold. Throws {@link BudgetError} (stage `validate`, exit 2).
 */
export function validateBudget(ast: BudgetAst, expression: string, ctx: BudgetContext = {}, phases?: readonly string[]): Budget {
  const fail = (span: Span | undefined, reason: string, valid: string): never => {
    throw validError(expression, span, reason, valid);
  };
  const metricNames = validMetricNames(ctx);
  const metricsHint = `valid metrics: ${metricNames.join(', ')}`;

  // Metric → stream + measure. A bare budget judges the workflow.
  let stream = 'workflow';
  let measure: BudgetMeasure;
  if (ast.metric === null) {
    if (!ast.stat) return fail(undefined, 'missing statistic', metricsHint);
    measure = LATENCY_STATS.has(ast.stat.kind) ? 'latency' : (ast.stat.kind as BudgetMeasure);
  } else {
    const parts = splitMetric(ast.metric);
    const knownStreams = ctx.streams ?? ['http', 'workflow'];
    const measureOk = parts && (['latency', 'error_rate', 'throughput'] as const).some((m) => m === parts.measure);
    let streamOk = false;
    if (parts) {
      if (parts.stream.startsWith('edge.')) {
        const edge = parts.stream.slice('edge.'.length);
        const m = /^(.+)->(.+)$/.exec(edge);
        streamOk = m !== null && !m[1]!.includes('->') && (ctx.edges === undefined || ctx.edges.includes(edge));
      } else streamOk = knownStreams.includes(parts.stream);
    }
    if (!parts || !measureOk || !streamOk) {
      const near = closest(ast.metric, metricNames);
      const edgeHint =
        parts?.stream.startsWith('edge.') && measureOk && ctx.edges
          ? `unknown edge '${parts.stream.slice(5)}' (edges: ${ctx.edges.join(', ') || 'none'})`
          : `unknown metric '${ast.metric}'`;
      return fail(ast.spans.metric, `${edgeHint}${near ? `; did you mean '${near}'?` : ''}`, metricsHint);
    }
    stream = parts.stream;
    measure = parts.measure as BudgetMeasure;
  }

  // Statistic fits the measure.
  let stat: BudgetStat;
  if (measure === 'latency') {
    if (!ast.stat) return fail(ast.spans.metric, `${ast.metric} needs a statistic: p(N), avg, min or max`, 'e.g. `http.latency p(99) < 300ms`');
    if (!LATENCY_STATS.has(ast.stat.kind)) {
      return fail(
        ast.spans.stat,
        `${ast.stat.kind} is a metric of its own, not a statistic of latency`,
        `write \`${stream}.${ast.stat.kind} ${ast.stat.kind === 'throughput' ? '>= 200/s' : '< 1%'}\``,
      );
    }
    stat = ast.stat;
  } else if (ast.metric !== null && ast.stat) {
    return fail(ast.spans.stat, `${ast.metric} takes no statistic`, `write \`${ast.metric} ${measure === 'throughput' ? '>= 200/s' : '< 1%'}\``);
  } else stat = { kind: measure };

  if (stat.kind === 'percentile' && !(stat.p > 0 && stat.p < 100)) {
    fail(ast.spans.stat, `percentile must be above 0 and below 100, got ${formatAmount(stat.p)}`, 'use max for the slowest request, e.g. p(99.9)');
  }

  // Operator direction: a budget bounds the bad side only.
  const upper = ast.op === '<' || ast.op === '<=';
  if (measure === 'throughput' && upper) fail(ast.spans.op, 'throughput is a floor: use > or >=', 'e.g. `throughput >= 200/s`');
  if (measure !== 'throughput' && !upper) fail(ast.spans.op, `${formatStat(stat)} is a ceiling: use < or <=`, 'e.g. `p(99) < 300ms`, `error_rate < 1%`');

  // Unit fits the measure; normalise the threshold.
  let threshold: number;
  let unit: Budget['unit'];
  const u: BudgetUnit | null = ast.unit;
  if (measure === 'latency') {
    const scale: Partial<Record<BudgetUnit, number>> = { us: 0.001, ms: 1, s: 1000 };
    const f = u ? scale[u] : undefined;
    if (f === undefined) return fail(ast.spans.amount, u ? `'${u}' is not a duration unit` : 'a latency needs a unit', 'units for latency: us, ms, s (e.g. 300ms, 1.5s)');
    threshold = ast.amount * f;
    unit = 'ms';
  } else if (measure === 'error_rate') {
    if (u !== null && u !== '%') return fail(ast.spans.amount, `'${u}' is not a rate unit`, 'an error rate is a percentage (1%) or a ratio (0.01)');
    threshold = u === '%' ? ast.amount / 100 : ast.amount;
    if (threshold > 1) fail(ast.spans.amount, 'an error rate cannot exceed 100%', 'e.g. `error_rate < 1%` or `error_rate < 0.01`');
    unit = 'ratio';
  } else {
    if (u !== '/s' && u !== '/m') return fail(ast.spans.amount, u ? `'${u}' is not a throughput unit` : 'a throughput needs a unit', 'units for throughput: /s, /m (e.g. 200/s)');
    threshold = u === '/m' ? ast.amount / 60 : ast.amount;
    unit = 'per_second';
  }

  // Phases: inline scope, or the object form's list, not both.
  let scoped: string[] | null = ast.phases;
  if (phases && phases.length > 0) {
    if (scoped) fail(ast.spans.phases, 'phases are given twice (in the expression and in `phases`)', 'keep one of them');
    scoped = [...phases];
  }
  if (scoped && ctx.phases) {
    for (const p of scoped) {
      if (!ctx.phases.includes(p)) {
        const near = closest(p, ctx.phases);
        fail(ast.spans.phases, `unknown phase '${p}'${near ? `; did you mean '${near}'?` : ''}`, `phases: ${ctx.phases.join(', ')}`);
      }
    }
  }

  // Filters: one per budget, on the streams that record it.
  let filter: { key: FilterKey; value: string } | undefined;
  if (ast.filters && ast.filters.length > 0) {
    if (ast.filters.length > 1) fail(ast.spans.filters, `a budget takes one of workflow=, step=, method=, got ${ast.filters.map((f) => f.key).join(' and ')}`, 'write one budget per scope');
    const f = ast.filters[0]!;
    const onEdge = stream.startsWith('edge.');
    const fits = f.key === 'step' ? stream === 'workflow' : f.key === 'workflow' ? stream === 'workflow' || stream === 'http' : stream === 'http' || onEdge;
    if (!fits) {
      const where = f.key === 'step' ? 'the workflow (bare budgets, workflow.*)' : f.key === 'workflow' ? 'workflow.* and http.*' : 'http.* (the entry hop) and edge.*';
      fail(ast.spans.filters, `{${f.key}=…} does not apply to ${stream}.*`, `${f.key}= scopes ${where}`);
    }
    const known = f.key === 'workflow' ? ctx.workflows : f.key === 'step' ? ctx.steps : undefined;
    if (known && !known.includes(f.value)) {
      const near = closest(f.value, known);
      fail(ast.spans.filters, `unknown ${f.key} '${f.value}'${near ? `; did you mean '${near}'?` : ''}`, `${f.key}s: ${known.join(', ') || 'none'}`);
    }
    filter = f;
  }

  let objective: number | undefined;
  let minSamples = 1;
  if (stat.kind === 'percentile') {
    objective = Number((stat.p / 100).toPrecision(12));
    minSamples = Math.ceil(100 / (100 - stat.p) - 1e-9);
  } else if (stat.kind === 'error_rate') {
    objective = Number((1 - threshold).toPrecision(12));
    // To see a 1% error rate you need 100 events; fewer would pass by construction.
    minSamples = threshold > 0 ? Math.ceil(1 / threshold - 1e-9) : 1;
  }
  const label = filter ? `{${filter.key}=${filter.value}}` : '';
  const metric = `${stream}.${measure}${label}`;
  return {
    expression: expression.trim(),
    metric,
    stream,
    ...(filter ? { filter } : {}),
    series: `${stream}${label}`,
    measure,
    stat,
    op: ast.op,
    threshold,
    unit,
    phases: scoped,
    ...(objective !== undefined && objective < 1 ? { objective } : {}),
    minSamples,
  };
}

/** Parses then validates one budget (string or `{budget, phases}` form). Throws {@link BudgetError}. */
export function compileBudget(spec: BudgetSpec, ctx: BudgetContext = {}): Budget {
  const expression = typeof spec === 'string' ? spec : spec.budget;
  const ast = parseBudget(expression);
  return validateBudget(ast, expression, ctx, typeof spec === 'string' ? undefined : spec.phases);
}

/** Compiles every budget; throws the first {@link BudgetError}. */
export function compileBudgets(specs: readonly BudgetSpec[], ctx: BudgetContext = {}): Budget[] {
  return specs.map((s) => compileBudget(s, ctx));
}

/** Recorded data to evaluate budgets against. */
export interface BudgetData {
  /** Recorded series by name (`http`, `workflow`, `edge.<from>-><to>`, scoped `workflow{step=send}`). */
  series: Readonly<Record<string, RecordedSeries | undefined>>;
  /** The run's phases in order; defaults to the phases of the `http` series. */
  phases?: readonly string[];
}

interface Measurement {
  measured: number | null;
  samples: number;
  /** Bad events for the burn rate, when the budget has an objective. */
  bad: number | null;
}

function histogramOf(span: SpanData, cache: Map<SpanData, LatencyHistogram>): LatencyHistogram | null {
  if (!span.histogram) return null;
  let h = cache.get(span);
  if (!h) {
    h = decodeHistogram(span.histogram);
    cache.set(span, h);
  }
  return h;
}

function measure(budget: Budget, span: SpanData, cache: Map<SpanData, LatencyHistogram>): Measurement {
  const samples = span.requests;
  if (samples === 0) return { measured: null, samples, bad: null };
  switch (budget.stat.kind) {
    case 'error_rate':
      return { measured: span.errors / samples, samples, bad: span.errors };
    case 'throughput': {
      const seconds = (span.endMs - span.startMs) / 1000;
      return { measured: seconds > 0 ? (samples - span.errors) / seconds : null, samples, bad: null };
    }
    default: {
      const h = histogramOf(span, cache);
      if (!h) return { measured: null, samples, bad: null };
      const us = (v: number): number => v / 1000;
      const stat = budget.stat;
      // min and max come from the live summary: exact, where a decoded snapshot only knows buckets.
      const measured =
        stat.kind === 'percentile'
          ? us(h.getValueAtPercentile(stat.p))
          : stat.kind === 'avg'
            ? us(h.mean)
            : stat.kind === 'min'
              ? (span.latency?.min ?? us(h.getValueAtPercentile(0)))
              : (span.latency?.max ?? us(h.maxValue));
      const bad = stat.kind === 'percentile' ? countSlowerThan(h, budget.threshold, budget.op === '<') : null;
      return { measured, samples, bad };
    }
  }
}

function holds(budget: Budget, measured: number): boolean {
  switch (budget.op) {
    case '<':
      return measured < budget.threshold;
    case '<=':
      return measured <= budget.threshold;
    case '>':
      return measured > budget.threshold;
    case '>=':
      return measured >= budget.threshold;
  }
}

/** A value in the budget's unit, for reasons: `2.13 s`, `312 ms`, `4.2%`, `180/s`. */
export function formatMeasured(value: number, unit: Budget['unit']): string {
  if (unit === 'ratio') return `${trim(value * 100)}%`;
  if (unit === 'per_second') return `${trim(value)}/s`;
  if (value >= 1000) return `${trim(value / 1000)} s`;
  if (value < 1) return `${trim(value * 1000)} µs`;
  return `${trim(value)} ms`;
}

function trim(x: number): string {
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return String(Number(x.toFixed(digits)));
}

const negate: Record<BudgetOp, string> = { '<': '≥', '<=': '>', '>': '≤', '>=': '<' };

function statLabel(b: Budget): string {
  return formatStat(b.stat);
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

function judgeWindow(budget: Budget, w: SpanData, cache: Map<SpanData, LatencyHistogram>): BudgetWindowResult {
  const m = measure(budget, w, cache);
  const base = { startMs: w.startMs, endMs: w.endMs, measured: m.measured === null ? null : round6(m.measured), samples: m.samples };
  // Too few events to judge a window is not a verdict on the phase; the phase itself decides validity.
  if (m.measured === null || m.samples < budget.minSamples) return { ...base, status: 'skipped' };
  const burn = budget.objective !== undefined && m.bad !== null ? burnRate(m.bad, m.samples, budget.objective) : null;
  let status: CheckStatus = holds(budget, m.measured) ? 'pass' : 'fail';
  const burnClass = classifyBurnRate(burn);
  if (burnClass === 'fail') status = 'fail';
  else if (burnClass === 'warn' && status === 'pass') status = 'warn';
  return { ...base, status, ...(burn !== null ? { burnRate: round6(burn) } : {}) };
}

function evaluateInPhase(budget: Budget, phaseName: string, phase: PhaseData | undefined, cache: Map<SpanData, LatencyHistogram>): BudgetResult {
  const common = {
    expression: budget.expression,
    metric: budget.metric,
    scope: phaseName,
    objective: round6(budget.threshold),
    unit: budget.unit,
    ...(budget.objective !== undefined ? { objectiveRatio: budget.objective } : {}),
  };
  if (!phase || phase.requests === 0) {
    return { ...common, status: 'invalid', measured: null, samples: 0, reason: `no data: ${budget.series} recorded no events in phase '${phaseName}'` };
  }
  const m = measure(budget, phase, cache);
  const windows = phase.windows.map((w) => judgeWindow(budget, w, cache));
  const burn = budget.objective !== undefined && m.bad !== null ? burnRate(m.bad, m.samples, budget.objective) : null;
  const windowBurns = windows.map((w) => w.burnRate).filter((b): b is number => b !== undefined);
  const maxWindowBurn = windowBurns.length ? Math.max(...windowBurns) : null;
  const result: BudgetResult = {
    ...common,
    status: 'pass',
    measured: m.measured === null ? null : round6(m.measured),
    samples: m.samples,
    ...(burn !== null ? { burnRate: round6(burn) } : {}),
    ...(maxWindowBurn !== null ? { maxWindowBurnRate: round6(maxWindowBurn) } : {}),
    windows,
  };
  if (m.measured === null) {
    return { ...result, status: 'invalid', reason: `no data: no latency recorded for ${budget.metric} in phase '${phaseName}'` };
  }
  if (m.samples < budget.minSamples) {
    return {
      ...result,
      status: 'invalid',
      reason: `too few samples: ${statLabel(budget)} needs at least ${budget.minSamples} events, phase '${phaseName}' has ${m.samples}`,
    };
  }
  const reasons: string[] = [];
  const verdict: { status: CheckStatus } = { status: 'pass' };
  const worsen = (s: CheckStatus): void => {
    if (s === 'fail' || (s === 'warn' && verdict.status === 'pass')) verdict.status = s;
  };
  if (!holds(budget, m.measured)) {
    worsen('fail');
    reasons.push(`${statLabel(budget)} = ${formatMeasured(m.measured, budget.unit)} ${negate[budget.op]} ${formatMeasured(budget.threshold, budget.unit)} over phase '${phaseName}' (${m.samples} events)`);
  }
  const failedWindows = windows.filter((w) => w.status === 'fail');
  if (failedWindows.length > 0) {
    worsen('fail');
    const first = failedWindows[0]!;
    const idx = windows.indexOf(first) + 1;
    const what = first.measured !== null && !holds(budget, first.measured)
      ? `${statLabel(budget)} = ${formatMeasured(first.measured, budget.unit)} ${negate[budget.op]} ${formatMeasured(budget.threshold, budget.unit)}`
      : `burn rate ${trim(first.burnRate ?? 0)}× ≥ ${BURN_RATE_FAIL}×`;
    reasons.push(
      `${failedWindows.length} of ${windows.length} windows fail; first: window ${idx}/${windows.length} ` +
        `(${trim(first.startMs / 1000)}–${trim(first.endMs / 1000)} s): ${what}`,
    );
  }
  const phaseBurn = classifyBurnRate(burn);
  if (phaseBurn === 'fail') reasons.push(`burn rate ${trim(burn!)}× ≥ ${BURN_RATE_FAIL}× over phase '${phaseName}'`);
  worsen(phaseBurn);
  const windowBurn = classifyBurnRate(maxWindowBurn);
  worsen(windowBurn);
  const status = verdict.status;
  if (status === 'warn') {
    reasons.push(`burn rate ${trim(Math.max(burn ?? 0, maxWindowBurn ?? 0))}× ≥ ${BURN_RATE_WARN}× (spending the error budget faster than allowed)`);
  }
  const skipped = windows.filter((w) => w.status === 'skipped').length;
  if (skipped > 0 && status !== 'fail') reasons.push(`${skipped} of ${windows.length} windows had too few events to judge on their own`);
  return { ...result, status, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
}

/**
 * Evaluates one budget in each phase it applies to (its own phases, else every phase of the run).
 * One {@link BudgetResult} per phase, with its windows.
 */
export function evaluateBudget(budget: Budget, data: BudgetData): BudgetResult[] {
  const series = data.series[budget.series];
  const runPhases = data.phases ?? data.series['http']?.phases.map((p) => p.name) ?? series?.phases.map((p) => p.name) ?? [];
  const scopes = budget.phases ?? (runPhases.length > 0 ? runPhases : ['run']);
  const cache = new Map<SpanData, LatencyHistogram>();
  return scopes.map((name) => evaluateInPhase(budget, name, series?.phases.find((p) => p.name === name), cache));
}

/** Evaluates every budget (results in budget order, then phase order). */
export function evaluateBudgets(budgets: readonly Budget[], data: BudgetData): BudgetResult[] {
  return budgets.flatMap((b) => evaluateBudget(b, data));
}

/**
 * The overall status of a set of budget results: `fail` if any failed, else `invalid` if any could
 * not be judged, else `warn` if any warned, else `pass` (no budgets: `pass`).
 */
export function budgetsStatus(results: readonly BudgetResult[]): 'pass' | 'warn' | 'fail' | 'invalid' {
  if (results.some((r) => r.status === 'fail')) return 'fail';
  if (results.some((r) => r.status === 'invalid')) return 'invalid';
  if (results.some((r) => r.status === 'warn')) return 'warn';
  return 'pass';
}
