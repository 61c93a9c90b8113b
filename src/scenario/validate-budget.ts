/**
 * SLO budgets in a scenario are checked with the SLO grammar of src/load (parse, then validate
 * against the scenario's phases and edges), so a bad budget is reported at its line and column in
 * the file rather than when the run ends.
 */
import { isAmplificationBudget, parseAmplificationBudget } from '../detect/amplification-budget.js';
import { BudgetError, formatStat } from '../load/budget-grammar.js';
import { compileBudget, type Budget } from '../load/budget.js';
import type { BudgetCheckContext, BudgetProblem, PhaseLoad } from './validate-semantics.js';

/**
 * The problem of one budget expression in this scenario's context, or undefined when it is
 * valid: a grammar or reference error, or (with `context.phaseLoad`) a phase that cannot get
 * the events the statistic needs for a verdict, which would otherwise end the run invalid
 * (exit 4) after it ran in full.
 */
export function checkBudgetExpression(expression: string, context: BudgetCheckContext): BudgetProblem | undefined {
  if (isAmplificationBudget(expression)) {
    const parsed = parseAmplificationBudget(expression, context.edges);
    return typeof parsed === 'string' ? { message: `invalid budget: ${parsed}`, offset: 0 } : undefined;
  }
  let budget: Budget;
  try {
    budget = compileBudget(expression, { phases: context.phases, edges: context.edges });
  } catch (err) {
    if (!(err instanceof BudgetError)) throw err;
    const valid = err.valid.replace(/^a budget is /, '');
    return { message: `${err.stage === 'parse' ? 'cannot read budget' : 'invalid budget'}: ${err.reason}, expected ${valid}`, offset: err.span.start };
  }
  return context.phaseLoad ? sampleSizeProblem(budget, context.phaseLoad, context.scope) : undefined;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * The first judged phase whose load sends fewer events than `budget` needs (src/load/budget.ts:
 * p(99) needs 100, p(99.9) 1,000, error_rate < 1% needs 100). Only the load's own series
 * (bare budgets, `http.*`, `workflow.*`) have a known count: how many calls an edge carries
 * per request is up to the agents. A scope (`{workflow=…}`) only lowers the count, so the
 * unscoped count is a safe bound.
 */
function sampleSizeProblem(budget: Budget, phases: readonly PhaseLoad[], scope: readonly string[] | undefined): BudgetProblem | undefined {
  if (budget.minSamples <= 1 || (budget.stream !== 'http' && budget.stream !== 'workflow')) return undefined;
  for (const phase of phases) {
    if (budget.phases !== null && !budget.phases.includes(phase.name)) continue;
    if (scope !== undefined && !scope.includes(phase.name)) continue;
    // The open model starts one event every 1/rate seconds from the phase's start.
    const events = Math.ceil(phase.rate * phase.seconds - 1e-9);
    if (events >= budget.minSamples) continue;
    return {
      message: `${formatStat(budget.stat)} needs ${budget.minSamples} events; phase ${phase.name} has rate ${round(phase.rate)} × ${round(phase.seconds)} s = ${events}, expected a longer phase, a higher rate (the phase's load.rate) or a budget that needs fewer events`,
      offset: 0,
    };
  }
  return undefined;
}
