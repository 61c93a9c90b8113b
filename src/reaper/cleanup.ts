/**
 * Removing what dead runs left, and only that. A run is dead when its owner process is gone
 * (its pid no longer runs, or now names a process with another start time); a run whose owner
 * is alive, or ran on another host, is left alone. Used by `agentcheck cleanup`,
 * `agentcheck images prune` and at the start of every `scenario run`.
 *
 * A dead run's registry file is reaped by the watchdog program itself (watchdog-script.ts), so
 * there is one implementation of "remove this": it gets the file's resources as registrations,
 * its pipe is closed at once, and its log lines are what this module reports.
 */
import { spawn } from 'node:child_process';
import type { Docker } from '../images/engine.js';
import { removeRunResources, runOwners } from '../scenario/runtimes/containers-cleanup.js';
import { processState, type ProcessIdentity } from './proc.js';
import { readRunRecords, removeRunRecord, resourceKey, runsDir, type RunRecord } from './registry.js';
import { WATCHDOG_SCRIPT } from './watchdog-script.js';

/** What a cleanup did. */
export interface CleanupReport {
  /** One line per removed resource (`stopped process group 123 (intake)`, `removed container …`). */
  removed: string[];
  /** Runs left alone and why (`run … (pid 12, scenario run x.yaml) is still running`). */
  left: string[];
  /** What could not be removed. */
  failed: string[];
}

/** Options of {@link cleanupDeadRuns}. */
export interface CleanupOptions {
  /** Also sweep this engine for labelled resources of dead runs the registry does not list. */
  docker?: Docker;
  /** Registry folder (default: the state dir's `runs/`). */
  dir?: string;
  /** SIGTERM-to-SIGKILL grace for process groups (default 1000 ms). */
  graceMs?: number;
}

function describe(record: RunRecord): string {
  return `run ${record.runId} (pid ${record.owner.pid}, \`${record.command}\`)`;
}

/** Runs the watchdog program on `record`'s resources and returns its log lines. */
async function reapRecord(file: string, record: RunRecord, graceMs: number): Promise<{ lines: string[]; ok: boolean }> {
  const child = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, file, String(graceMs), ''], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stdin.on('error', () => undefined);
  for (const r of Object.values(record.resources)) child.stdin.write(`${JSON.stringify({ op: 'track', key: resourceKey(r), ...r })}\n`);
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = log.split('\n').map((l) => l.replace(/^\S+ /, '')).filter((l) => l && !l.startsWith('owner gone') && l !== 'all clean');
  return { lines, ok: code === 0 };
}

function ownerNote(owners: ProcessIdentity[]): 'alive' | 'gone' | string {
  const states = owners.map((o) => ({ o, s: processState(o) }));
  if (states.some((x) => x.s === 'alive')) return 'alive';
  const foreign = states.find((x) => x.s === 'unknown');
  return foreign ? `its owner ran on host ${foreign.o.host}` : 'gone';
}

/**
 * Removes the leftovers of every dead run in the registry, and with `docker`, every labelled
 * container, network and per-run image whose run is not alive. Never throws for one resource:
 * failures are listed in the report.
 */
export async function cleanupDeadRuns(options: CleanupOptions = {}): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], left: [], failed: [] };
  const graceMs = options.graceMs ?? 1000;
  const liveDockerRuns = new Set<string>();
  const handledDockerRuns = new Set<string>();
  for (const entry of readRunRecords(options.dir ?? runsDir())) {
    if ('error' in entry) {
      report.failed.push(`${entry.file}: ${entry.error}`);
      continue;
    }
    const { file, record } = entry;
    const dockerRuns = Object.values(record.resources).flatMap((r) => (r.kind === 'docker-run' ? [r.runId] : []));
    const owner = processState(record.owner);
    if (owner !== 'gone') {
      for (const id of dockerRuns) liveDockerRuns.add(id);
      report.left.push(owner === 'alive' ? `${describe(record)} is still running` : `${describe(record)} ran on host ${record.owner.host}`);
      continue;
    }
    if (record.watchdog && processState(record.watchdog) === 'alive') {
      // Its owner just died and its watchdog is reaping right now; two reapers would only race.
      for (const id of dockerRuns) liveDockerRuns.add(id);
      report.left.push(`${describe(record)} ended; its watchdog (pid ${record.watchdog.pid}) is removing what it left`);
      continue;
    }
    for (const id of dockerRuns) handledDockerRuns.add(id);
    const { lines, ok } = await reapRecord(file, record, graceMs);
    for (const line of lines) (/^(could not|process group \d+ still)/.test(line) ? report.failed : report.removed).push(`${line} [${describe(record)}]`);
    if (ok) removeRunRecord(file);
  }
  if (options.docker) await sweepDocker(options.docker, liveDockerRuns, handledDockerRuns, report);
  return report;
}

async function sweepDocker(docker: Docker, live: Set<string>, handled: Set<string>, report: CleanupReport): Promise<void> {
  for (const [runId, owners] of await runOwners(docker)) {
    if (live.has(runId) || handled.has(runId)) continue;
    // No owner labels and no registry entry: made by an older agentcheck; only a dead run leaves that.
    const note = owners.length === 0 ? 'gone' : ownerNote(owners);
    if (note === 'alive') {
      report.left.push(`container run ${runId} (pid ${owners.map((o) => o.pid).join(', ')}) is still running`);
      continue;
    }
    if (note !== 'gone') {
      report.left.push(`container run ${runId}: ${note}`);
      continue;
    }
    const { removed, failed } = await removeRunResources(docker, runId);
    for (const c of removed.containers) report.removed.push(`removed container ${c.name} [container run ${runId}]`);
    for (const n of removed.networks) report.removed.push(`removed network ${n.name} [container run ${runId}]`);
    for (const i of removed.images) report.removed.push(`removed image ${i.tags[0] ?? i.id} [container run ${runId}]`);
    report.failed.push(...failed.map((f) => `${f} [container run ${runId}]`));
  }
}
