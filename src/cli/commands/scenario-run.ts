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
import type { JournalEntry } from '../../chaos/journal.js';
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
  /** Rerun budget for shrinking a failed run's fault schedule (`--shrink [attempts]`). */
  shrink?: boolean | string;
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
  await removeDeadRunLeftovers(runtime, (line) => void process.stderr.write(line));
  // Before anything starts: even an agentcheck killed during the first spawn leaves nothing.
  startReaper();
  const offInterrupt = onInterrupt(onSignal);

  const progress = flags.progress === false ? undefined : createProgress({ stream: process.stderr });
  progress?.log(`agentcheck: running ${scenario.name} (${scenario.agents.length} agents, ${scenario.edges.length} edges, ${scenario.phases.length} phases); reports in ${outDir}`);
  try {
    const { report, error, journal } = await runScenarioDetailed(scenario, {
      outDir,
      ...(flags.toxiproxyUrl ? { toxiproxyUrl: flags.toxiproxyUrl } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      signal: controller.signal,
      runtime,
      ...(progress ? { onLog: (line: string) => progress.log(line) } : {}),
      ...(progress
        ? { onProgress: (e) => progress.update({ phase: e.phase, elapsedMs: e.elapsedMs, totalMs: e.totalMs, requests: e.requests, errors: e.errors, p99Ms: e.p99Ms }) }
        : {}),
    });
    progress?.finish();
    const paths = await writeReports(report, outDir);
    await appendStepSummary(report).catch(() => undefined);
    const out = process.stdout;
    for (const line of verdictLines(report)) out.write(`${line}\n`);
    out.write(`report: ${paths.html ?? outDir}\n`);
    if (report.verdict === 'error' && error !== undefined) {
      if (isAgentcheckError(error)) {
        process.stderr.write(`agentcheck: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      } else {
        process.stderr.write(`agentcheck: internal error (a bug in agentcheck): ${(error as Error).stack ?? String(error)}\nPlease report it with the command you ran and this output.\n`);
      }
    }
    if (flags.shrink && report.verdict === 'fail' && !controller.signal.aborted) {
      await shrinkFailedRun(scenario, report, journal, outDir, flags, controller.signal);
    }
    return exitCodeFor(report, error);
  } finally {
    offInterrupt();
  }
}

/**
 * `--shrink`: reruns the failed scenario with subsets of its fault decisions to find the smallest
 * set that still fails the same checks, and writes it as `shrunk-scenario.yaml` in the report folder.
 */
async function shrinkFailedRun(scenario: Scenario, report: RunReport, journal: JournalEntry[], outDir: string, flags: ScenarioRunFlags, signal: AbortSignal): Promise<void> {
  const maxAttempts = typeof flags.shrink === 'string' ? Number(flags.shrink) : 30;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new AgentcheckError('usage', `--shrink expects a positive number of reruns, got '${flags.shrink}'`);
  // fast-check is only needed when shrinking.
  const { faultDecisions, shrinkScenario, writeScenarioFile } = await import('../../scenario/shrink.js');
  const decisions = faultDecisions(scenario, journal);
  const out = process.stdout;
  out.write(`shrinking: ${decisions.length} fault decisions, at most ${maxAttempts} reruns (each reruns the whole scenario)\n`);
  const result = await shrinkScenario(
    scenario,
    report,
    journal,
    async (s, attempt) => {
      if (signal.aborted) return { ...report, verdict: 'aborted' };
      const { report: r } = await runScenarioDetailed(s, { outDir: path.join(outDir, 'shrink', `attempt-${attempt}`), ...(report.seed ? { seed: report.seed } : {}), signal });
      return r;
    },
    { maxAttempts, onAttempt: (a) => out.write(`  rerun ${a.attempts}: ${a.subset.length} decision(s) → ${a.failed ? 'still fails' : 'passes'}\n`) },
  );
  if (!result.reproduced) {
    out.write('shrinking: the full fault schedule did not fail again (the failure depends on timing); nothing to shrink\n');
    return;
  }
  const listed = result.minimal.map((d) => `${d.type} on ${d.edge} in ${d.phase}${d.ordinal !== null ? ` (match #${d.ordinal})` : ''}`);
  const file = await writeScenarioFile(result.scenario, outDir, 'shrunk-scenario.yaml',
    `Shrunk by agentcheck from ${scenario.source.file ?? scenario.name}: ${result.minimal.length} of ${decisions.length} fault decisions still fail ${result.target.join(', ')}.\nReplay: agentcheck scenario run <this file>`);
  out.write(`shrinking: ${result.minimal.length} of ${decisions.length} fault decision(s) still fail (${result.attempts} reruns${result.oneMinimal ? ', 1-minimal' : result.exhausted ? ', rerun budget exhausted' : ''}):\n`);
  for (const line of listed) out.write(`  - ${line}\n`);
  out.write(`replayable scenario: ${file}\n`);
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
    .option('--shrink [reruns]', 'when the run fails, rerun it with subsets of its fault decisions to find the smallest set that still fails (default 30 reruns); writes shrunk-scenario.yaml')
    .action(run(async (file: string, flags: ScenarioRunFlags) => scenarioRun(file, flags)));
};
