/**
 * The run registry: one small JSON file per agentcheck process that started something, under
 * `<state dir>/runs/<run id>.json`, naming its owner (pid, start time, host), its watchdog and
 * every resource it still holds. A file whose owner is gone marks a run that did not clean up;
 * `agentcheck cleanup`, `images prune` and the next `scenario run` remove what it lists.
 *
 * State dir: `$AGENTCHECK_STATE_DIR`, else `$XDG_STATE_HOME/agentcheck`, else
 * `~/.local/state/agentcheck`. Files are replaced atomically (write, then rename).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessIdentity } from './proc.js';

/** A process group the run started (an agent and whatever it spawned). */
export interface TrackedProcessGroup {
  kind: 'process-group';
  pgid: number;
  /** Start time of the group's leader (see proc.ts), so a reused pid is never signalled. */
  start?: string;
  /** What it is (the agent's name). */
  name?: string;
}

/** How a process without agentcheck's modules reaches the Docker engine: a unix socket or plain http. */
export interface DockerConnection {
  socketPath?: string;
  host?: string;
  port?: number;
}

/** Every container, network and per-run image labelled `agentcheck.run=<runId>`. */
export interface TrackedDockerRun {
  kind: 'docker-run';
  runId: string;
  connection: DockerConnection;
}

/** A toxic on a (remote) Toxiproxy API, removed with DELETE. */
export interface TrackedToxic {
  kind: 'toxic';
  api: string;
  proxy: string;
  toxic: string;
}

/** Anything the watchdog and cleanup know how to remove. */
export type TrackedResource = TrackedProcessGroup | TrackedDockerRun | TrackedToxic;

/** The contents of one registry file (format version 1). */
export interface RunRecord {
  version: 1;
  runId: string;
  /** The command line, for people reading `agentcheck cleanup`'s output. */
  command: string;
  owner: ProcessIdentity;
  watchdog?: ProcessIdentity;
  createdAt: string;
  /** Keyed by {@link resourceKey}. */
  resources: Record<string, TrackedResource>;
}

/** The state dir (see the module comment). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENTCHECK_STATE_DIR) return path.resolve(env.AGENTCHECK_STATE_DIR);
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'agentcheck');
  return path.join(os.homedir(), '.local', 'state', 'agentcheck');
}

/** The folder of run files. */
export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'runs');
}

/** The one key a resource is tracked and untracked by. */
export function resourceKey(r: TrackedResource): string {
  switch (r.kind) {
    case 'process-group':
      return `pg:${r.pgid}`;
    case 'docker-run':
      return `docker:${r.runId}`;
    case 'toxic':
      return `toxic:${r.api}|${r.proxy}|${r.toxic}`;
  }
}

/** Writes `record` to `file` atomically. Throws on an unwritable state dir. */
export function writeRunRecord(file: string, record: RunRecord): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Removes a run file (no error when it is already gone). */
export function removeRunRecord(file: string): void {
  rmSync(file, { force: true });
}

/** A run file as read back: its path and contents, or why it could not be read. */
export type ReadRecord = { file: string; record: RunRecord } | { file: string; error: string };

function isRecord(x: unknown): x is RunRecord {
  const r = x as RunRecord;
  return typeof r === 'object' && r !== null && r.version === 1 && typeof r.runId === 'string' &&
    typeof r.owner?.pid === 'number' && typeof r.resources === 'object' && r.resources !== null;
}

/** Every run file in `dir` (default {@link runsDir}), oldest first. */
export function readRunRecords(dir = runsDir()): ReadRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: ReadRecord[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      out.push(isRecord(parsed) ? { file, record: parsed } : { file, error: 'not an agentcheck run file (version 1)' });
    } catch (err) {
      // Deleted between readdir and read: not an error.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') out.push({ file, error: (err as Error).message });
    }
  }
  return out;
}
