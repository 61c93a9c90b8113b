/**
 * Amplification budgets in a scenario's `slo` list: `edge.<from>-><to>.amplification <= 1.2`
 * (also `<`). They are not latency or error budgets over a recorded series but limits for the
 * retry-amplification detector on one edge, judged per phase like every budget; the detector's
 * check for that edge then says which budget it held to.
 */

/** A parsed amplification budget. */
export interface AmplificationBudget {
  expression: string;
  edge: string;
  op: '<' | '<=';
  limit: number;
}

const SHAPE = /^\s*edge\.([A-Za-z][A-Za-z0-9_-]*->[A-Za-z][A-Za-z0-9_-]*)\.amplification\s*(<=|<|>=|>)\s*(\d+(?:\.\d+)?)\s*$/;

/** True for an expression about amplification (well-formed or not): it is parsed here, not by the SLO grammar. */
export function isAmplificationBudget(expression: string): boolean {
  return /\.amplification\b/.test(expression);
}

/**
 * Parses an amplification budget against the scenario's edges; a string is the problem, said in
 * the SLO grammar's words (what is wrong, expected what).
 */
export function parseAmplificationBudget(expression: string, edges: readonly string[]): AmplificationBudget | string {
  const m = SHAPE.exec(expression);
  if (!m) return 'an amplification budget is edge.<from>-><to>.amplification <= N, e.g. `edge.planner->payments.amplification <= 1.2`';
  const [, edge, op, amount] = m as unknown as [string, string, string, string];
  if (!edges.includes(edge)) return `unknown edge '${edge}', expected one of: ${edges.join(', ') || '(no edges)'}`;
  if (op === '>' || op === '>=') return `amplification is a ceiling: use < or <=, e.g. \`edge.${edge}.amplification <= 1.2\``;
  const limit = Number(amount);
  if (limit < 1) return `got ${amount}, expected a factor of at least 1 (one attempt per logical request)`;
  return { expression: expression.trim(), edge, op: op as '<' | '<=', limit };
}
