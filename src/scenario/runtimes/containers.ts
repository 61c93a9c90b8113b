/**
 * The containers runtime (`--runtime containers`): every agent and the chaos proxy run as
 * containers, started through Testcontainers, each agent on a user-defined network of its own.
 *
 * The proxy container (agentcheck's proxy image, or a real Toxiproxy) joins every agent's
 * network and publishes its API to the host; one proxy per edge is created through that API,
 * listening on `0.0.0.0:<port>` inside the proxy container with the callee's container name as
 * upstream, and each caller gets `<EDGE ENV>=http://agentcheck-proxy:<port>`. Only the API and
 * each agent's port are published, so the host drives load and faults while agent-to-agent
 * traffic can only cross the proxy: no agent shares a network with another. A sinkhole
 * container answers for the other agents' names on each agent's network and records direct
 * calls for the topology detector (containers-sinkhole.ts).
 *
 * Cleanup does not use Testcontainers' reaper: every container, the network and per-run
 * images carry `agentcheck.run=<runId>` and the owner's `agentcheck.owner.*` labels, `stop()`
 * removes by that label and checks nothing is left, a run still live at process exit is removed
 * by a detached cleaner, and the run id is registered with agentcheck's watchdog (src/reaper),
 * which removes it when agentcheck dies in a way no exit hook sees (SIGKILL, OOM, SIGHUP).
 */
import path from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { AgentcheckError } from '../../errors.js';
import { checkDockerEngine, dockerMessage, type DockerEngine } from '../../images/engine.js';
import { PROXY_API_PORT } from '../../images/proxy-image.js';
import { TEAM_WORKDIR } from '../../images/team-image.js';
import type { AgentReport } from '../../report/model.js';
import type { ChaosBackend } from '../chaos-backend.js';
import { edgeUrl } from '../edge-url.js';
import { edgeProxyName, watchForCrash, type AgentCrash, type EdgeProxy, type StartedTeam } from '../team.js';
import type { Scenario, ScenarioAgent } from '../types.js';
import { startContainerAgent, type ContainerAgent, type ContainerAgentSpec } from './containers-agent.js';
import { AGENT_LABEL, forgetLiveRun, isEmpty, listRunResources, ownerLabels, rememberLiveRun, removeRunResources, RUN_LABEL } from './containers-cleanup.js';
import { dnsName, prepareRunImages, type RunImages } from './containers-images.js';
import { readDirectCalls, SINKHOLE_NAME, sinkholePlan, type IsolatedAgent } from './containers-sinkhole.js';
import type { DirectCalls } from '../../detect/sinkhole.js';
import { SINKHOLE_SCRIPT } from '../../images/sinkhole.js';

export { checkDockerEngine } from '../../images/engine.js';

/** The proxy container's name on every agent's network. */
export const PROXY_ALIAS = 'agentcheck-proxy';
/** The port an agent with `port: auto` listens on inside its container. */
export const DEFAULT_CONTAINER_PORT = 8080;
/** The first port edge proxies listen on inside the proxy container (one per edge, in order). */
export const FIRST_EDGE_PORT = 20000;

/** Options of {@link startContainerTeam}. */
export interface ContainerTeamOptions {
  /** Labels everything the run creates (`agentcheck.run=<runId>`); letters, digits, `.`, `_`, `-`. */
  runId: string;
  /** Folder for `<agent>.log` and `agentcheck-proxy.log`. */
  logDir?: string;
  /** Aborts the start-up (everything started so far is removed). */
  signal?: AbortSignal;
  /** Milliseconds since the run's start, for `startMs`/`readyMs` in agent reports. */
  clock?: () => number;
  /** Seed for agentcheck's proxy (its fault decisions). */
  seed?: string;
  /** Node image under the proxy and team images; default AGENTCHECK_BASE_IMAGE, else the offline `agentcheck/node-base:local`. */
  baseImage?: string;
  /**
   * How an agent that has only a `command` sees the scenario's folder: `bind` (read-only
   * mount; default on a local engine) or `copy` (copied in before start; default for a remote DOCKER_HOST).
   */
  scenarioFiles?: 'bind' | 'copy';
  /** Progress lines (image builds, containers started). */
  onProgress?: (line: string) => void;
  /** An engine from {@link checkDockerEngine}; default: connect now. */
  engine?: DockerEngine;
  /**
   * Start agents only once every edge proxy exists (the process runtime's order), for agents
   * that call their peers while booting. Default false: agents and the proxy container start
   * together (about 2 s sooner), and the team is returned only when both are ready.
   */
  proxyFirst?: boolean;
}

/** A running container team; `agents` hold {@link ContainerAgent}s. */
export interface ContainerTeam extends StartedTeam {
  readonly runId: string;
  /** Each agent's network (the agent's only one; the proxy and the sinkhole join them all). */
  readonly networks: ReadonlyMap<string, string>;
  /** The chaos backend: the proxy container's Toxiproxy API, published on the host. */
  readonly backend: ChaosBackend;
  /** Host-reachable base URL of each agent (`http://127.0.0.1:<published port>`). */
  readonly agentUrls: Map<string, string>;
  readonly agents: Map<string, ContainerAgent>;
  /** The proxy container. */
  readonly proxy: ContainerAgent;
  /**
   * The direct calls between agents the network sinkhole answered so far (no sinkhole for a
   * one-agent team or with `detectors: { topology: false }`). `toRunMs` maps epoch ms to the run's clock.
   */
  readonly directCalls?: (toRunMs: (epochMs: number) => number) => Promise<DirectCalls>;
}

function seedArg(seed: string | undefined): string[] {
  if (seed === undefined) return [];
  if (/^-?\d{1,15}$/.test(seed)) return ['--seed', seed];
  // The proxy takes an integer seed; derive one from any other string, deterministically.
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  return ['--seed', String(h)];
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Unique aliases: the agent's name made DNS-safe, numbered on collision. */
function aliasesFor(agents: ScenarioAgent[]): Map<string, string> {
  // `proxy` and `sinkhole` would give an agent the container name of the proxy or the sinkhole.
  const used = new Set([PROXY_ALIAS, SINKHOLE_NAME, 'proxy', 'sinkhole']);
  const out = new Map<string, string>();
  for (const a of agents) {
    let alias = dnsName(a.name);
    for (let i = 2; used.has(alias); i++) alias = `${dnsName(a.name)}-${i}`;
    used.add(alias);
    out.set(a.name, alias);
  }
  return out;
}

/**
 * Starts a scenario's team in containers: images first (built or checked), then the network,
 * the proxy container, one proxy per edge, and every agent concurrently. On any failure
 * everything labelled with the run id is removed before the error (an `environment`
 * {@link AgentcheckError}, exit 3, with the agent's log tail) is thrown; the error carries the
 * `agentReports` so far.
 */
export async function startContainerTeam(scenario: Scenario, options: ContainerTeamOptions): Promise<ContainerTeam> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(options.runId)) {
    throw new AgentcheckError('usage', `run id '${options.runId}' cannot label containers: use letters, digits, '.', '_' and '-' (at most 63)`);
  }
  const engine = options.engine ?? (await checkDockerEngine());
  const { docker } = engine;
  const runId = options.runId;
  const clock = options.clock ?? (() => 0);
  const say = options.onProgress ?? (() => undefined);
  const labels = { [RUN_LABEL]: runId, ...ownerLabels() };
  const agents = new Map<string, ContainerAgent>();
  const proxies = new Map<string, EdgeProxy>();
  const agentReports: AgentReport[] = [];
  let proxyContainer: ContainerAgent | undefined;
  let sinkholeContainer: ContainerAgent | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping = true;
    stopped ??= (async () => {
      // Agents first (graceful: they may flush), then the proxy, then whatever the label finds.
      await Promise.allSettled([...agents.values()].map((a) => a.stop()));
      for (const report of agentReports) if (report.status === 'started') report.status = 'stopped';
      await Promise.allSettled([proxyContainer?.stop(1000), sinkholeContainer?.stop(0)]);
      const { failed } = await removeRunResources(docker, runId);
      if (failed.length === 0) forgetLiveRun(runId);
      else process.stderr.write(`agentcheck: could not remove everything of run ${runId}: ${failed.join('; ')}\n`);
    })();
    return stopped;
  };

  rememberLiveRun(docker, runId);
  try {
    const withSinkhole = scenario.agents.length > 1 && scenario.detectors?.topology !== false;
    const images: RunImages = await prepareRunImages(engine, scenario, {
      runId,
      sinkhole: withSinkhole,
      ...(options.baseImage ? { baseImage: options.baseImage } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: say,
    });
    if (options.signal?.aborted) throw new AgentcheckError('environment', 'start of the container team was interrupted');

    const aliases = aliasesFor(scenario.agents);
    const ports = new Map(scenario.agents.map((a) => [a.name, a.port === 'auto' ? DEFAULT_CONTAINER_PORT : a.port]));
    const containerName = (agent: string) => `agentcheck-${runId}-${aliases.get(agent)}`;
    const isolated: IsolatedAgent[] = scenario.agents.map((a) => ({ name: a.name, alias: aliases.get(a.name)!, port: ports.get(a.name)!, network: containerName(a.name) }));
    const networks = new Map(isolated.map((a) => [a.name, a.network]));
    // Created together: the engine takes a while per network, and a run has one per agent.
    const created = await Promise.allSettled(isolated.map(async ({ network }) => {
      try {
        await docker.createNetwork({ Name: network, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
      } catch (err) {
        throw new AgentcheckError('environment', `cannot create the Docker network ${network}: ${dockerMessage(err)}`,
          'a leftover of an earlier run with the same id? `agentcheck images prune` removes leftovers');
      }
    }));
    const notCreated = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (notCreated) throw notCreated.reason;
    // The proxy and the sinkhole start on the first agent's network and join the others before they start.
    const [firstNetwork, ...otherNetworks] = isolated.map((a) => a.network);

    // The first failure stops every other wait: the run cannot start, so fail fast with its cause.
    const failFast = new AbortController();
    let firstFailure: unknown;
    const failed = (err: unknown) => {
      firstFailure ??= err;
      failFast.abort();
      throw err;
    };
    const agentCtx = {
      engine,
      ...(options.logDir ? { logDir: options.logDir } : {}),
      signal: options.signal ? AbortSignal.any([options.signal, failFast.signal]) : failFast.signal,
    };
    const ownProxy = images.proxyIsAgentcheck;
    // Listen addresses are fixed in advance, so callers' environments do not wait for the proxy.
    const edgePlan = scenario.edges.map((edge, index) => {
      const listenPort = FIRST_EDGE_PORT + index;
      proxies.set(edge.id, { edge, proxyName: edgeProxyName(edge), listen: `${PROXY_ALIAS}:${listenPort}` });
      return { name: edgeProxyName(edge), listen: `0.0.0.0:${listenPort}`, upstream: `${containerName(edge.to)}:${ports.get(edge.to)}`, enabled: true, protocol: edge.protocol, id: edge.id };
    });

    const proxyReady = (async () => {
      proxyContainer = await startContainerAgent(
        {
          name: PROXY_ALIAS,
          alias: PROXY_ALIAS,
          containerName: `agentcheck-${runId}-proxy`,
          image: images.proxy,
          ...(ownProxy ? { command: seedArg(options.seed) } : {}),
          env: {},
          port: PROXY_API_PORT,
          readiness: { kind: 'http', path: '/version', timeoutMs: 20_000 },
          labels: { ...labels, [AGENT_LABEL]: PROXY_ALIAS },
          network: firstNetwork!,
          moreNetworks: otherNetworks.map((network) => ({ network, aliases: [PROXY_ALIAS] })),
        },
        agentCtx,
      );
      say(`proxy container ready at ${proxyContainer.url}`);
      const client = new Toxiproxy(proxyContainer.url);
      for (const { id, ...body } of edgePlan) {
        try {
          await client.createProxy(body);
        } catch (err) {
          throw new AgentcheckError('environment', `could not create the proxy for edge ${id} in the proxy container: ${(err as Error).message}`);
        }
      }
      return { container: proxyContainer, client };
    })().catch(failed);
    // Settled here too, so a failure is reported once, by the allSettled below.
    proxyReady.catch(() => undefined);

    const plan = withSinkhole ? sinkholePlan(isolated) : undefined;
    const sinkholeReady = (async () => {
      if (!plan || !images.sinkhole) return undefined;
      const [first, ...others] = plan.networks;
      sinkholeContainer = await startContainerAgent(
        {
          name: SINKHOLE_NAME,
          alias: SINKHOLE_NAME,
          aliases: first!.aliases,
          containerName: `agentcheck-${runId}-sinkhole`,
          image: images.sinkhole,
          entrypoint: ['node', SINKHOLE_SCRIPT],
          command: ['--ports', plan.ports.join(','), '--api', String(plan.apiPort)],
          env: {},
          port: plan.apiPort,
          readiness: { kind: 'http', path: '/healthz', timeoutMs: 20_000 },
          labels: { ...labels, [AGENT_LABEL]: SINKHOLE_NAME },
          network: first!.network,
          moreNetworks: others,
        },
        agentCtx,
      );
      say(`network sinkhole ready at ${sinkholeContainer.url}`);
      return sinkholeContainer;
    })().catch(failed);
    sinkholeReady.catch(() => undefined);

    // A TCP readiness check must run inside the agent's network: Docker's port proxy accepts
    // connections on a published port even when nothing listens behind it. By container name:
    // the proxy is on every network, where an agent's alias may also name the sinkhole.
    const tcpProbe = ownProxy
      ? async (containerName: string, port: number) => {
          const proxy = await proxyReady.catch(() => undefined);
          if (!proxy) return false;
          const script = "const s=require('net').connect(+process.argv[2],process.argv[1]);s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),1000)";
          const r = await proxy.container.exec(['node', '-e', script, containerName, String(port)]).catch(() => ({ exitCode: 1, output: '' }));
          return r.exitCode === 0;
        }
      : undefined;

    const crashes: Array<(c: AgentCrash) => void> = [];
    const crashed = new Promise<AgentCrash>((resolve) => crashes.push(resolve));
    const remoteEngine = Boolean(process.env.DOCKER_HOST && !process.env.DOCKER_HOST.startsWith('unix://'));
    const scenarioFiles = options.scenarioFiles ?? (remoteEngine ? 'copy' : 'bind');
    // Agents that call peers while booting must find the proxy (and the sinkhole, for a direct call) in place.
    if (options.proxyFirst) await Promise.allSettled([proxyReady, sinkholeReady]);

    const results = await Promise.allSettled(
      scenario.agents.map(async (spec) => {
        const env: Record<string, string> = { HOST: '0.0.0.0', PORT: String(ports.get(spec.name)), ...spec.env };
        for (const p of proxies.values()) if (p.edge.from === spec.name) env[p.edge.env] = edgeUrl(p.edge, p.listen);
        const image = images.agents.get(spec.name)!;
        const report: AgentReport = { name: spec.name, runtime: 'container', status: 'failed' };
        agentReports.push(report);
        const alias = aliases.get(spec.name)!;
        const container: ContainerAgentSpec = {
          name: spec.name,
          alias,
          containerName: `agentcheck-${runId}-${alias}`,
          image: image.image,
          ...(spec.command?.length && image.kind !== 'build' ? { command: spec.command } : {}),
          env,
          port: ports.get(spec.name)!,
          readiness: spec.readiness,
          labels: { ...labels, [AGENT_LABEL]: spec.name },
          network: networks.get(spec.name)!,
        };
        if (image.kind === 'team') {
          // The command runs where the process runtime would run it: the agent's cwd, seen
          // under /scenario through the scenario's folder (or the cwd itself when outside it).
          const root = isInside(spec.cwd, scenario.source.baseDir) ? scenario.source.baseDir : spec.cwd;
          const rel = path.relative(root, spec.cwd).split(path.sep).join('/');
          container.workdir = rel ? `${TEAM_WORKDIR}/${rel}` : TEAM_WORKDIR;
          if (scenarioFiles === 'bind') container.mounts = [{ source: root, target: TEAM_WORKDIR, mode: 'ro' }];
          else container.copies = [{ source: root, target: TEAM_WORKDIR }];
        }
        const startMs = clock();
        try {
          const started = await startContainerAgent(container, { ...agentCtx, ...(tcpProbe ? { tcpProbe } : {}) });
          agents.set(spec.name, started);
          Object.assign(report, {
            status: 'started',
            url: started.url,
            startMs,
            readyMs: Math.max(0, clock() - startMs),
            ...(started.logFile ? { log: `logs/${spec.name}.log` } : {}),
          });
          say(`agent ${spec.name} ready at ${started.url} (${image.image})`);
          watchForCrash(started, report, () => stopping, (crash) => crashes.forEach((resolve) => resolve(crash)));
        } catch (err) {
          report.error = (err as Error).message.split('\n')[0];
          failed(err);
        }
      }),
    );
    await Promise.allSettled([proxyReady, sinkholeReady]);
    if (firstFailure !== undefined || results.some((r) => r.status === 'rejected')) throw firstFailure;
    if (options.signal?.aborted) throw new AgentcheckError('environment', 'start of the container team was interrupted');
    const { container: proxy, client } = await proxyReady;
    const sinkhole = await sinkholeReady;
    // Each agent's address on its own network: the sinkhole sees a direct call coming from it.
    const addresses = new Map<string, string>();
    if (sinkhole) {
      await Promise.all([...agents].map(async ([name, a]) => {
        const info = await docker.getContainer(a.containerId).inspect();
        const ip = info.NetworkSettings?.Networks?.[networks.get(name)!]?.IPAddress;
        if (ip) addresses.set(ip, name);
      }));
    }
    const closeBackend = async () => {
      await proxy.stop(1000);
    };
    const backend: ChaosBackend = { url: proxy.url, client, embedded: ownProxy, close: closeBackend, [Symbol.asyncDispose]: closeBackend };

    const team: ContainerTeam = {
      runId,
      networks,
      backend,
      agentUrls: new Map([...agents].map(([name, a]) => [name, a.url])),
      agents,
      proxies,
      proxy,
      ...(sinkhole ? { directCalls: (toRunMs: (epochMs: number) => number) => readDirectCalls(sinkhole.url, { addresses, agents: isolated, toRunMs }) } : {}),
      agentReports,
      crashed,
      stop,
      [Symbol.asyncDispose]: stop,
    };
    return team;
  } catch (err) {
    await stop();
    throw Object.assign(err as Error, { agentReports });
  }
}

/** Lists what a run left on the engine (empty after `stop()`); for tests and `agentcheck images prune`. */
export async function runLeftovers(runId: string, engine?: DockerEngine): Promise<{ empty: boolean; containers: string[]; networks: string[]; images: string[] }> {
  const e = engine ?? (await checkDockerEngine());
  const r = await listRunResources(e.docker, runId);
  return { empty: isEmpty(r), containers: r.containers.map((c) => c.name), networks: r.networks.map((n) => n.name), images: r.images.map((i) => i.tags[0] ?? i.id) };
}
