/**
 * agentcheck's public library API: the one barrel. Explicit named exports only.
 */
export { AgentcheckError, ExitCode, isAgentcheckError } from './errors.js';
export type { AgentcheckErrorCode, ExitCodeValue } from './errors.js';
export { defineScenario } from './scenario/define.js';
export { loadScenarioFile, parseScenarioText, scenarioFromValue, ScenarioValidationError } from './scenario/load.js';
export type { LoadScenarioOptions, ScenarioIssue } from './scenario/load.js';
export { parseDuration, formatDuration } from './scenario/duration.js';
export { scenarioJsonSchema } from './scenario/json-schema.js';
export { toxicRequestBody } from './scenario/fault-toxic.js';
export type {
  Scenario,
  ScenarioAgent,
  ScenarioEdge,
  ScenarioFault,
  ScenarioPhase,
  ScenarioLoad,
  ScenarioRequest,
  ScenarioSlo,
  ScenarioInvariant,
  Readiness,
  ScenarioInput,
  AgentInput,
  EdgeInput,
  PhaseInput,
  FaultInput,
  FaultMatchInput,
  LoadInput,
  RequestInput,
  SloInput,
  InvariantInput,
  ChaosInput,
  DurationInput,
  CommandInput,
  HttpMethod,
} from './scenario/types.js';
export type { ToxicRequestBody } from './scenario/fault-toxic.js';
