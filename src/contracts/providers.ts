/**
 * Starting a provider for verification from a scenario's agent definitions: the provider and every
 * agent it calls (transitively, along the scenario's edges), each with its callees' URLs in the
 * edge's environment variable. Ports are allocated up front so all agents start at once (and a
 * cycle of agents calling each other still gets every URL). The provider's edges to the consumers
 * of its message pacts go through a recording tap, so the messages it really sends can be verified.
 */
import { AgentcheckError } from '../errors.js';
import { enableReaperInWorker } from '../reaper/watchdog.js';
import { allocatePort, startProcessAgent, type StartedAgent } from '../scenario/runtimes/process.js';
import type { Scenario, ScenarioAgent } from '../scenario/types.js';
import { edgeUrl } from '../scenario/edge-url.js';
import { startNatsMessageTap } from './nats-tap.js';
import { startMessageTap, type MessageTap } from './tap.js';

/** The parts of a loaded scenario contract verification uses. */
export type ContractScenario = Pick<Scenario, 'agents' | 'edges'>;

/** A provider and its dependencies, running. */
export interface StartedProvider extends AsyncDisposable {
  provider: string;
  /** The provider's base URL. */
  url: string;
  /** Every started agent's base URL, by name. */
  agents: Record<string, string>;
  /** Taps on provider → consumer edges, by consumer name. */
  taps: Map<string, MessageTap>;
  /** Milliseconds from the first spawn until every agent was ready. */
  startMs: number;
  /** The last lines of an agent's output (for error reports). */
  logTail(agent: string): string;
  stop(): Promise<void>;
}

/** Options of {@link startProviderFromScenario}. */
export interface StartProviderOptions {
  /** Consumers of the provider's message pacts: their edges get a recording tap. */
  messageConsumers?: readonly string[];
  /** Folder for agent logs. */
  logDir?: string;
}

/** Names of the agents `provider` needs: itself and everything it calls, transitively. */
export function dependencyClosure(scenario: ContractScenario, provider: string): string[] {
  const seen = new Set<string>([provider]);
  const queue = [provider];
  while (queue.length) {
    const from = queue.shift()!;
    for (const e of scenario.edges) {
      if (e.from === from && !seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
    }
  }
  return [...seen];
}

function readinessOf(agent: ScenarioAgent): { http?: string; tcp?: boolean; timeoutMs?: number } {
  const r = agent.readiness;
  return r.kind === 'http' ? { http: r.path, timeoutMs: r.timeoutMs } : { tcp: true, timeoutMs: r.timeoutMs };
}

/**
 * Starts `provider` and its dependencies from the scenario. Throws `config` (exit 2) when the
 * provider is not an agent of the scenario or has no command, `environment` (exit 3) when an agent
 * fails to start (with its log tail).
 */
export async function startProviderFromScenario(
  scenario: ContractScenario,
  provider: string,
  options: StartProviderOptions = {},
): Promise<StartedProvider> {
  // `contracts verify` starts providers in a worker process: they get a watchdog there too.
  enableReaperInWorker(`agentcheck contracts verify (worker for provider ${provider})`);
  const byName = new Map(scenario.agents.map((a) => [a.name, a]));
  if (!byName.has(provider)) {
    throw new AgentcheckError('config', `provider '${provider}' is not an agent of the scenario`,
      `agents in the scenario: ${scenario.agents.map((a) => a.name).join(', ')}; or pass --provider-base-url`);
  }
  const names = dependencyClosure(scenario, provider);
  const host = '127.0.0.1';
  const ports = new Map<string, number>();
  for (const name of names) {
    const agent = byName.get(name)!;
    if (!agent.command?.length) {
      throw new AgentcheckError('config', `agent '${name}' has no command to start it as a process`, 'give it a command in the scenario, or pass --provider-base-url');
    }
    ports.set(name, typeof agent.port === 'number' ? agent.port : await allocatePort(host));
  }
  const urlOf = (name: string) => `http://${host}:${ports.get(name)}`;

  const taps = new Map<string, MessageTap>();
  const started: StartedAgent[] = [];
  const stopAll = async () => {
    await Promise.allSettled([...started.map((a) => a.stop()), ...[...new Set(taps.values())].map((t) => t.close())]);
  };
  const t0 = performance.now();
  try {
    // Over a broker: the provider's nats edge to the broker the consumer also uses is tapped once.
    const brokerTaps = new Map<string, MessageTap>();
    for (const consumer of options.messageConsumers ?? []) {
      const edge = scenario.edges.find((e) => e.from === provider && e.to === consumer);
      if (edge && ports.has(consumer)) {
        taps.set(consumer, await startMessageTap(urlOf(consumer)));
        continue;
      }
      const bus = scenario.edges.find((e) => e.from === provider && e.protocol === 'nats' && ports.has(e.to) && scenario.edges.some((c) => c.from === consumer && c.to === e.to && c.protocol === 'nats'));
      if (!bus) continue;
      let tap = brokerTaps.get(bus.to);
      if (!tap) {
        tap = await startNatsMessageTap(ports.get(bus.to)!);
        brokerTaps.set(bus.to, tap);
      }
      taps.set(consumer, tap);
    }
    const results = await Promise.allSettled(
      names.map(async (name) => {
        const agent = byName.get(name)!;
        const env: Record<string, string> = { ...agent.env };
        for (const e of scenario.edges) {
          if (e.from !== name || !ports.has(e.to)) continue;
          const tap = name === provider ? (e.protocol === 'nats' ? brokerTaps.get(e.to) : taps.get(e.to)) : undefined;
          env[e.env] = tap ? tap.url : edgeUrl(e, `${host}:${ports.get(e.to)}`);
        }
        const a = await startProcessAgent(
          { name, command: agent.command!, cwd: agent.cwd, env, port: ports.get(name)!, readiness: readinessOf(agent) },
          options.logDir ? { logDir: options.logDir, host } : { host },
        );
        started.push(a);
        return a;
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stopAll();
    if (err instanceof AgentcheckError) {
      throw new AgentcheckError('environment', `provider '${provider}' could not be started: ${err.message}`, err.hint, { cause: err });
    }
    throw new AgentcheckError('environment', `provider '${provider}' could not be started: ${(err as Error).message}`, undefined, { cause: err });
  }
  const startMs = performance.now() - t0;
  const agents: Record<string, string> = {};
  for (const name of names) agents[name] = urlOf(name);
  return {
    provider,
    url: urlOf(provider),
    agents,
    taps,
    startMs,
    logTail: (agent) => started.find((a) => a.name === agent)?.logTail(20) ?? '',
    stop: stopAll,
    [Symbol.asyncDispose]: stopAll,
  };
}
