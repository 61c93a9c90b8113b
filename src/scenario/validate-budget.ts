/**
 * SLO budgets in a scenario are checked with the SLO grammar of src/load (parse, then validate
 * against the scenario's phases and edges), so a bad budget is reported at its line and column in
 * the file rather than when the run ends.
 */
import { BudgetError } from '../load/budget-grammar.js';
import { compileBudget } from '../load/budget.js';
import type { BudgetCheckContext, BudgetProblem } from './validate-semantics.js';

/** The problem of one budget expression in this scenario's context, or undefined when it is valid. */
export function checkBudgetExpression(expression: string, context: BudgetCheckContext): BudgetProblem | undefined {
  try {
    compileBudget(expression, { phases: context.phases, edges: context.edges });
    return undefined;
  } catch (err) {
    if (!(err instanceof BudgetError)) throw err;
    const valid = err.valid.replace(/^a budget is /, '');
    return { message: `${err.stage === 'parse' ? 'cannot read budget' : 'invalid budget'}: ${err.reason}, expected ${valid}`, offset: err.span.start };
  }
}
