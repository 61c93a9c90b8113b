/**
 * `agentcheck scenario run FILE`: the command users run most. Loads and validates the scenario,
 * runs it, writes the four reports, prints the verdict, and maps it to an exit code. Ctrl-C
 * aborts the run gracefully (teardown, partial report); a second Ctrl-C exits at once (agents'
 * process groups are still killed by the runtime's exit hook).
 */
import path from 'node:path';
import { Option } from 'commander';
import { AgentcheckError, ExitCode, isAgentcheckError, type ExitCodeValue } from '../../errors.js';
import { createProgress } from '../../report/progress.js';
import { appendStepSummary, defaultRunDir, writeReports } from '../../report/write.js';
import type { RunReport } from '../../report/model.js';
import { exitCodeForVerdict } from '../../report/verdict.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { runScenarioDetailed } from '../../scenario/runner.js';
import type { RegisterScenarioSubcommand } from './scenario.js';

/** Options of `agentcheck scenario run`. */
export interface ScenarioRunFlags {
  out?: string;
  toxiproxyUrl?: string;
  seed?: string;
  runtime?: 'process' | 'containers';
  progress?: boolean;
}

/** The exit code of a finished run: the verdict's, or, for `error`, the code of the error that ended it. */
function exitCodeFor(report: RunReport, error?: unknown): ExitCodeValue {
  if (report.verdict === 'error' && error !== undefined) return isAgentcheckError(error) ? error.exitCode : ExitCode.Internal;
  return exitCodeForVerdict(report.verdict);
}

/** Runs one scenario file from the CLI; returns the exit code. */
export async function scenarioRun(file: string, flags: ScenarioRunFlags): Promise<ExitCodeValue> {
  const scenario = await loadScenarioFile(file);
  const runtime = flags.runtime ?? scenario.runtime;
  const outDir = path.resolve(flags.out ?? defaultRunDir());

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nagentcheck: ${sig} received, stopping the run and cleaning up (press Ctrl-C again to quit at once)\n`);
      controller.abort(sig);
    } else {
      process.exit(ExitCode.Interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = flags.progress === false ? undefined : createProgress({ stream: process.stderr });
  progress?.log(`agentcheck: running ${scenario.name} (${scenario.agents.length} agents, ${scenario.edges.length} edges, ${scenario.phases.length} phases); reports in ${outDir}`);
  try {
    const { report, error } = await runScenarioDetailed(scenario, {
      outDir,
      ...(flags.toxiproxyUrl ? { toxiproxyUrl: flags.toxiproxyUrl } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      signal: controller.signal,
      runtime,
      ...(progress ? { onLog: (line: string) => progress.log(line) } : {}),
      ...(progress
        ? { onProgress: (e) => progress.update({ phase: e.phase, elapsedMs: e.elapsedMs, totalMs: e.totalMs, requests: e.requests, errors: e.errors }) }
        : {}),
    });
    progress?.finish();
    const paths = await writeReports(report, outDir);
    await appendStepSummary(report).catch(() => undefined);
    const out = process.stdout;
    out.write(`${report.verdict.toUpperCase()}: ${report.title}\n`);
    for (const reason of report.reasons) out.write(`  - ${reason}\n`);
    out.write(`report: ${paths.html ?? outDir}\n`);
    if (report.verdict === 'error' && error !== undefined) {
      if (isAgentcheckError(error)) {
        process.stderr.write(`agentcheck: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      } else {
        process.stderr.write(`agentcheck: internal error (a bug in agentcheck): ${(error as Error).stack ?? String(error)}\nPlease report it with the command you ran and this output.\n`);
      }
    }
    return exitCodeFor(report, error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Registers `agentcheck scenario run`. */
export const runSubcommand: RegisterScenarioSubcommand = (group, run) => {
  group
    .command('run')
    .description('run a scenario: start the team, drive load through the fault timeline, check budgets and invariants')
    .argument('<file>', 'scenario file (.yaml, .yml, .json, .js, .mjs, .ts)')
    .option('--out <dir>', 'report folder (default .agentcheck/runs/<timestamp>)')
    .option('--toxiproxy-url <url>', 'use a real Toxiproxy at this API URL instead of the embedded proxy (stream toxics only)')
    .option('--seed <seed>', "seed for fault decisions and generated ids (default: the scenario's, else random)")
    .addOption(new Option('--runtime <runtime>', 'where agents run').choices(['process', 'containers']))
    .option('--no-progress', 'no live progress on stderr')
    .action(run(async (file: string, flags: ScenarioRunFlags) => scenarioRun(file, flags)));
};
