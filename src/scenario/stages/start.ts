/**
 * Stage 1, start: the chaos backend and the team (agents and one proxy per edge), in the process
 * or the containers runtime. The value it hands on, {@link Started}, is everything later stages
 * talk to; {@link stopStarted} undoes it and is safe to call on a partial start.
 */
import { randomUUID } from 'node:crypto';
import { ForwardProxy, proxyEnv } from '../../detect/forward-proxy.js';
import { parseAllowList, resolveAllow, type ResolvedAllow } from '../../detect/topology-allow.js';
import { AgentcheckError } from '../../errors.js';
import type { AgentReport } from '../../report/model.js';
import { openChaosBackend, type ChaosBackend } from '../chaos-backend.js';
import { startTeam, type EdgeProxy, type StartedTeam } from '../team.js';
import type { RunContext } from './context.js';

/** A started team on its chaos backend. */
export interface Started {
  backend: ChaosBackend;
  team: StartedTeam;
  /** Base URL of each agent by name (for load, probes and command invariants). */
  agentUrls: Map<string, string>;
  /** The process runtime's forward proxy (absent with `detectors: { topology: false }` and in containers). */
  forward?: StartedForwardProxy;
  /** The process runtime's declared outside dependencies, their names resolved at start (for the socket view). */
  outside?: ResolvedAllow;
}

/** The forward proxy of a process-runtime team, and which of its variables each agent's own `env` kept. */
export interface StartedForwardProxy {
  proxy: ForwardProxy;
  /** Per agent given a listener: the proxy variables its scenario `env` set itself. */
  kept: Map<string, string[]>;
}

/** What was started before a start failed: stopped again by {@link stopStarted}. */
export interface PartialStart {
  backend?: ChaosBackend;
  team?: StartedTeam;
  forward?: StartedForwardProxy;
  /** Each agent's report, when the failure came with them (an agent that did not start). */
  agentReports?: AgentReport[];
}

/** A start that failed: what to report and what to stop. */
export class StartFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly partial: PartialStart,
  ) {
    super((cause as Error)?.message ?? String(cause));
  }
}

/**
 * Starts the backend and the team. An agent that exits while the run goes on aborts the run through
 * the context (the crash is in its agent report). Throws {@link StartFailed} with whatever started;
 * a configuration error (exit 2) is rethrown as it is, after stopping what started.
 */
export async function startStage(ctx: RunContext): Promise<Started> {
  const { scenario, options } = ctx;
  const partial: PartialStart = {};
  let outside: ResolvedAllow | undefined;
  try {
    if ((options.runtime ?? scenario.runtime) === 'containers') {
      if (options.toxiproxyUrl) {
        throw new AgentcheckError('config', '--toxiproxy-url applies to the process runtime; with containers set chaos: { backend: toxiproxy, image: … } in the scenario');
      }
      // Loaded only here: Testcontainers is heavy and a process run never needs it.
      const { startContainerTeam } = await import('../runtimes/containers.js');
      const team = await startContainerTeam(scenario, { runId: newRunId(), logDir: ctx.logDir, signal: ctx.signal, clock: ctx.clock, seed: ctx.seed, ...(options.onLog ? { onProgress: options.onLog } : {}) });
      partial.team = team;
      partial.backend = team.backend;
    } else {
      partial.backend = await openChaosBackend(scenario, { ...(options.toxiproxyUrl ? { toxiproxyUrl: options.toxiproxyUrl } : {}), seed: ctx.seed });
      ctx.checkAbort();
      const topology = scenario.detectors?.topology;
      // Validated at load time (validate-semantics.ts), so parsing cannot fail here.
      const allow = parseAllowList(topology === false ? [] : (topology?.allow ?? []));
      const forward = topology === false ? undefined : (partial.forward = { proxy: new ForwardProxy(), kept: new Map<string, string[]>() });
      partial.team = await startTeam(scenario, {
        client: partial.backend.client,
        logDir: ctx.logDir,
        signal: ctx.signal,
        clock: ctx.clock,
        // Each started agent's HTTP(S) goes through its own forward-proxy listener (the caller is the listener).
        ...(forward ? { agentEnv: async (agent: string, callees: readonly EdgeProxy[], userEnv: Readonly<Record<string, string>>) => {
          const direct = callees.map((p) => p.listen);
          const { env, kept } = proxyEnv(await forward.proxy.addCaller(agent, direct, allow), direct, userEnv);
          forward.kept.set(agent, kept);
          return env;
        } } : {}),
      });
      // Resolved once, as the run starts: a name whose addresses change later can be reported (docs/detectors.md).
      if (allow.length > 0) outside = await resolveAllow(allow);
    }
    const { team, backend } = partial as Required<Pick<PartialStart, 'team' | 'backend'>>;
    void team.crashed.then((c) => ctx.abort(`agent '${c.agent}' crashed (exit ${c.exit})`));
    ctx.checkAbort();
    return { backend, team, agentUrls: new Map([...team.agents].map(([name, a]) => [name, a.url])), ...(partial.forward ? { forward: partial.forward } : {}), ...(outside ? { outside } : {}) };
  } catch (err) {
    const agentReports = (err as { agentReports?: AgentReport[] }).agentReports;
    if (agentReports) partial.agentReports = agentReports;
    throw new StartFailed(err, partial);
  }
}

/** Stops the team and closes the backend; each step runs whatever the previous did. */
export async function stopStarted(s: PartialStart | Started): Promise<void> {
  if (s.team) await s.team.stop().catch(() => undefined);
  if (s.forward) await s.forward.proxy.close().catch(() => undefined);
  if (s.backend) await s.backend.close().catch(() => undefined);
}

/** A fresh run id (used in report folders and container labels). */
export function newRunId(): string {
  return randomUUID().slice(0, 8);
}
