/**
 * agentcheck's public library API: the one barrel. Explicit named exports only.
 */
export { AgentcheckError, ExitCode, isAgentcheckError } from './errors.js';
export type { AgentcheckErrorCode, ExitCodeValue } from './errors.js';
