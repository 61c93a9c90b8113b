/**
 * Starting a scenario's team: one proxy per edge on the chaos backend, then every agent with the
 * URLs of its callees pointing at those proxies. The started team is AsyncDisposable: disposing it
 * stops every agent (process groups) and deletes every proxy it created, whatever happened before.
 */
import type { Toxiproxy } from 'toxiproxy-node-client';
import { AgentcheckError } from '../errors.js';
import type { AgentReport } from '../report/model.js';
import { edgeUrl } from './edge-url.js';
import { allocatePort, startProcessAgent, type StartedAgent } from './runtimes/process.js';
import { attachAgent, closeRemoteProxy, openRemoteProxy, RemoteApis, type RemoteProxy } from './attach.js';
import type { Scenario, ScenarioEdge } from './types.js';

/** One edge's proxy as created on the backend. */
export interface EdgeProxy {
  edge: ScenarioEdge;
  /** Proxy name on the Toxiproxy API (`<from>_to_<to>`; `->` is not URL-safe). */
  proxyName: string;
  /** Where callers connect (`host:port`). */
  listen: string;
  /** Attach mode: the proxy runs on this remote API (not on the run's chaos backend). */
  remote?: RemoteProxy;
}

/** A running team. */
export interface StartedTeam extends AsyncDisposable {
  agents: Map<string, StartedAgent>;
  proxies: Map<string, EdgeProxy>;
  /** What happened to each agent, for the report. */
  agentReports: AgentReport[];
  /** Resolves with the first agent that exits while the team is meant to be running. */
  crashed: Promise<AgentCrash>;
  stop(): Promise<void>;
}

/** Options for {@link startTeam}. */
export interface StartTeamOptions {
  client: Toxiproxy;
  /** Folder for the agents' logs. */
  logDir?: string;
  signal?: AbortSignal;
  /** Milliseconds since the run's start, for `startMs` in agent reports. */
  clock?: () => number;
  /**
   * More environment for a started (not attached) agent, given its declared edges' proxies and
   * its scenario `env` (which wins over what this returns); e.g. the forward proxy's variables.
   */
  agentEnv?: (agent: string, callees: readonly EdgeProxy[], userEnv: Readonly<Record<string, string>>) => Promise<Record<string, string>>;
}

/** An agent that ended while its team was meant to be running. */
export interface AgentCrash {
  agent: string;
  exit: number | string;
  tail: string;
}

/**
 * Watches a started agent: if it exits while the team is not stopping, its report is marked
 * crashed and `onCrash` hears of it (the runner aborts the run on the first one).
 */
export function watchForCrash(agent: StartedAgent, report: AgentReport, isStopping: () => boolean, onCrash: (crash: AgentCrash) => void): void {
  void agent.exited.then((exit) => {
    if (isStopping()) return;
    report.status = 'crashed';
    report.error = `exited with ${exit} during the run`;
    onCrash({ agent: agent.name, exit, tail: agent.logTail(20) });
  });
}

/** The Toxiproxy proxy name of an edge. */
export function edgeProxyName(edge: Pick<ScenarioEdge, 'from' | 'to'>): string {
  return `${edge.from}_to_${edge.to}`;
}

/**
 * Allocates every agent's port, creates one proxy per edge (`protocol: http` on http edges,
 * which the embedded server understands and a real Toxiproxy ignores), and starts the agents
 * concurrently with their callees' proxied URLs in their environment.
 */
export async function startTeam(scenario: Scenario, options: StartTeamOptions): Promise<StartedTeam> {
  const clock = options.clock ?? (() => 0);
  const agents = new Map<string, StartedAgent>();
  const proxies = new Map<string, EdgeProxy>();
  const agentReports: AgentReport[] = [];
  let stopping = false;

  const stop = async () => {
    stopping = true;
    await Promise.allSettled([...agents.values()].map((a) => a.stop()));
    for (const report of agentReports) if (report.status === 'started') report.status = 'stopped';
    await Promise.allSettled(
      [...proxies.values()].map(async (p) => {
        if (p.remote) return closeRemoteProxy(p.proxyName, p.remote);
        const proxy = await options.client.get(p.proxyName);
        await proxy.remove();
      }),
    );
  };

  try {
    const ports = new Map<string, number>();
    const attachedAt = new Map(scenario.agents.flatMap((a) => (a.url ? [[a.name, new URL(a.url).host] as const] : [])));
    const remoteApis = new RemoteApis();
    for (const agent of scenario.agents) {
      if (agent.url) continue;
      ports.set(agent.name, agent.port === 'auto' ? await allocatePort('127.0.0.1') : agent.port);
    }
    for (const edge of scenario.edges) {
      const name = edgeProxyName(edge);
      const upstream = attachedAt.get(edge.to) ?? `127.0.0.1:${ports.get(edge.to)}`;
      if (edge.proxy) {
        // Attach mode: the proxy already runs beside the team (attach.ts).
        const messageFaults = scenario.phases.flatMap((ph) => ph.faults.filter((f) => f.edge === edge.id && f.messageLevel).map((f) => `${ph.name}: ${f.type}`));
        const opened = await openRemoteProxy(edge, remoteApis, upstream, messageFaults);
        proxies.set(edge.id, { edge, proxyName: edge.proxy.name, ...opened });
        continue;
      }
      const body = { name, listen: '127.0.0.1:0', upstream, enabled: true, protocol: edge.protocol };
      let created;
      try {
        created = await options.client.createProxy(body);
      } catch (err) {
        throw new AgentcheckError('environment', `could not create the proxy for edge ${edge.id}: ${(err as Error).message}`);
      }
      proxies.set(edge.id, { edge, proxyName: name, listen: created.listen });
    }

    const crashes: Array<(c: AgentCrash) => void> = [];
    const crashed = new Promise<AgentCrash>((resolve) => crashes.push(resolve));

    // allSettled, not all: when one agent fails, the others must finish starting before the
    // teardown below stops them, or a late starter would be left running.
    const results = await Promise.allSettled(
      scenario.agents.map(async (spec) => {
        if (spec.url) {
          // Attach mode: already running elsewhere; only its readiness is ours to check.
          const report: AgentReport = { name: spec.name, runtime: 'process', status: 'failed', startMs: clock() };
          agentReports.push(report);
          try {
            agents.set(spec.name, await attachAgent(spec, options.signal));
          } catch (err) {
            report.error = (err as Error).message;
            throw err;
          }
          Object.assign(report, { status: 'started', url: spec.url, readyMs: clock() - (report.startMs ?? 0) });
          return;
        }
        const callees = [...proxies.values()].filter((p) => p.edge.from === spec.name);
        const env: Record<string, string> = { ...(options.agentEnv ? await options.agentEnv(spec.name, callees, spec.env ?? {}) : {}), ...spec.env };
        for (const p of callees) env[p.edge.env] = edgeUrl(p.edge, p.listen);
        if (!spec.command) {
          throw new AgentcheckError('config', `agent '${spec.name}' has no command; the process runtime needs one`);
        }
        const report: AgentReport = { name: spec.name, runtime: 'process', status: 'failed', startMs: clock() };
        agentReports.push(report);
        try {
          const started = await startProcessAgent(
            {
              name: spec.name,
              command: spec.command,
              cwd: spec.cwd,
              env,
              port: ports.get(spec.name) ?? 'auto',
              readiness: spec.readiness.kind === 'http'
                ? { http: spec.readiness.path, timeoutMs: spec.readiness.timeoutMs }
                : { tcp: true, timeoutMs: spec.readiness.timeoutMs },
            },
            { ...(options.logDir ? { logDir: options.logDir } : {}), ...(options.signal ? { signal: options.signal } : {}) },
          );
          agents.set(spec.name, started);
          Object.assign(report, { status: 'started', url: started.url, readyMs: clock() - (report.startMs ?? 0), ...(started.logFile ? { log: `logs/${spec.name}.log` } : {}) });
          watchForCrash(started, report, () => stopping, (crash) => crashes.forEach((resolve) => resolve(crash)));
        } catch (err) {
          report.error = (err as Error).message.split('\n')[0];
          throw err;
        }
      }),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    const team: StartedTeam = { agents, proxies, agentReports, crashed, stop, [Symbol.asyncDispose]: stop };
    return team;
  } catch (err) {
    await stop();
    throw Object.assign(err as Error, { agentReports });
  }
}
