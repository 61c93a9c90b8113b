/**
 * The reaper of an agentcheck process (our own Ryuk, no image): a detached `node` watchdog in
 * its own session, holding the read end of a pipe from this process. Everything agentcheck
 * starts is registered with it (and in the run registry, registry.ts) and unregistered when
 * cleaned up normally; when the pipe closes for any reason (SIGKILL, the OOM killer, a crash,
 * SIGHUP, a normal exit) the watchdog removes what is still registered, within about 2 s.
 *
 * One reaper per process, started on first use once the CLI has called {@link enableReaper}
 * (library users who never call it get the runtimes' own exit hooks only). The runtimes call
 * the `track*`/`untrack*` functions; they do nothing while the reaper is not enabled.
 *
 * Protocol (NDJSON, one object per line, parent → watchdog on its stdin):
 * `{"op":"track","key":K,...resource}` and `{"op":"untrack","key":K}`, where a resource is one
 * of registry.ts's {@link TrackedResource}s and K its {@link resourceKey}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { identityOf, selfIdentity } from './proc.js';
import { removeRunRecord, resourceKey, runsDir, writeRunRecord, type DockerConnection, type RunRecord, type TrackedResource } from './registry.js';
import { WATCHDOG_SCRIPT } from './watchdog-script.js';

/** Options of {@link enableReaper}. */
export interface ReaperOptions {
  /** The command line recorded in the registry (default: this process's argv). */
  command?: string;
  /** SIGTERM-to-SIGKILL grace for process groups, in ms (default 1000, so all is clean within 2 s). */
  graceMs?: number;
  /** Environment the state dir is taken from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** One line of the protocol. */
export type WatchdogMessage = ({ op: 'track'; key: string } & TrackedResource) | { op: 'untrack'; key: string };

/** A running watchdog and this process's registry file. */
export class Reaper {
  /** This process's run id in the registry. */
  readonly runId: string;
  /** Its registry file (exists only while something is registered). */
  readonly file: string;
  /** The watchdog's log (its stderr). */
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly record: RunRecord;
  private registryWarned = false;

  constructor(options: ReaperOptions = {}) {
    const dir = runsDir(options.env);
    this.runId = `${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${process.pid}`;
    this.file = path.join(dir, `${this.runId}.json`);
    this.logFile = path.join(dir, `${this.runId}.watchdog.log`);
    let logFd: number | 'ignore' = 'ignore';
    try {
      mkdirSync(dir, { recursive: true });
      logFd = openSync(this.logFile, 'a');
    } catch {
      // No writable state dir: the watchdog still works, it just has no log and no registry.
    }
    this.child = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, this.file, String(options.graceMs ?? 1000), typeof logFd === 'number' ? this.logFile : ''], {
      detached: true,
      stdio: ['pipe', 'ignore', logFd],
      cwd: '/',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    if (typeof logFd === 'number') closeSync(logFd);
    // The watchdog must neither keep this process alive nor make a write failure fatal.
    this.child.unref();
    this.child.stdin?.on('error', () => undefined);
    (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    const watchdog = this.child.pid ? identityOf(this.child.pid) : undefined;
    this.record = {
      version: 1,
      runId: this.runId,
      command: options.command ?? process.argv.slice(1).join(' '),
      owner: selfIdentity(),
      ...(watchdog ? { watchdog } : {}),
      createdAt: new Date().toISOString(),
      resources: {},
    };
  }

  /** The watchdog's pid (for tests that prove it reaps). */
  get watchdogPid(): number | undefined {
    return this.child.pid;
  }

  /** Registers a resource with the watchdog and the registry. */
  track(resource: TrackedResource): void {
    const key = resourceKey(resource);
    this.send({ op: 'track', key, ...resource });
    this.record.resources[key] = resource;
    this.save();
  }

  /** Unregisters a resource that was cleaned up normally. */
  untrack(resource: TrackedResource): void {
    const key = resourceKey(resource);
    if (!(key in this.record.resources)) return;
    this.send({ op: 'untrack', key });
    delete this.record.resources[key];
    this.save();
  }

  /** What is registered now. */
  tracked(): TrackedResource[] {
    return Object.values(this.record.resources);
  }

  private send(message: WatchdogMessage): void {
    // A pipe write goes to the kernel's buffer at once, so the watchdog reads it even if this
    // process is killed on the next instruction.
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  private save(): void {
    try {
      if (Object.keys(this.record.resources).length === 0) removeRunRecord(this.file);
      else writeRunRecord(this.file, this.record);
    } catch (err) {
      if (!this.registryWarned) process.stderr.write(`agentcheck: cannot write the run registry (${(err as Error).message}); the watchdog still cleans up, \`agentcheck cleanup\` cannot\n`);
      this.registryWarned = true;
    }
  }
}

let options: ReaperOptions | undefined;
let current: Reaper | undefined;

/** Set in the environment by {@link enableReaper}, so agentcheck's own worker processes enable theirs. */
const REAPER_ENV = 'AGENTCHECK_REAPER';

/** Lets this process start a reaper (the CLI calls it once; the watchdog is spawned on first use). */
export function enableReaper(reaperOptions: ReaperOptions = {}): void {
  options = reaperOptions;
  process.env[REAPER_ENV] = '1';
}

/**
 * In a worker process agentcheck forked (e.g. `contracts verify`'s, which starts the providers):
 * enables the worker's own reaper when its parent has one, and ends the worker when the parent
 * goes (its IPC channel closes), so the worker's exit hook and watchdog remove what it started.
 */
export function enableReaperInWorker(command: string): void {
  if (options || process.env[REAPER_ENV] !== '1') return;
  enableReaper({ command });
  // 130: interrupted, as the parent was.
  if (process.connected) process.once('disconnect', () => process.exit(130));
}

/** Starts the reaper now (before anything is started), when enabled; returns it. */
export function startReaper(): Reaper | undefined {
  if (!options) return undefined;
  current ??= new Reaper(options);
  return current;
}

/** The reaper, if one was started. */
export function activeReaper(): Reaper | undefined {
  return current;
}

/** Registers a process group (`pgid` = the leader's pid, read right after spawn). */
export function trackProcessGroup(pgid: number, name?: string): void {
  const start = identityOf(pgid).start;
  startReaper()?.track({ kind: 'process-group', pgid, ...(start ? { start } : {}), ...(name ? { name } : {}) });
}

/** The process group was stopped normally. */
export function untrackProcessGroup(pgid: number): void {
  current?.untrack({ kind: 'process-group', pgid });
}

/** Registers every container, network and image labelled `agentcheck.run=<runId>`. */
export function trackDockerRun(runId: string, connection: DockerConnection): void {
  startReaper()?.track({ kind: 'docker-run', runId, connection });
}

/** The container run was removed normally. */
export function untrackDockerRun(runId: string): void {
  current?.untrack({ kind: 'docker-run', runId, connection: {} });
}

/** Registers a toxic on a Toxiproxy API (removed with DELETE if agentcheck dies). */
export function trackToxic(apiUrl: string, proxy: string, toxic: string): void {
  startReaper()?.track({ kind: 'toxic', api: apiUrl, proxy, toxic });
}

/** The toxic was removed normally. */
export function untrackToxic(apiUrl: string, proxy: string, toxic: string): void {
  current?.untrack({ kind: 'toxic', api: apiUrl, proxy, toxic });
}
