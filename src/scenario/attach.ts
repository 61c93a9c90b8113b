/**
 * Attach mode (issue 17): a team that already runs elsewhere (a Compose project, a Swarm stack, a
 * Kubernetes namespace). An agent given by `url` is probed for readiness there and never started
 * or stopped; an edge given a `proxy: { api, name }` uses a proxy that already runs beside the team,
 * on a Toxiproxy-compatible API (agentcheck's own proxy or a real Toxiproxy), one client per API.
 * Faults on such proxies are registered with the reaper (`trackToxic`), so they are removed even
 * when the CLI dies; a proxy agentcheck created there is deleted at the end, one it found is left.
 */
import { Toxiproxy } from 'toxiproxy-node-client';
import { AgentcheckError } from '../errors.js';
import { probeHttp, probeTcp, sleep } from './runtimes/wait.js';
import type { StartedAgent } from './runtimes/process.js';
import type { ScenarioAgent, ScenarioEdge } from './types.js';

/** An edge's proxy on a remote API, as found or created at start. */
export interface RemoteProxy {
  /** API base URL (no trailing slash). */
  api: string;
  client: Toxiproxy;
  /** True when agentcheck created it (and so deletes it at the end). */
  created: boolean;
  /** True when the API is agentcheck's proxy (it serves `/proxies/<name>/records` and `/journal`). */
  agentcheck: boolean;
  /**
   * The last record and journal `seq` the proxy held when this run attached. A deployed proxy
   * outlives runs: only entries after these are this run's (read with `?since=`).
   */
  since: { records: number; journal: number };
}

/** `host` and `port` of a base URL (default ports filled). */
function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

/**
 * Waits until an agent by url answers its readiness probe (http path → 2xx, or a TCP connect),
 * and returns it in the shape of a started agent that never exits and whose stop does nothing.
 * Not ready within its timeout: an environment error (exit 3).
 */
export async function attachAgent(spec: ScenarioAgent, signal?: AbortSignal): Promise<StartedAgent> {
  const url = spec.url;
  if (!url) throw new AgentcheckError('config', `agent '${spec.name}' has no url`);
  const { host, port } = hostPort(url);
  const readiness = spec.readiness;
  const deadline = performance.now() + readiness.timeoutMs;
  const probe = () => (readiness.kind === 'http' ? probeHttp(`${url}${readiness.path}`) : probeTcp(host, port));
  for (;;) {
    if (await probe()) break;
    if (signal?.aborted) throw new AgentcheckError('environment', `agent '${spec.name}': interrupted while waiting for ${url}`);
    if (performance.now() >= deadline) {
      const what = readiness.kind === 'http' ? `GET ${url}${readiness.path} did not answer 2xx` : `no TCP connection to ${host}:${port}`;
      throw new AgentcheckError('environment', `agent '${spec.name}' (attached at ${url}) is not ready: ${what} within ${readiness.timeoutMs} ms`,
        'is the deployment up, and is the url reachable from where agentcheck runs?');
    }
    await sleep(100, signal);
  }
  const never = new Promise<number | string>(() => undefined);
  const stop = async (): Promise<void> => undefined;
  return { name: spec.name, host, port, url, pid: 0, exited: never, hasExited: false, logTail: () => '', stop, [Symbol.asyncDispose]: stop };
}

/** True for an agent agentcheck attaches to rather than starts. */
export function isAttached(agent: Pick<StartedAgent, 'pid'>): boolean {
  return agent.pid === 0;
}

/** One Toxiproxy client per API URL, shared by the edges that name it. */
export class RemoteApis {
  private readonly clients = new Map<string, Toxiproxy>();

  client(api: string): Toxiproxy {
    let c = this.clients.get(api);
    if (!c) {
      c = new Toxiproxy(api);
      this.clients.set(api, c);
    }
    return c;
  }
}

interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

async function getJson(url: string): Promise<{ status: number; body?: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

/**
 * Finds (and checks) or creates an edge's proxy on its remote API. `upstreamDefault` is where the
 * callee is (its url's host:port, or the local port agentcheck started it on), used when the edge
 * gives `listen` but no `upstream`. Environment errors (exit 3): the API does not answer, the proxy
 * is missing and cannot be created, it forwards elsewhere than the edge says, or it is disabled.
 */
export async function openRemoteProxy(edge: ScenarioEdge, apis: RemoteApis, upstreamDefault?: string, messageFaults: readonly string[] = []): Promise<{ listen: string; remote: RemoteProxy }> {
  const spec = edge.proxy;
  if (!spec) throw new AgentcheckError('config', `edge ${edge.id} has no proxy`);
  const client = apis.client(spec.api);
  const at = `${spec.api}/proxies/${encodeURIComponent(spec.name)}`;
  let found: { status: number; body?: unknown };
  try {
    found = await getJson(at);
  } catch (err) {
    throw new AgentcheckError('environment', `edge ${edge.id}: the proxy API at ${spec.api} does not answer: ${(err as Error).message}`, 'is the proxy deployed, and its API port reachable from where agentcheck runs?');
  }
  let proxy: ProxyJson;
  let created = false;
  if (found.status === 404) {
    const upstream = spec.upstream ?? upstreamDefault;
    if (spec.listen === undefined || upstream === undefined) {
      throw new AgentcheckError('environment', `edge ${edge.id}: there is no proxy '${spec.name}' on ${spec.api}`, 'deploy it, or give the edge proxy.listen and proxy.upstream so agentcheck creates it');
    }
    try {
      const made = await client.createProxy({ name: spec.name, listen: spec.listen, upstream, enabled: true, ...({ protocol: edge.protocol } as object) } as never);
      proxy = { name: spec.name, listen: made.listen, upstream: made.upstream, enabled: true };
    } catch (err) {
      throw new AgentcheckError('environment', `edge ${edge.id}: could not create proxy '${spec.name}' on ${spec.api}: ${(err as Error).message}`);
    }
    created = true;
  } else if (found.status === 200 && typeof found.body === 'object' && found.body !== null) {
    proxy = found.body as ProxyJson;
    if (spec.upstream !== undefined && proxy.upstream !== spec.upstream) {
      throw new AgentcheckError('environment', `edge ${edge.id}: proxy '${spec.name}' on ${spec.api} forwards to ${proxy.upstream}, but the edge says ${spec.upstream}`, 'fix proxy.upstream in the scenario or the deployment');
    }
    if (!proxy.enabled) throw new AgentcheckError('environment', `edge ${edge.id}: proxy '${spec.name}' on ${spec.api} is disabled`);
  } else {
    throw new AgentcheckError('environment', `edge ${edge.id}: GET ${at} answered ${found.status}, expected the proxy or 404`);
  }
  // agentcheck's proxy keeps hop records per proxy; a real Toxiproxy answers 404 there.
  const lastRecord = await lastSeq(`${at}/records`);
  const records = lastRecord !== undefined;
  const since = { records: lastRecord ?? 0, journal: records ? ((await lastSeq(`${at}/journal`)) ?? 0) : 0 };
  const remote: RemoteProxy = { api: spec.api, client, created, agentcheck: records, since };
  if (!records && messageFaults.length > 0) {
    await closeRemoteProxy(spec.name, remote).catch(() => undefined);
    throw new AgentcheckError('config', `edge ${edge.id}: the proxy API at ${spec.api} is not agentcheck's (a real Toxiproxy), so it cannot serve message-level faults (${messageFaults.join(', ')})`,
      "deploy agentcheck's proxy image there (agentcheck images build-proxy), or use stream toxics only on this edge");
  }
  return { listen: callerAddress(proxy.listen, spec.api), remote };
}

/** The `seq` of the last line of an NDJSON log endpoint (0 when empty); undefined when it is not served. */
async function lastSeq(url: string): Promise<number | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  if (!res) return undefined;
  const text = await res.text();
  if (!res.ok) return undefined;
  const last = text.trimEnd().split('\n').pop();
  if (!last) return 0;
  let seq: unknown;
  try {
    seq = (JSON.parse(last) as { seq?: unknown }).seq;
  } catch {
    seq = undefined;
  }
  if (typeof seq !== 'number') throw new AgentcheckError('environment', `${url}: the last line has no numeric seq: ${last.slice(0, 200)}`);
  return seq;
}

/**
 * The address a caller agentcheck starts reaches the proxy at: its listen address, with a wildcard
 * host (`0.0.0.0`, `[::]`, empty) replaced by the API's host (the proxy's host).
 */
export function callerAddress(listen: string, api: string): string {
  const cut = listen.lastIndexOf(':');
  const host = listen.slice(0, cut);
  const port = listen.slice(cut + 1);
  if (host === '' || host === '0.0.0.0' || host === '[::]' || host === '::') {
    const apiHost = new URL(api).hostname;
    return `${apiHost}:${port}`;
  }
  return listen;
}

/** Deletes a remote proxy agentcheck created (one it found is left as it was). */
export async function closeRemoteProxy(name: string, remote: RemoteProxy): Promise<void> {
  if (!remote.created) return;
  const res = await fetch(`${remote.api}/proxies/${encodeURIComponent(name)}`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
}
