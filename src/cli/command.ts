import type { Command } from 'commander';
import { AgentcheckError, type ExitCodeValue } from '../errors.js';

/**
 * A command module: adds its subcommand to the program. Its action returns the exit code;
 * it never calls `process.exit` itself (only `cli/main.ts` does).
 */
export type RegisterCommand = (program: Command, run: RunAction) => void;

/** Wraps an action so its returned exit code reaches `main`. */
export type RunAction = <A extends unknown[]>(
  fn: (...args: A) => Promise<ExitCodeValue>,
) => (...args: A) => Promise<void>;

/** Parses an integer flag, or throws a usage error naming the flag. */
export function parseIntFlag(flag: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = Number.isFinite(min) || Number.isFinite(max) ? ` between ${min} and ${max}` : '';
      throw new AgentcheckError('usage', `${flag} expects an integer${range}, got '${value}'`);
    }
    return n;
  };
}

/**
 * The signals that stop a run gracefully (teardown, partial report marked `aborted`, exit 130):
 * Ctrl-C, `kill`, and a hangup (a closed terminal, a dropped SSH session).
 */
export const INTERRUPT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

let hungUp = false;

/** True once a SIGHUP arrived: the terminal may be gone, so writes to it may fail (and must not end the run). */
export function terminalGone(): boolean {
  return hungUp;
}

/** Calls `handler` on each of {@link INTERRUPT_SIGNALS} until the returned function is called. */
export function onInterrupt(handler: (signal: NodeJS.Signals) => void): () => void {
  const listener = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') hungUp = true;
    handler(signal);
  };
  for (const s of INTERRUPT_SIGNALS) process.on(s, listener);
  return () => {
    for (const s of INTERRUPT_SIGNALS) process.off(s, listener);
  };
}

/** Where a command writes; injectable so tests can call a command without a process. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The process's own stdout and stderr. */
export const processIo: CommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};
