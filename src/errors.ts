/**
 * Errors and exit codes. The one table of exit codes lives here; only `src/cli/main.ts` calls
 * `process.exit`, mapping an {@link AgentcheckError}'s code through {@link ExitCode}.
 */

/** Process exit codes of the `agentcheck` CLI (see the README's table). */
export const ExitCode = {
  /** Every check passed. */
  Ok: 0,
  /** A check failed: SLO budget breached, contract mismatch, idempotency or invariant violated. */
  CheckFailed: 1,
  /** Usage or configuration error: bad flag, invalid scenario file. */
  Usage: 2,
  /** Environment problem: port in use, agent failed to start, Docker engine unreachable. */
  Environment: 3,
  /** Invalid run: not enough samples, load generator saturated, no data for an objective. */
  InvalidRun: 4,
  /** Internal error: a bug in agentcheck. */
  Internal: 70,
  /**
   * Interrupted (Ctrl-C, SIGTERM, or SIGHUP from a closed terminal): teardown ran and a partial
   * report marked `aborted` (with the signal) was written. 130 (128 + SIGINT) for every one of
   * them, so scripts test one code.
   */
  Interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The kinds of expected failure a command can report; each maps to one exit code. */
export type AgentcheckErrorCode = 'usage' | 'config' | 'environment' | 'invalid-run' | 'check-failed' | 'internal';

const exitFor: Record<AgentcheckErrorCode, ExitCodeValue> = {
  usage: ExitCode.Usage,
  config: ExitCode.Usage,
  environment: ExitCode.Environment,
  'invalid-run': ExitCode.InvalidRun,
  'check-failed': ExitCode.CheckFailed,
  internal: ExitCode.Internal,
};

/**
 * An expected failure with a message meant for the user (never a stack trace).
 * `hint` says what to do about it.
 */
export class AgentcheckError extends Error {
  override readonly name = 'AgentcheckError';
  constructor(
    readonly code: AgentcheckErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The exit code this error maps to. */
  get exitCode(): ExitCodeValue {
    return exitFor[this.code];
  }
}

/** True when `e` is an {@link AgentcheckError}. */
export function isAgentcheckError(e: unknown): e is AgentcheckError {
  return e instanceof AgentcheckError;
}
