/**
 * The SLO budget grammar: parse and format only. Meaning (which metrics exist, which units fit which
 * statistic) is checked afterwards by `validateBudget` in `budget.ts`, and numbers are judged by
 * `evaluateBudget`; parse → validate → evaluate are separate steps so each error says exactly what
 * is wrong.
 *
 * ```text
 * budget  = ws* [ metric [ scope ] ws+ ] stat ws* op ws* amount ws*    ; latency statistics
 *         | ws* metric [ scope ] ws* op ws* amount ws*                 ; error_rate / throughput metrics
 * metric  = stream "." measure                 ; http.latency, edge.planner->search.error_rate
 * stream  = "http" | "workflow" | "edge." name "->" name
 * measure = "latency" | "error_rate" | "throughput"
 * scope   = "{" ws* "phase" ws* "=" ws* name *( ws* "," ws* name ) ws* "}"
 * stat    = "p(" number ")" | "avg" | "min" | "max" | "error_rate" | "throughput"
 * op      = "<" | "<=" | ">" | ">="
 * amount  = number [ unit ]
 * unit    = "us" | "µs" | "ms" | "s" | "%" | "/s" | "/m"
 * number  = digit+ [ "." digit+ ]
 * name    = 1*( ALPHA | DIGIT | "_" | "-" | "." | ":" )   ; a "-" directly before ">" ends an edge's caller
 * ```
 *
 * Without a metric, `p(N)`, `avg`, `min` and `max` are over `http.latency`, `error_rate` is
 * `http.error_rate` and `throughput` is `http.throughput`. Examples:
 *
 * ```text
 * p(99) < 300ms                                  error_rate < 1%
 * http.latency{phase=baseline,recovery} p(95) <= 1s
 * workflow.latency p(99.9) < 2s                  throughput >= 200/s
 * edge.planner->search.latency avg < 50ms        edge.planner->search.error_rate < 0.5%
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

/** A budget expression as parsed, before it is given meaning (see `validateBudget`). */
export interface BudgetAst {
  /** The metric as written (`http.latency`), or null when the expression starts with a statistic. */
  metric: string | null;
  /** Phases of a `{phase=…}` scope, or null without a scope. */
  phases: string[] | null;
  /** The statistic, or null for the `metric op amount` form (`http.error_rate < 1%`). */
  stat: BudgetStat | null;
  op: BudgetOp;
  amount: number;
  unit: BudgetUnit | null;
  /** Positions of each part in the source, for error carets. */
  spans: { metric?: Span; phases?: Span; stat?: Span; op: Span; amount: Span };
}

/** Statistic keywords besides `p(N)`. */
export const STAT_NAMES = ['avg', 'min', 'max', 'error_rate', 'throughput'] as const;
/** Units a budget's number may carry. */
export const UNITS: readonly BudgetUnit[] = ['us', 'ms', 's', '%', '/s', '/m'];
const OPS: readonly BudgetOp[] = ['<=', '>=', '<', '>'];

const VALID_SUMMARY =
  'a budget is [metric[{phase=NAME,…}]] STAT OP AMOUNT, e.g. `p(99) < 300ms`, `http.latency{phase=baseline} p(95) <= 1s`, ' +
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

  const readScope = (): { phases: string[]; span: Span } => {
    const start = i;
    i++; // '{'
    skipWs();
    const key = readWord();
    if (key.text !== 'phase') fail(key.span.start, key.span.end, `expected 'phase' in a scope like {phase=baseline}, found ${describe(key.span.start)}`);
    skipWs();
    if (src[i] !== '=') fail(i, i + 1, `expected '=' after 'phase', found ${describe(i)}`);
    i++;
    const phases: string[] = [];
    for (;;) {
      skipWs();
      const nameStart = i;
      while (isNameChar(src[i])) i++;
      if (i === nameStart) fail(nameStart, nameStart + 1, `expected a phase name, found ${describe(nameStart)}`);
      phases.push(src.slice(nameStart, i));
      skipWs();
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === '}') {
        i++;
        break;
      }
      fail(i, i + 1, `expected ',' or '}' in the phase scope, found ${describe(i)}`);
    }
    return { phases, span: { start, end: i } };
  };

  const spans: Partial<BudgetAst['spans']> = {};
  const ast: Omit<Partial<BudgetAst>, 'spans'> & { spans: Partial<BudgetAst['spans']> } = { metric: null, phases: null, stat: null, spans };
  skipWs();
  if (i >= src.length) fail(0, 1, 'the budget is empty');
  if (src[i] === 'p' && src[i + 1] === '(') {
    const s = readStat();
    ast.stat = s.stat;
    ast.spans.stat = s.span;
  } else {
    const save = i;
    const w = readWord();
    if (w.text === '') fail(save, save + 1, `expected a metric or a statistic, found ${describe(save)}`);
    if (w.text.includes('.')) {
      ast.metric = w.text;
      ast.spans.metric = w.span;
      if (src[i] === '{') {
        const sc = readScope();
        ast.phases = sc.phases;
        ast.spans.phases = sc.span;
      }
      const afterMetric = i;
      skipWs();
      if (src[i] !== '<' && src[i] !== '>') {
        if (i === afterMetric && i < src.length) fail(i, i + 1, `expected a space after the metric, found ${describe(i)}`);
        const s = readStat();
        ast.stat = s.stat;
        ast.spans.stat = s.span;
      }
    } else {
      i = save;
      const s = readStat();
      ast.stat = s.stat;
      ast.spans.stat = s.span;
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
export function formatBudget(ast: Omit<BudgetAst, 'spans'>): string {
  let head = '';
  if (ast.metric !== null) {
    head = ast.metric;
    if (ast.phases !== null) head += `{phase=${ast.phases.join(',')}}`;
  }
  const stat = ast.stat ? formatStat(ast.stat) : '';
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
