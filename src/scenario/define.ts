/**
 * `defineScenario()`: the TypeScript way to write a scenario. It types the object literal (editor
 * completion, compile errors) and validates it at once with the same checks as a YAML file, so a
 * bad module fails where it is defined.
 */
import type { ScenarioInput } from './types.js';
import { issuesWithoutPositions, ScenarioValidationError } from './load.js';
import type { SemanticOptions } from './validate-semantics.js';
import { validateScenarioValue } from './validate.js';

/**
 * Returns `scenario` unchanged after validating it; throws {@link ScenarioValidationError}
 * (exit 2) listing every problem as `field.path: message`. Export the result as the module's
 * default export and pass the file to `agentcheck scenario run`.
 */
export function defineScenario<const S extends ScenarioInput>(scenario: S, options: SemanticOptions = {}): S {
  const issues = validateScenarioValue(scenario, options);
  if (issues.length > 0) throw new ScenarioValidationError(issuesWithoutPositions(issues));
  return scenario;
}
