/**
 * `agentcheck scenario …`: the scenario command group. Each subcommand is one entry of
 * {@link scenarioSubcommands}; `run` is added the same way.
 */
import type { Command } from 'commander';
import { AgentcheckError, ExitCode, type ExitCodeValue } from '../../errors.js';
import { scenarioJsonSchemaText } from '../../scenario/json-schema.js';
import { loadScenarioFile, ScenarioValidationError } from '../../scenario/load.js';
import type { RegisterCommand, RunAction } from '../command.js';
import { runSubcommand } from './scenario-run.js';

/** Where a command writes; injectable so tests can call commands without a process. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Validates each file; prints `FILE: ok (N agents, M edges, K phases)` on stdout or every error
 * on stderr. Returns 0 when all are valid, 2 otherwise.
 */
export async function scenarioValidate(files: string[], io: CommandIo = processIo): Promise<ExitCodeValue> {
  let code: ExitCodeValue = ExitCode.Ok;
  for (const file of files) {
    try {
      const s = await loadScenarioFile(file);
      const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
      io.stdout(`${file}: ok (${plural(s.agents.length, 'agent')}, ${plural(s.edges.length, 'edge')}, ${plural(s.phases.length, 'phase')})\n`);
    } catch (err) {
      if (err instanceof ScenarioValidationError) {
        io.stderr(err.issues.map((i) => `${i.text}\n`).join(''));
      } else if (err instanceof AgentcheckError && err.code === 'config') {
        io.stderr(`${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      } else throw err;
      code = ExitCode.Usage;
    }
  }
  return code;
}

/** Prints the scenario JSON Schema (the content of schema/scenario.schema.json). */
export async function scenarioSchemaCommand(io: CommandIo = processIo): Promise<ExitCodeValue> {
  io.stdout(scenarioJsonSchemaText());
  return ExitCode.Ok;
}

/** Adds one subcommand to the `scenario` group. */
export type RegisterScenarioSubcommand = (group: Command, run: RunAction) => void;

const validateSubcommand: RegisterScenarioSubcommand = (group, run) => {
  group
    .command('validate')
    .description('check scenario files without running them; prints FILE:LINE:COL for every problem (exit 2)')
    .argument('<file...>', 'scenario files (.yaml, .yml, .json, .js, .mjs, .ts)')
    .action(run(async (files: string[]) => scenarioValidate(files)));
};

const schemaSubcommand: RegisterScenarioSubcommand = (group, run) => {
  group
    .command('schema')
    .description('print the scenario JSON Schema (for editor completion)')
    .action(run(async () => scenarioSchemaCommand()));
};

/** The subcommands of `agentcheck scenario`, in `--help` order. Adding one is one entry here. */
export const scenarioSubcommands: RegisterScenarioSubcommand[] = [runSubcommand, validateSubcommand, schemaSubcommand];

/** Registers `agentcheck scenario` and its subcommands. */
export const registerScenario: RegisterCommand = (program, run) => {
  const group = program.command('scenario').description('validate and run scenario files');
  for (const register of scenarioSubcommands) register(group, run);
};
