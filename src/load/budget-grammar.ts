/**
 * The SLO budget grammar: parse and format only. Meaning (which metrics exist, which units fit which
 * statistic) is checked afterwards by `validateBudget` in `budget.ts`, and numbers are judged by
 * `evaluateBudget`; parse → validate → evaluate are separate steps so each error says exactly what
 * is wrong.
 *
 * ```text
 * budget  = ws* [ metric [ scope ] ws+ ] stat [ scope ] ws* op ws* amount ws*   ; latency statistics
 *         | ws* metric [ scope ] ws* op ws* amount ws*                          ; error_rate / throughput metrics
 * metric  = stream "." measure                 ; http.latency, edge.planner->search.error_rate
 * stream  = "http" | "workflow" | "edge." name "->" name
 * measure = "latency" | "error_rate" | "throughput"
 * scope   = "{" ws* label *( ws* "," ws* ( label | value ) ) ws* "}"   ; a bare value adds a phase
 * label   = key ws* "=" ws* value
 * key     = "phase" | "workflow" | "step" | "method"
 * value   = 1*( name-char | "/" )              ; method=message/send
 * stat    = "p(" number ")" | "avg" | "min" | "max" | "error_rate" | "throughput"
 * op      = "<" | "<=" | ">" | ">="
 * amount  = number [ unit ]
 * unit    = "us" | "µs" | "ms" | "s" | "%" | "/s" | "/m"
 * number  = digit+ [ "." digit+ ]
 * name    = 1*( ALPHA | DIGIT | "_" | "-" | "." | ":" )   ; a "-" directly before ">" ends an edge's caller
 * ```
 *
 * Without a metric (a bare budget), `p(N)`, `avg`, `min` and `max` are over `workflow.latency`,
 * `error_rate` is `workflow.error_rate` and `throughput` is `workflow.throughput`: the workflow,
 * from its intended start to its terminal outcome. `phase=` may list several phases; `workflow=`,
 * `step=` and `method=` take one value each (at most one of them per budget). Examples:
 *
 * ```text
 * p(99) < 300ms                                  error_rate < 1%
 * http.latency{phase=baseline,recovery} p(95) <= 1s
 * workflow.latency p(99.9) < 2s                  throughput >= 200/s
 * p(99){workflow=order} < 2s                     error_rate{step=send} < 1%
 * edge.planner->search.latency avg < 50ms        edge.intake->planner.error_rate{method=message/send} < 1%
 * ```
 */
import { AgentcheckError } from '../errors.js';

/** A comparison operator of a budget. */
export type BudgetOp = '<' | '<=' | '>' | '>=';

/** A unit as written after a budget's number (null when there was none). */
export type BudgetUnit = 'us' | 'ms' | 's' | '%' | '/s' | '/m';

/** A statistic of a budget: a percentile, or one of the named statistics. */
export type BudgetStat =
  | { kind: 'percentile'; p: number }
  | { kind: 'avg' | 'min' | 'max' | 'error_rate' | 'throughput' };

/** Where a part of the expression sits, as [start, end) character offsets. */
export interface Span {
  start: number;
  end: number;
}

/** Scope keys besides `phase`: they pick a scoped series. */
export const FILTER_KEYS = ['workflow', 'step', 'method'] as const;
/** A scope key besides `phase`. */
export type FilterKey = (typeof FILTER_KEYS)[number];

/** A budget expression as parsed, before it is given meaning (see `validateBudget`). */
export interface BudgetAst {
  /** The metric as written (`http.latency`), or null when the expression starts with a statistic. */
  metric: string | null;
  /** Phases of a `{phase=…}` scope, or null without a scope. */
  phases: string[] | null;
  /** `workflow=`, `step=`, `method=` labels of the scope, in the order written (null without any). */
  filters: Array<{ key: FilterKey; value: string }> | null;
  /** The statistic, or null for the `metric op amount` form (`http.error_rate < 1%`). */
  stat: BudgetStat | null;
  op: BudgetOp;
  amount: number;
  unit: BudgetUnit | null;
  /** Positions of each part in the source, for error carets. */
  spans: { metric?: Span; phases?: Span; filters?: Span; stat?: Span; op: Span; amount: Span };
}

/** Statistic keywords besides `p(N)`. */
export const STAT_NAMES = ['avg', 'min', 'max', 'error_rate', 'throughput'] as const;
/** Units a budget's number may carry. */
export const UNITS: readonly BudgetUnit[] = ['us', 'ms', 's', '%', '/s', '/m'];
const OPS: readonly BudgetOp[] = ['<=', '>=', '<', '>'];

const VALID_SUMMARY =
  'a budget is [metric[{phase=NAME,…}]] STAT[{workflow=NAME}] OP AMOUNT, e.g. `p(99) < 300ms`, `http.latency{phase=baseline} p(95) <= 1s`, `p(99){workflow=order} < 2s`, ' +
  '`error_rate < 1%`, `throughput >= 200/s`; statistics: p(N), avg, min, max, error_rate, throughput; ' +
  'operators: <, <=, >, >=; units: us, ms, s, %, /s, /m';

/**
 * A budget expression that is wrong. `stage` says whether it could not be read (`parse`) or does not
 * make sense (`validate`). The message quotes the expression with a caret under the culprit, says
 * why, and lists what is valid. Exit code 2.
 */
export class BudgetError extends AgentcheckError {
  constructor(
    readonly stage: 'parse' | 'validate',
    readonly expression: string,
    readonly span: Span,
    readonly reason: string,
    readonly valid: string,
  ) {
    super('config', `${stage === 'parse' ? 'cannot read' : 'invalid'} budget: ${reason}\n${caret(expression, span)}`, valid);
  }
}

/** A budget expression that could not be read (the only error {@link parseBudget} throws). */
export class BudgetSyntaxError extends BudgetError {
  constructor(expression: string, span: Span, reason: string, valid = VALID_SUMMARY) {
    super('parse', expression, span, reason, valid);
  }
}

/** The expression on one line and carets under `span` (at least one). */
export function caret(expression: string, span: Span): string {
  // Control characters would break the two-line picture; show them as spaces, keeping offsets.
  const line = expression.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const start = Math.min(Math.max(0, span.start), line.length);
  const width = Math.max(1, Math.min(span.end, line.length) - start);
  return `  ${line}\n  ${' '.repeat(start)}${'^'.repeat(width)}`;
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isNameChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_.:-]/.test(c);
const isValueChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_.:/-]/.test(c);

/**
 * Parses one budget expression (grammar in this module's doc comment). Throws only
 * {@link BudgetSyntaxError}, whatever the input.
 */
export function parseBudget(expression: string): BudgetAst {
  if (typeof expression !== 'string') {
    throw new BudgetSyntaxError(String(expression), { start: 0, end: 1 }, 'a budget must be a string');
  }
  const src = expression;
  let i = 0;
  const fail = (start: number, end: number, reason: string): never => {
    throw new BudgetSyntaxError(src, { start, end: Math.max(end, start + 1) }, reason);
  };
  const skipWs = (): void => {
    while (isSpace(src[i])) i++;
  };
  const describe = (at: number): string => (at >= src.length ? 'the end' : `'${src.slice(at, at + 12).split(/\s/)[0] || src[at]}'`);

  const readNumber = (what: string): { value: number; span: Span } => {
    const start = i;
    while (isDigit(src[i])) i++;
    if (i === start) fail(start, start + 1, `expected ${what}, found ${describe(start)}`);
    if (src[i] === '.') {
      i++;
      const fracStart = i;
      while (isDigit(src[i])) i++;
      if (i === fracStart) fail(fracStart - 1, i, `expected digits after the decimal point in ${what}`);
    }
    const value = Number(src.slice(start, i));
    if (!Number.isFinite(value)) fail(start, i, `${what} is too large`);
    return { value, span: { start, end: i } };
  };

  /** A metric-ish word: name characters, with `->` allowed inside (edges). */
  const readWord = (): { text: string; span: Span } => {
    const start = i;
    for (;;) {
      const c = src[i];
      if (c === '-' && src[i + 1] === '>') {
        i += 2;
        continue;
      }
      if (isNameChar(c)) {
        i++;
        continue;
      }
      break;
    }
    return { text: src.slice(start, i), span: { start, end: i } };
  };

  const readStat = (): { stat: BudgetStat; span: Span } => {
    const start = i;
    if (src[i] === 'p' && src[i + 1] === '(') {
      i += 2;
      skipWs();
      const n = readNumber('a percentile such as 99 in p(99)');
      skipWs();
      if (src[i] !== ')') fail(i, i + 1, `expected ')' to close p(${src.slice(n.span.start, n.span.end)}, found ${describe(i)}`);
      i++;
      return { stat: { kind: 'percentile', p: n.value }, span: { start, end: i } };
    }
    const w = readWord();
    if (w.text === '') fail(start, start + 1, `expected a statistic (p(N), avg, min, max, error_rate, throughput), found ${describe(start)}`);
    const kind = STAT_NAMES.find((s) => s === w.text);
    if (!kind) {
      const near = closest(w.text, ['p(99)', ...STAT_NAMES]);
      const hint = near ? ` (did you mean '${near}'?)` : /^(latency|http|workflow|edge)/.test(w.text) ? ' (a metric has a dot: http.latency)' : '';
      fail(w.span.start, w.span.end, `unknown statistic '${w.text}'${hint}`);
    }
    return { stat: { kind: kind! }, span: w.span };
  };

  const readScope = (): { phases: string[] | null; filters: Array<{ key: FilterKey; value: string }> | null; span: Span } => {
    const start = i;
    i++; // '{'
    let phases: string[] | null = null;
    let filters: Array<{ key: FilterKey; value: string }> | null = null;
    let lastKey: string | null = null;
    for (;;) {
      skipWs();
      const wordStart = i;
      while (isValueChar(src[i])) i++;
      const word = src.slice(wordStart, i);
      skipWs();
      if (src[i] === '=') {
        if (word !== 'phase' && !(FILTER_KEYS as readonly string[]).includes(word)) {
          fail(wordStart, Math.max(i, wordStart + 1), `expected a scope key (phase, workflow, step, method), found ${word ? `'${word}'` : describe(wordStart)}`);
        }
        i++;
        skipWs();
        const valueStart = i;
        while (word === 'phase' ? isNameChar(src[i]) : isValueChar(src[i])) i++;
        if (i === valueStart) fail(valueStart, valueStart + 1, `expected a ${word === 'phase' ? 'phase' : word} name, found ${describe(valueStart)}`);
        const value = src.slice(valueStart, i);
        if (word === 'phase') {
          if (phases) fail(wordStart, wordStart + 5, "'phase' is given twice in the scope; list phases as {phase=a,b}");
          phases = [value];
        } else {
          filters ??= [];
          if (filters.some((f) => f.key === word)) fail(wordStart, wordStart + word.length, `'${word}' is given twice in the scope`);
          filters.push({ key: word as FilterKey, value });
        }
        lastKey = word;
      } else {
        if (word === '') fail(wordStart, wordStart + 1, lastKey === null ? `expected 'phase=' (or workflow=, step=, method=) in a scope like {phase=baseline}, found ${describe(wordStart)}` : `expected a name, found ${describe(wordStart)}`);
        // A bare value continues the phase list: {phase=a, b}.
        if (lastKey !== 'phase') fail(wordStart, i, lastKey === null ? `expected 'phase' in a scope like {phase=baseline}, found '${word}'` : `expected key=value after ',', found '${word}' (only phase= takes several values)`);
        if (!/^[A-Za-z0-9_.:-]+$/.test(word)) fail(wordStart, i, `expected a phase name, found '${word}'`);
        phases!.push(word);
      }
      skipWs();
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === '}') {
        i++;
        break;
      }
      fail(i, i + 1, `expected ',' or '}' in the scope, found ${describe(i)}`);
    }
    return { phases, filters, span: { start, end: i } };
  };

  const spans: Partial<BudgetAst['spans']> = {};
  const ast: Omit<Partial<BudgetAst>, 'spans'> & { spans: Partial<BudgetAst['spans']> } = { metric: null, phases: null, filters: null, stat: null, spans };
  const scopeAt = (): void => {
    if (ast.spans.phases || ast.spans.filters) fail(i, i + 1, 'the scope is given twice; write one {…}');
    const sc = readScope();
    ast.phases = sc.phases;
    ast.filters = sc.filters;
    if (sc.phases) ast.spans.phases = sc.span;
    if (sc.filters) ast.spans.filters = sc.span;
  };
  skipWs();
  if (i >= src.length) fail(0, 1, 'the budget is empty');
  if (src[i] === 'p' && src[i + 1] === '(') {
    const s = readStat();
    ast.stat = s.stat;
    ast.spans.stat = s.span;
    if (src[i] === '{') scopeAt();
  } else {
    const save = i;
    const w = readWord();
    if (w.text === '') fail(save, save + 1, `expected a metric or a statistic, found ${describe(save)}`);
    if (w.text.includes('.')) {
      ast.metric = w.text;
      ast.spans.metric = w.span;
      if (src[i] === '{') scopeAt();
      const afterMetric = i;
      skipWs();
      if (src[i] !== '<' && src[i] !== '>') {
        if (i === afterMetric && i < src.length) fail(i, i + 1, `expected a space after the metric, found ${describe(i)}`);
        const s = readStat();
        ast.stat = s.stat;
        ast.spans.stat = s.span;
        if (src[i] === '{') scopeAt();
      }
    } else {
      i = save;
      const s = readStat();
      ast.stat = s.stat;
      ast.spans.stat = s.span;
      if (src[i] === '{') scopeAt();
    }
  }
  skipWs();
  const opStart = i;
  const op = OPS.find((o) => src.startsWith(o, i));
  if (!op) fail(opStart, opStart + 1, `expected a comparison (<, <=, >, >=), found ${describe(opStart)}`);
  i += op!.length;
  ast.op = op!;
  ast.spans.op = { start: opStart, end: i };
  skipWs();
  const amountStart = i;
  const n = readNumber('a number');
  ast.amount = n.value;
  let unit: BudgetUnit | null = null;
  if (i < src.length && !isSpace(src[i])) {
    const unitStart = i;
    if (src[i] === '%') i++;
    else if (src[i] === '/') {
      i++;
      while (i < src.length && /[A-Za-z]/.test(src[i]!)) i++;
    } else while (i < src.length && /[A-Za-zµ]/.test(src[i]!)) i++;
    const text = src.slice(unitStart, i);
    const normal = text === 'µs' ? 'us' : text;
    unit = UNITS.find((u) => u === normal) ?? null;
    if (!unit) {
      const near = closest(text, UNITS as string[]);
      fail(unitStart, Math.max(i, unitStart + 1), `unknown unit '${text || src[unitStart]}'${near ? ` (did you mean '${near}'?)` : ''}; units: ${UNITS.join(', ')}`);
    }
  }
  ast.unit = unit;
  ast.spans.amount = { start: amountStart, end: i };
  skipWs();
  if (i < src.length) fail(i, src.length, `unexpected ${describe(i)} after the amount`);
  return ast as BudgetAst;
}

/** Formats a number so {@link parseBudget} reads it back exactly (no exponent notation). */
export function formatAmount(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // toFixed(20) is exact enough to round-trip every double we accept (|n| < 1e21).
  for (let digits = 1; digits <= 20; digits++) {
    const t = n.toFixed(digits);
    if (Number(t) === n) return t.replace(/\.?0+$/, '') || '0';
  }
  return n.toFixed(20);
}

/** The text of a statistic: `p(99)`, `avg`, … */
export function formatStat(stat: BudgetStat): string {
  return stat.kind === 'percentile' ? `p(${formatAmount(stat.p)})` : stat.kind;
}

/** Formats a parsed budget back to text; `parseBudget(formatBudget(a))` equals `a` (spans aside). */
export function formatBudget(ast: Omit<BudgetAst, 'spans' | 'filters'> & { filters?: BudgetAst['filters'] }): string {
  const labels: string[] = [];
  if (ast.phases !== null) labels.push(`phase=${ast.phases.join(',')}`);
  for (const f of ast.filters ?? []) labels.push(`${f.key}=${f.value}`);
  const scope = labels.length > 0 ? `{${labels.join(',')}}` : '';
  let head = '';
  let stat = ast.stat ? formatStat(ast.stat) : '';
  if (ast.metric !== null) head = ast.metric + scope;
  else stat += scope;
  const lhs = head && stat ? `${head} ${stat}` : head || stat;
  return `${lhs} ${ast.op} ${formatAmount(ast.amount)}${ast.unit ?? ''}`;
}

/** The closest of `options` to `word` by edit distance, when it is close enough to be a typo. */
export function closest(word: string, options: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
