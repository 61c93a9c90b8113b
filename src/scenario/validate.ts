/**
 * Scenario validation in one call: the JSON Schema pass, then the semantic pass, on a parsed
 * document. Positions are added by `load.ts`, which knows the source text.
 */
import { validateAgainstSchema } from './validate-schema.js';
import { validateScenarioSemantics, type SemanticOptions, type ToxicCatalogue } from './validate-semantics.js';
import { checkBudgetExpression } from './validate-budget.js';
import { registryToxicCatalogue } from './validate-toxics.js';
import type { ValidationIssue } from './validate-issue.js';

let registryCatalogue: ToxicCatalogue | undefined;

/** The checks agentcheck runs by default: the chaos registry's toxics and the SLO grammar. */
export function defaultSemanticOptions(): SemanticOptions {
  registryCatalogue ??= registryToxicCatalogue();
  return { toxics: registryCatalogue, checkBudget: checkBudgetExpression };
}

/** Every problem of a parsed scenario document (schema and semantics), unsorted. */
export function validateScenarioValue(value: unknown, options: SemanticOptions = {}): ValidationIssue[] {
  return [...validateAgainstSchema(value), ...validateScenarioSemantics(value, { ...defaultSemanticOptions(), ...options })];
}
