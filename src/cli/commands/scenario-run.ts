/**
 * `agentcheck scenario run FILE`: the command users run most. Loads and validates the scenario,
 * runs it, writes the four reports, prints the verdict, and maps it to an exit code. Ctrl-C
 * aborts the run gracefully (teardown, partial report), and so do SIGTERM and SIGHUP; a second
 * signal exits at once (agents' process groups are still killed by the runtime's exit hook and
 * the watchdog). Before starting, it removes what dead runs left (and says so).
 */
import path from 'node:path';
import { Option } from 'commander';
import { AgentcheckError, ExitCode, isAgentcheckError, type ExitCodeValue } from '../../errors.js';
import { createProgress } from '../../report/progress.js';
import { appendStepSummary, defaultRunDir, writeReports } from '../../report/write.js';
import type { RunReport } from '../../report/model.js';
import { exitCodeForVerdict, verdictLines } from '../../report/verdict.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { runScenarioDetailed } from '../../scenario/runner.js';
import type { Scenario } from '../../scenario/types.js';
import { attachReplayCommand, finishReplay, prepareReplay, shrinkFailedRun } from './scenario-run-replay.js';
import { startReaper } from '../../reaper/watchdog.js';
import { onInterrupt } from '../command.js';
import { removeDeadRunLeftovers } from './cleanup.js';
import type { RegisterScenarioSubcommand } from './scenario.js';

/** Options of `agentcheck scenario run`. */
export interface ScenarioRunFlags {
  out?: string;
  toxiproxyUrl?: string;
  seed?: string;
  runtime?: 'process' | 'containers';
  progress?: boolean;
  /** Rerun budget for shrinking a failed run's fault schedule (`--shrink [reruns]`). */
  shrink?: boolean | string;
  /** A journal.ndjson to replay exactly (`--replay <journal>`). */
  replay?: string;
}

/** The exit code of a finished run: the verdict's, or, for `error`, the code of the error that ended it. */
function exitCodeFor(report: RunReport, error?: unknown): ExitCodeValue {
  if (report.verdict === 'error' && error !== undefined) return isAgentcheckError(error) ? error.exitCode : ExitCode.Internal;
  return exitCodeForVerdict(report.verdict);
}

/** Runs one scenario file from the CLI; returns the exit code. */
export async function scenarioRun(file: string, flags: ScenarioRunFlags): Promise<ExitCodeValue> {
  const scenario = await loadScenarioFile(file);
  // --replay: the scenario with exactly the journaled decisions, under the journaled run's seed.
  const prepared = flags.replay !== undefined ? await prepareReplay(scenario, flags.replay, flags.seed) : undefined;
  const seed = prepared?.seed ?? flags.seed;
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
  await removeDeadRunLeftovers(runtime, (line) => void process.stderr.write(line));
  // Before anything starts: even an agentcheck killed during the first spawn leaves nothing.
  startReaper();
  const offInterrupt = onInterrupt(onSignal);

  const progress = flags.progress === false ? undefined : createProgress({ stream: process.stderr });
  // Printed with or without progress: it says where the reports go, and that Ctrl-C now cleans up.
  const running = `agentcheck: running ${scenario.name} (${scenario.agents.length} agents, ${scenario.edges.length} edges, ${scenario.phases.length} phases); reports in ${outDir}`;
  if (progress) progress.log(running);
  else process.stderr.write(`${running}\n`);
  try {
    const { report, error } = await runScenarioDetailed(prepared?.scenario ?? scenario, {
      outDir,
      ...(flags.toxiproxyUrl ? { toxiproxyUrl: flags.toxiproxyUrl } : {}),
      ...(seed !== undefined ? { seed } : {}),
      signal: controller.signal,
      runtime,
      ...(progress ? { onLog: (line: string) => progress.log(line) } : {}),
      ...(progress
        ? { onProgress: (e) => progress.update({ phase: e.phase, elapsedMs: e.elapsedMs, totalMs: e.totalMs, requests: e.requests, errors: e.errors, p99Ms: e.p99Ms }) }
        : {}),
    });
    progress?.finish();
    if (prepared) finishReplay(report, prepared, outDir);
    const replay = attachReplayCommand(report, file, outDir);
    const paths = await writeReports(report, outDir);
    await appendStepSummary(report).catch(() => undefined);
    const out = process.stdout;
    for (const line of verdictLines(report)) out.write(`${line}\n`);
    out.write(`report: ${paths.html ?? outDir}\n`);
    if (replay) out.write(`replay: ${replay}\n`);
    if (report.verdict === 'error' && error !== undefined) {
      if (isAgentcheckError(error)) {
        process.stderr.write(`agentcheck: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      } else {
        process.stderr.write(`agentcheck: internal error (a bug in agentcheck): ${(error as Error).stack ?? String(error)}\nPlease report it with the command you ran and this output.\n`);
      }
    }
    if (flags.shrink && report.verdict === 'fail' && !controller.signal.aborted) {
      await shrinkFailedRun(scenario, report, outDir, flags.shrink, controller.signal);
    }
    return exitCodeFor(report, error);
  } finally {
    offInterrupt();
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
    .option('--replay <journal>', "apply exactly the fault decisions of a run's journal.ndjson (same seed); exit 4 when the run does not end as the journaled one did")
    .option('--shrink [reruns]', 'when the run fails, replay subsets of its fault decisions to find the smallest set that still fails (default 30 reruns); writes shrunk/scenario.yaml')
    .action(run(async (file: string, flags: ScenarioRunFlags) => scenarioRun(file, flags)));
};
