/**
 * `agentcheck cleanup`: removes what runs whose owner is gone left behind (agent process
 * groups, containers, networks, per-run images, remote toxics), lists each thing it removed,
 * and leaves live runs alone (docs/cleanup.md). Also used by `scenario run`, before it starts,
 * to warn about and remove a dead run's leftovers.
 */
import { ExitCode, type ExitCodeValue } from '../../errors.js';
import type { Docker } from '../../images/engine.js';
import { cleanupDeadRuns, type CleanupReport } from '../../reaper/cleanup.js';
import { readRunRecords, runsDir } from '../../reaper/registry.js';
import { processIo, type CommandIo, type RegisterCommand } from '../command.js';

/** The engine when one answers within `timeoutMs`; undefined otherwise (never throws). */
async function reachableDocker(timeoutMs: number): Promise<Docker | undefined> {
  const { checkDockerEngine } = await import('../../images/engine.js');
  return checkDockerEngine({ timeoutMs }).then((e) => e.docker, () => undefined);
}

/** Prints a cleanup report: what was removed, what was left alone, what failed. */
export function printCleanupReport(report: CleanupReport, io: CommandIo): void {
  for (const line of report.removed) io.stdout(`removed: ${line}\n`);
  for (const line of report.left) io.stdout(`left alone: ${line}\n`);
  for (const line of report.failed) io.stderr(`could not remove: ${line}\n`);
}

/** `agentcheck cleanup`: exit 0, or 3 when something could not be removed. */
export async function cleanupCommand(flags: { docker?: boolean } = {}, io: CommandIo = processIo): Promise<ExitCodeValue> {
  const docker = flags.docker === false ? undefined : await reachableDocker(5000);
  const report = await cleanupDeadRuns(docker ? { docker } : {});
  printCleanupReport(report, io);
  if (report.removed.length === 0 && report.failed.length === 0) io.stdout(`nothing to clean up (registry: ${runsDir()})\n`);
  if (!docker && flags.docker !== false) io.stdout('Docker: no engine reachable, so no containers or networks were checked\n');
  return report.failed.length > 0 ? ExitCode.Environment : ExitCode.Ok;
}

/**
 * Before a run: removes what dead runs left, with one warning line each, so a new run does not
 * meet an old run's agents on its ports. Docker is swept only for a containers run (the engine
 * is needed anyway) or when a dead run's registry file names container runs.
 */
export async function removeDeadRunLeftovers(runtime: 'process' | 'containers', warn: (text: string) => void): Promise<void> {
  if (readRunRecords().length === 0 && runtime === 'process') return;
  const docker = runtime === 'containers' ? await reachableDocker(5000) : undefined;
  const report = await cleanupDeadRuns(docker ? { docker } : {});
  if (report.removed.length === 0 && report.failed.length === 0) return;
  warn(`agentcheck: earlier runs ended without cleaning up; removed what they left (\`agentcheck cleanup\` does this on its own):\n`);
  for (const line of report.removed) warn(`  removed: ${line}\n`);
  for (const line of report.failed) warn(`  could not remove: ${line}\n`);
}

/** Registers `agentcheck cleanup`. */
export const registerCleanup: RegisterCommand = (program, run) => {
  program
    .command('cleanup')
    .description('remove what runs whose agentcheck process is gone left behind (agents, containers, networks, toxics); live runs are left alone')
    .option('--no-docker', 'do not look for containers and networks (no engine is contacted)')
    .action(run(async (flags: { docker?: boolean }) => cleanupCommand(flags)));
};
