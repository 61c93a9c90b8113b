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
