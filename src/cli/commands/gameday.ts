/**
 * `agentcheck gameday plan|run|report`: chaos game days as code (docs/gameday.md). `run` writes
 * journal.ndjson as it goes and the four reports at the end, and maps the game day to an exit
 * code for schedulers: 0 every hypothesis held, 1 one failed, 2 bad file, 3 environment (or a
 * rollback step failed), 4 could not judge, 130 interrupted (SIGINT, SIGTERM, SIGHUP: the running
 * experiment's faults are removed and its rollback runs first; a second signal quits at once).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode, type ExitCodeValue } from '../../errors.js';
import { loadGameDayFile } from '../../gameday/load.js';
import { planGameDay, planLines } from '../../gameday/plan.js';
import { appendGameDayStepSummary, writeGameDayReports } from '../../gameday/report/write.js';
import type { GameDayReport } from '../../gameday/report-model.js';
import { runGameDay } from '../../gameday/run.js';
import { gamedayJsonSchemaText } from '../../gameday/schema.js';
import { compareGameDays, readGameDayReport } from '../../gameday/trend.js';
import { startReaper } from '../../reaper/watchdog.js';
import { onInterrupt, type RegisterCommand } from '../command.js';
import { removeDeadRunLeftovers } from './cleanup.js';

interface RunFlags {
  out?: string;
  team?: string;
  previous?: string;
  toxiproxyUrl?: string;
  seed?: string;
}

function printVerdicts(report: GameDayReport): void {
  for (const e of report.experiments) {
    process.stdout.write(`${e.verdict.toUpperCase().padEnd(11)} ${e.name}\n`);
    for (const r of e.reasons.slice(0, 6)) process.stdout.write(`  ${r}\n`);
    for (const s of e.rollback.filter((x) => x.status === 'failed')) process.stdout.write(`  rollback step failed: ${s.name}: ${s.reason ?? ''}\n`);
  }
  process.stdout.write(`score: ${report.score.value ?? 'n/a'} / 100\n${report.summary}\n`);
  if (report.trend) {
    const t = report.trend;
    process.stdout.write(`trend vs ${t.previous.dir}: score ${t.score.before ?? 'n/a'} → ${t.score.after ?? 'n/a'}; ${t.newFindings.length} new, ${t.fixedFindings.length} fixed findings; budgets ${t.budgets.filter((b) => b.change === 'better').length} better, ${t.budgets.filter((b) => b.change === 'worse').length} worse\n`);
  }
}

async function gamedayRun(file: string, flags: RunFlags): Promise<ExitCodeValue> {
  const gameday = await loadGameDayFile(file, flags.team);
  const previous = flags.previous !== undefined ? await readGameDayReport(flags.previous) : undefined;
  const outDir = path.resolve(flags.out ?? path.join('.agentcheck', 'gamedays', new Date().toISOString().replace(/[:.]/g, '-')));
  const controller = new AbortController();
  let interrupts = 0;
  const offInterrupt = onInterrupt((sig) => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.Interrupted);
    process.stderr.write(`\nagentcheck: ${sig} received, removing the faults and running the rollback (press Ctrl-C again to quit at once)\n`);
    controller.abort(sig);
  });
  try {
    await removeDeadRunLeftovers(gameday.team.runtime, (line) => void process.stderr.write(line));
    // Before anything starts: an agentcheck killed mid-game-day leaves no agent, proxy or toxic.
    startReaper();
    process.stderr.write(`agentcheck: game day ${gameday.name} (${gameday.experiments.length} experiments); journal and reports in ${outDir}\n`);
    const report = await runGameDay(gameday, {
      outDir,
      signal: controller.signal,
      ...(flags.toxiproxyUrl ? { toxiproxyUrl: flags.toxiproxyUrl } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      onLog: (line) => void process.stderr.write(`${line}\n`),
    });
    if (previous) report.trend = compareGameDays(report, previous, flags.previous!);
    const paths = await writeGameDayReports(report, outDir);
    await appendGameDayStepSummary(report).catch(() => undefined);
    printVerdicts(report);
    process.stdout.write(`report: ${paths.html}\n`);
    return report.exitCode as ExitCodeValue;
  } finally {
    offInterrupt();
  }
}

async function gamedayPlan(file: string, flags: { team?: string; json?: boolean }): Promise<ExitCodeValue> {
  const plan = planGameDay(await loadGameDayFile(file, flags.team));
  process.stdout.write(flags.json ? `${JSON.stringify(plan, null, 2)}\n` : `${planLines(plan).join('\n')}\n`);
  return ExitCode.Ok;
}

async function gamedayReport(dir: string, flags: { previous?: string }): Promise<ExitCodeValue> {
  const report = await readGameDayReport(dir);
  if (flags.previous !== undefined) report.trend = compareGameDays(report, await readGameDayReport(flags.previous), flags.previous);
  const paths = await writeGameDayReports(report, dir);
  printVerdicts(report);
  process.stdout.write(`report: ${paths.html}\n`);
  return report.exitCode as ExitCodeValue;
}

/** Registers `agentcheck gameday`. */
export const registerGameDay: RegisterCommand = (program: Command, run) => {
  const group = program.command('gameday').description('chaos game days as code: experiments with a hypothesis, steady state, method, abort conditions and rollback');
  group
    .command('plan')
    .description('print the blast radius (edges, faults, durations, load, gating checks) without starting anything')
    .argument('<file>', 'game-day file (.yaml, .yml, .json)')
    .option('--team <scenario>', "use this scenario file for the team instead of the file's team.scenario")
    .option('--json', 'the plan as JSON')
    .action(run(async (file: string, flags: { team?: string; json?: boolean }) => gamedayPlan(file, flags)));
  group
    .command('run')
    .description('run every experiment: steady state, method, after; journal.ndjson and the reports in --out')
    .argument('<file>', 'game-day file (.yaml, .yml, .json)')
    .option('--out <dir>', 'game-day folder (default .agentcheck/gamedays/<timestamp>)')
    .option('--team <scenario>', "use this scenario file for the team instead of the file's team.scenario (a variant of the team)")
    .option('--previous <dir>', "the previous game day's folder: report the trend (budgets better/worse, new and fixed findings, score)")
    .option('--toxiproxy-url <url>', 'use a real Toxiproxy at this API URL instead of the embedded proxy (stream toxics only)')
    .option('--seed <seed>', 'seed for fault decisions and generated ids')
    .action(run(async (file: string, flags: RunFlags) => gamedayRun(file, flags)));
  group
    .command('schema')
    .description('print the JSON Schema of game-day files (schema/gameday.schema.json)')
    .action(
      run(async () => {
        process.stdout.write(gamedayJsonSchemaText());
        return ExitCode.Ok;
      }),
    );
  group
    .command('report')
    .description("re-render a game day's reports from its gameday.json")
    .argument('<dir>', 'game-day folder')
    .option('--previous <dir>', "the previous game day's folder, for the trend")
    .action(run(async (dir: string, flags: { previous?: string }) => gamedayReport(dir, flags)));
};
