/**
 * Cleanup of a container run without Testcontainers' reaper image: every container, network
 * and per-run image carries the label `agentcheck.run=<runId>`, and removal goes by that label,
 * so it also finds what a half-finished start-up created. Runs still live when agentcheck
 * exits (an exception, process.exit) are handed to a detached `node` that removes them after
 * this process is gone; SIGKILL and SIGHUP are covered by the watchdog (src/reaper), and what
 * even that missed by `agentcheck cleanup`, which removes only runs whose owner (labels
 * `agentcheck.owner.*`: pid, start time, host) is gone.
 */
import { spawn } from 'node:child_process';
import { dockerMessage, dockerStatus, type Docker } from '../../images/engine.js';
import { selfIdentity, type ProcessIdentity } from '../../reaper/proc.js';
import type { DockerConnection } from '../../reaper/registry.js';
import { trackDockerRun, untrackDockerRun } from '../../reaper/watchdog.js';

/** Label on every container, network and per-run image of a run. */
export const RUN_LABEL = 'agentcheck.run';
/** Label naming the agent (or `agentcheck-proxy`) a container runs. */
export const AGENT_LABEL = 'agentcheck.agent';

/** Labels naming the process that owns a run (pid, its start time, host): cleanup leaves runs whose owner is alive. */
export const OWNER_PID_LABEL = 'agentcheck.owner.pid';
export const OWNER_START_LABEL = 'agentcheck.owner.start';
export const OWNER_HOST_LABEL = 'agentcheck.owner.host';

/** The owner labels of this process, for every container, network and per-run image it creates. */
export function ownerLabels(): Record<string, string> {
  const me = selfIdentity();
  return { [OWNER_PID_LABEL]: String(me.pid), [OWNER_HOST_LABEL]: me.host, ...(me.start ? { [OWNER_START_LABEL]: me.start } : {}) };
}

function ownerOf(labels: Record<string, string> | undefined): ProcessIdentity | undefined {
  const pid = Number(labels?.[OWNER_PID_LABEL]);
  if (!labels || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, host: labels[OWNER_HOST_LABEL] ?? '', ...(labels[OWNER_START_LABEL] ? { start: labels[OWNER_START_LABEL] } : {}) };
}

/**
 * Every run id with resources on the engine, and the owners their labels name (an empty list:
 * made by an agentcheck that did not label owners).
 */
export async function runOwners(docker: Docker): Promise<Map<string, ProcessIdentity[]>> {
  const filters = labelFilter();
  const [containers, networks, images] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listImages({ filters }),
  ]);
  const out = new Map<string, ProcessIdentity[]>();
  for (const labels of [...containers, ...networks, ...images].map((r) => r.Labels as Record<string, string> | undefined)) {
    const runId = labels?.[RUN_LABEL];
    if (!runId) continue;
    const owners = out.get(runId) ?? [];
    const owner = ownerOf(labels);
    if (owner && !owners.some((o) => o.pid === owner.pid && o.host === owner.host)) owners.push(owner);
    out.set(runId, owners);
  }
  return out;
}

/** What is left of a run on the engine. */
export interface RunResources {
  containers: Array<{ id: string; name: string; state: string }>;
  networks: Array<{ id: string; name: string }>;
  images: Array<{ id: string; tags: string[] }>;
}

function labelFilter(runId?: string): string {
  return JSON.stringify({ label: [runId === undefined ? RUN_LABEL : `${RUN_LABEL}=${runId}`] });
}

/** Containers, networks and images labelled with `runId` (or with any run id when omitted). */
export async function listRunResources(docker: Docker, runId?: string): Promise<RunResources> {
  const filters = labelFilter(runId);
  const [containers, networks, images] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listImages({ filters }),
  ]);
  return {
    containers: containers.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), state: c.State })),
    networks: networks.map((n) => ({ id: n.Id, name: n.Name })),
    images: images.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [] })),
  };
}

/** True when nothing of the run is left. */
export function isEmpty(r: RunResources): boolean {
  return r.containers.length === 0 && r.networks.length === 0 && r.images.length === 0;
}

/**
 * Removes everything labelled with `runId` (every run's leftovers when omitted): containers
 * first (killed: their logs were captured as they ran), then networks, then images. Retries
 * once for what a concurrent start-up created meanwhile. Returns what could not be removed.
 */
export async function removeRunResources(docker: Docker, runId?: string): Promise<{ removed: RunResources; failed: string[] }> {
  const removed: RunResources = { containers: [], networks: [], images: [] };
  const failed: string[] = [];
  for (let attempt = 0; attempt < 2; attempt++) {
    const left = await listRunResources(docker, runId);
    if (isEmpty(left)) break;
    failed.length = 0;
    const gone = (err: unknown) => dockerStatus(err) === 404;
    await Promise.all(left.containers.map(async (c) => {
      try {
        await docker.getContainer(c.id).remove({ force: true, v: true });
        removed.containers.push(c);
      } catch (err) {
        if (!gone(err)) failed.push(`container ${c.name}: ${dockerMessage(err)}`);
      }
    }));
    for (const n of left.networks) {
      try {
        await docker.getNetwork(n.id).remove();
        removed.networks.push(n);
      } catch (err) {
        if (!gone(err)) failed.push(`network ${n.name}: ${dockerMessage(err)}`);
      }
    }
    for (const i of left.images) {
      try {
        await docker.getImage(i.id).remove({ force: true });
        removed.images.push(i);
      } catch (err) {
        if (!gone(err)) failed.push(`image ${i.tags[0] ?? i.id}: ${dockerMessage(err)}`);
      }
    }
  }
  return { removed, failed };
}

// ---------------------------------------------------------------------------------------------
// Last-chance cleanup when agentcheck exits with runs still up.

interface LiveRun {
  /** How the detached cleaner reaches the engine (a unix socket or plain http). */
  connection: DockerConnection;
}

const liveRuns = new Map<string, LiveRun>();
let exitHookInstalled = false;

/** Runs started by this process and not yet cleaned up (for leak checks in tests). */
export function liveContainerRuns(): string[] {
  return [...liveRuns.keys()];
}

/** The connection a detached process can use, when the engine is reachable without TLS/SSH. */
function plainConnection(docker: Docker): LiveRun['connection'] | undefined {
  const modem = docker.modem as unknown as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string' && modem.socketPath) return { socketPath: modem.socketPath };
  if (typeof modem.host === 'string' && (modem.protocol === 'http' || modem.protocol === undefined)) {
    return { host: modem.host, port: Number(modem.port ?? 2375) };
  }
  return undefined;
}

// Plain node, no agentcheck modules: it must work after this process (and its module graph) is gone.
const CLEANER = `
const http = require('node:http');
const [conn, runId] = JSON.parse(process.argv[1]);
const call = (method, path) => new Promise((resolve) => {
  const req = http.request({ ...conn, method, path, timeout: 20000 }, (res) => {
    let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve(body));
  });
  req.on('error', () => resolve('[]')); req.on('timeout', () => req.destroy()); req.end();
});
const list = async (path) => { try { return JSON.parse(await call('GET', path)); } catch { return []; } };
(async () => {
  const f = encodeURIComponent(JSON.stringify({ label: ['${RUN_LABEL}=' + runId] }));
  for (const c of await list('/containers/json?all=1&filters=' + f)) await call('DELETE', '/containers/' + c.Id + '?force=1&v=1');
  for (const n of await list('/networks?filters=' + f)) await call('DELETE', '/networks/' + n.Id);
  for (const i of await list('/images/json?filters=' + f)) await call('DELETE', '/images/' + i.Id + '?force=1');
})();
`;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: hand each live run to a detached cleaner.
  process.on('exit', () => {
    for (const [runId, run] of liveRuns) {
      try {
        const child = spawn(process.execPath, ['-e', CLEANER, JSON.stringify([run.connection, runId])], { detached: true, stdio: 'ignore' });
        child.unref();
      } catch {
        // Nothing more can be done from an exiting process; `agentcheck images prune` can.
      }
    }
  });
}

/** Remembers a run until {@link forgetLiveRun}; if agentcheck exits first, a detached process removes it. */
export function rememberLiveRun(docker: Docker, runId: string): void {
  const connection = plainConnection(docker);
  if (!connection) return;
  installExitHook();
  liveRuns.set(runId, { connection });
  // The watchdog covers what the exit hook cannot: SIGKILL, the OOM killer, SIGHUP.
  trackDockerRun(runId, connection);
}

/** The run was cleaned up normally. */
export function forgetLiveRun(runId: string): void {
  liveRuns.delete(runId);
  untrackDockerRun(runId);
}

/** The detached cleaner's script, for tests that exercise it directly. */
export const detachedCleanerScript = CLEANER;
