/**
 * The CLI entry: parses arguments with commander, runs one command, and maps its result or
 * error to an exit code. This is the only file that calls `process.exit`.
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { AgentcheckError, ExitCode, type ExitCodeValue } from '../errors.js';
import { enableReaper } from '../reaper/watchdog.js';
import { loadCommands } from './commands/index.js';
import { terminalGone, type RegisterCommand, type RunAction } from './command.js';

// Pact's telemetry tries to reach the internet; behind a closed network it can stall a run.
process.env.PACT_DO_NOT_TRACK ??= 'true';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

// `agentcheck … | head` closes stdout early; that is the reader's choice, not an error. After a
// hangup the terminal is gone (EIO, EPIPE): the run goes on to its teardown and report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (terminalGone()) return;
    if (err.code === 'EPIPE') process.exit(exitCode);
    throw err;
  });
}

// Whatever a command starts (agents, containers, toxics) is registered with a watchdog that
// removes it if this process dies without cleaning up; it is spawned on first use only.
enableReaper({ command: ['agentcheck', ...process.argv.slice(2)].join(' ') });

let exitCode: ExitCodeValue = ExitCode.Ok;

const run: RunAction =
  (fn) =>
  async (...args) => {
    exitCode = await fn(...args);
  };

/** Builds the commander program with the given subcommands registered. */
export function buildProgram(commands: RegisterCommand[]): Command {
  const program = new Command('agentcheck')
    .description('Prove a team of cooperating agents keeps working when the network and its peers misbehave.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // The root's options count only before the subcommand, so a subcommand may have its own
    // --version (`contracts can-i-deploy --version V`).
    .enablePositionalOptions()
    .exitOverride();
  for (const register of commands) register(program, run);
  for (const sub of program.commands) sub.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

function report(err: unknown): ExitCodeValue {
  if (err instanceof CommanderError) {
    // Help and --version are not errors; commander already printed them.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.Ok;
    }
    return ExitCode.Usage;
  }
  if (err instanceof AgentcheckError) {
    process.stderr.write(`agentcheck: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(
    `agentcheck: internal error (a bug in agentcheck): ${detail}\n` +
      'Please report it with the command you ran and this output.\n',
  );
  return ExitCode.Internal;
}

try {
  await buildProgram(await loadCommands(process.argv.slice(2))).parseAsync(process.argv);
  process.exitCode = exitCode;
} catch (err) {
  process.exit(report(err));
}
