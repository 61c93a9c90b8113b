/**
 * The local process runtime: agents as plain child processes on loopback (the default; no Docker).
 *
 * Each agent runs in its own process group so stopping it also stops whatever it spawned
 * (a shell, `npm run`, a worker). Every started group is remembered in a module-wide set and
 * killed synchronously on `process.exit`, so even an agentcheck that dies on an exception
 * leaves no orphans behind. Each group is also registered with agentcheck's watchdog
 * (src/reaper), which kills it when agentcheck dies without running any hook (SIGKILL, OOM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { AgentcheckError } from '../../errors.js';
import { trackProcessGroup, untrackProcessGroup } from '../../reaper/watchdog.js';
import { LineRing } from './line-ring.js';
import { allocatePort } from './ports.js';
import { httpBaseUrl, probeHttp, probeTcp, sleep } from './wait.js';

/** How to start one agent as a local process. */
export interface ProcessAgentSpec {
  name: string;
  /** A shell command line (run with `/bin/sh -c`) or an argv array (run directly). */
  command: string | string[];
  /** Working directory; default: the current directory. */
  cwd?: string;
  /** Extra environment; `PORT` and `HOST` are set by the runtime unless given here. */
  env?: Record<string, string>;
  /** A fixed port, or `'auto'` (default) for a free one on the host. */
  port?: number | 'auto';
  /** Readiness check: an HTTP path that must answer 2xx (default `/healthz`), or a TCP connect. */
  readiness?: { http?: string; tcp?: boolean; timeoutMs?: number };
}

/** Options for {@link startProcessAgent}. */
export interface StartProcessOptions {
  /** Folder for `<name>.log` (stdout and stderr interleaved); none: logs are only kept in memory. */
  logDir?: string;
  /** Host to bind and probe; default `127.0.0.1`. */
  host?: string;
  /** Aborts the readiness wait (and stops the process). */
  signal?: AbortSignal;
}

/** A running agent. Disposing it stops its whole process group. */
export interface StartedAgent extends AsyncDisposable {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  readonly pid: number;
  /** Path of the captured log, when a log folder was given. */
  readonly logFile?: string;
  /** Resolves with the exit code (or signal name) when the process ends, whoever ended it. */
  readonly exited: Promise<number | string>;
  /** True once the process has ended. */
  readonly hasExited: boolean;
  /** The last lines the agent printed (stdout and stderr). */
  logTail(lines?: number): string;
  /** SIGTERM to the group, then SIGKILL after `graceMs` (default 3000). Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: this is the last chance when agentcheck exits abruptly.
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** Process groups this process started and has not yet seen exit (for leak checks in tests). */
export function liveProcessGroups(): number[] {
  return [...liveGroups];
}

// A free port for an agent: chosen outside the ephemeral range (ports.ts says why).
export { allocatePort };

/**
 * Starts one agent as a local process and waits until it is ready.
 * Throws an `environment` {@link AgentcheckError} (exit 3) with the agent's log tail when it exits
 * early or is not ready within `readiness.timeoutMs` (default 10 s); the process is stopped first.
 */
export async function startProcessAgent(spec: ProcessAgentSpec, options: StartProcessOptions = {}): Promise<StartedAgent> {
  const host = options.host ?? '127.0.0.1';
  const port = spec.port === undefined || spec.port === 'auto' ? await allocatePort(host) : spec.port;
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: host, PORT: String(port), ...spec.env };
  const cwd = spec.cwd ?? process.cwd();

  let child: ChildProcess;
  if (typeof spec.command === 'string') {
    // A shell line may be a pipeline or a list; the whole group is signalled, so no `exec` trick is needed.
    child = spawn('/bin/sh', ['-c', spec.command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    const [file, ...args] = spec.command;
    if (!file) throw new AgentcheckError('config', `agent '${spec.name}': command is empty`);
    child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  const ring = new LineRing(200);
  let logStream: WriteStream | undefined;
  let logFile: string | undefined;
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    logFile = path.join(options.logDir, `${spec.name}.log`);
    logStream = createWriteStream(logFile, { flags: 'a' });
  }
  const capture = (chunk: Buffer) => {
    ring.push(chunk.toString('utf8'));
    logStream?.write(chunk);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);

  let spawnError: Error | undefined;
  let hasExited = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      hasExited = true;
      resolve('spawn-error');
    });
    child.once('exit', (code, signal) => {
      hasExited = true;
      if (child.pid) liveGroups.delete(child.pid);
      resolve(code ?? signal ?? 'unknown');
    });
  }).then((result) => {
    logStream?.end();
    return result;
  });

  if (child.pid) {
    installExitHook();
    liveGroups.add(child.pid);
    trackProcessGroup(child.pid, spec.name);
  }
  const pid = child.pid ?? -1;

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 3000): Promise<void> => {
    stopping ??= (async () => {
      if (hasExited || pid < 0) {
        // The leader is gone; children it left in the group may not be.
        if (pid > 0) killGroup(pid, 'SIGKILL');
        await exited;
        if (pid > 0) untrackProcessGroup(pid);
        return;
      }
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Anything the agent spawned and did not take down with it.
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
      untrackProcessGroup(pid);
    })();
    return stopping;
  };

  const agent: StartedAgent = {
    name: spec.name,
    host,
    port,
    url: httpBaseUrl(host, port),
    pid,
    logFile,
    exited,
    get hasExited() {
      return hasExited;
    },
    logTail: (lines = 20) => ring.tail(lines),
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };

  const timeoutMs = spec.readiness?.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const readyPath = spec.readiness?.tcp ? undefined : (spec.readiness?.http ?? '/healthz');
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    if (hasExited) {
      await stop();
      const why = spawnError ? `could not be started: ${spawnError.message}` : `exited with ${await exited} before it was ready`;
      throw new AgentcheckError('environment', `agent '${spec.name}' ${why}\n--- last lines of its output ---\n${ring.tail(20)}`,
        `check the agent's command (${JSON.stringify(spec.command)}) and its log`);
    }
    if (options.signal?.aborted) {
      await stop();
      throw new AgentcheckError('environment', `start of agent '${spec.name}' was interrupted`);
    }
    const ready = readyPath ? await probeHttp(`${agent.url}${readyPath}`) : await probeTcp(host, port);
    if (ready) return agent;
    if (Date.now() > deadline) {
      await stop();
      const what = readyPath ? `GET ${readyPath} did not answer 2xx` : `port ${port} did not accept connections`;
      throw new AgentcheckError('environment',
        `agent '${spec.name}' was not ready after ${timeoutMs} ms (${what})\n--- last lines of its output ---\n${ring.tail(20)}`,
        'raise readiness.timeout in the scenario, or check that the agent listens on $PORT');
    }
    await sleep(delay, options.signal);
  }
}
