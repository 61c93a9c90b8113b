/**
 * The images a container run needs, made ready before anything of the run starts: the proxy
 * image (agentcheck's, or the scenario's Toxiproxy image), the team image for agents that only
 * have a `command`, and one labelled per-run image per agent with a `build`. Cached images
 * (base, proxy, team) are rebuilt only when their content changed; per-run images are removed
 * with the run.
 */
import { AgentcheckError } from '../../errors.js';
import { DEFAULT_BASE_TAG, buildBaseImage } from '../../images/base.js';
import { buildImage, IMAGE_KIND_LABEL } from '../../images/build.js';
import { contextEntries } from '../../images/context.js';
import { dockerMessage, type DockerEngine } from '../../images/engine.js';
import { buildProxyImage, DEFAULT_PROXY_TAG } from '../../images/proxy-image.js';
import { tarStream } from '../../images/tar.js';
import { buildTeamImage, DEFAULT_TEAM_TAG } from '../../images/team-image.js';
import type { Scenario, ScenarioAgent } from '../types.js';
import { AGENT_LABEL, ownerLabels, RUN_LABEL } from './containers-cleanup.js';

/** The Toxiproxy image used when a scenario asks for `chaos.backend: toxiproxy` without naming one. */
export const DEFAULT_TOXIPROXY_IMAGE = 'ghcr.io/shopify/toxiproxy:2.12.0';

/** Options of {@link prepareRunImages}. */
export interface RunImageOptions {
  runId: string;
  /** Node image under the proxy and team images; default AGENTCHECK_BASE_IMAGE, else `agentcheck/node-base:local` (built when missing). */
  baseImage?: string;
  signal?: AbortSignal;
  /** One line per image step, for progress output. */
  onProgress?: (line: string) => void;
  /** Also make agentcheck's proxy image ready for the network sinkhole, whatever the chaos backend. */
  sinkhole?: boolean;
}

/** The images of a run. */
export interface RunImages {
  /** The chaos proxy's image. */
  proxy: string;
  /** True when `proxy` is agentcheck's own (so it serves message-level faults and has node). */
  proxyIsAgentcheck: boolean;
  /** Image per agent. */
  agents: Map<string, { image: string; kind: 'image' | 'build' | 'team' }>;
  /** agentcheck's proxy image, for the network sinkhole (when asked for). */
  sinkhole?: string;
}

/** A Docker-safe lowercase name part: letters, digits and `-`. */
export function dnsName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'agent';
}

/** The message-level faults of a scenario (`phase: type on edge`), which only agentcheck's proxy serves. */
export function messageLevelFaults(scenario: Scenario): string[] {
  return scenario.phases.flatMap((p) => p.faults.filter((f) => f.messageLevel).map((f) => `${p.name}: ${f.type} on ${f.edge}`));
}

async function ensurePresent(engine: DockerEngine, image: string, why: string): Promise<void> {
  try {
    await engine.docker.getImage(image).inspect();
    return;
  } catch {
    // Not here: try to pull it (works only with registry access).
  }
  try {
    await engine.client.image.pull(engine.tc.ImageName.fromString(image), { force: false, platform: undefined });
  } catch (err) {
    throw new AgentcheckError('environment', `${why} ${image} is not on the Docker engine and could not be pulled: ${dockerMessage(err)}`,
      'pull or build it where a registry is reachable (docker save | docker load moves it to an offline machine)');
  }
}

/**
 * Checks or builds every image the scenario needs. Throws `config` (exit 2) for what the
 * scenario cannot ask for, `environment` (exit 3) with the build's last lines when a build fails.
 */
export async function prepareRunImages(engine: DockerEngine, scenario: Scenario, options: RunImageOptions): Promise<RunImages> {
  const say = options.onProgress ?? (() => undefined);
  const common = { ...(options.signal ? { signal: options.signal } : {}) };
  const toxiproxy = scenario.chaos.backend === 'toxiproxy';
  if (toxiproxy) {
    const faults = messageLevelFaults(scenario);
    if (faults.length > 0) {
      throw new AgentcheckError('config',
        `message-level faults need agentcheck's own proxy; a real Toxiproxy answers 400 "invalid toxic type" for them (${faults.join(', ')})`,
        'drop chaos.backend: toxiproxy to use agentcheck\'s proxy image, or use stream toxics (latency, timeout, reset_peer, …) only');
    }
  }
  for (const agent of scenario.agents) {
    if (!agent.image && !agent.build && !agent.command?.length) {
      throw new AgentcheckError('config', `agent '${agent.name}' has no image, build or command; the containers runtime needs one of them`);
    }
  }

  const needsTeam = scenario.agents.some((a) => !a.image && !a.build);
  const ownProxy = !toxiproxy && !scenario.chaos.image;
  // The sinkhole runs from agentcheck's own proxy image: a custom or Toxiproxy image may not hold it.
  const ownImage = ownProxy || options.sinkhole === true;
  const base = options.baseImage ?? process.env.AGENTCHECK_BASE_IMAGE ?? DEFAULT_BASE_TAG;
  if (needsTeam || ownImage) {
    if (base === DEFAULT_BASE_TAG) {
      const r = await buildBaseImage(engine.docker, { engineArchitecture: engine.architecture, ...common });
      if (r.built) say(`built ${r.tag} (node ${r.nodeVersion})`);
    } else {
      await ensurePresent(engine, base, 'the base image');
    }
  }
  let proxy: string;
  if (toxiproxy) {
    proxy = scenario.chaos.image ?? DEFAULT_TOXIPROXY_IMAGE;
    await ensurePresent(engine, proxy, 'the Toxiproxy image');
  } else if (scenario.chaos.image) {
    proxy = scenario.chaos.image;
    await ensurePresent(engine, proxy, 'the proxy image');
  } else {
    proxy = DEFAULT_PROXY_TAG;
  }
  if (ownImage) {
    const r = await buildProxyImage(engine.docker, { base, ...common });
    if (r.built) say(`built ${r.tag}`);
  }
  if (needsTeam) {
    const r = await buildTeamImage(engine.docker, { base, ...common });
    if (r.built) say(`built ${r.tag}`);
  }

  const agents = new Map<string, { image: string; kind: 'image' | 'build' | 'team' }>();
  for (const agent of scenario.agents) {
    if (agent.image) {
      await ensurePresent(engine, agent.image, `agent '${agent.name}': the image`);
      agents.set(agent.name, { image: agent.image, kind: 'image' });
    } else if (agent.build) {
      agents.set(agent.name, { image: await buildAgentImage(engine, agent, options), kind: 'build' });
      say(`built the image of agent '${agent.name}'`);
    } else {
      agents.set(agent.name, { image: DEFAULT_TEAM_TAG, kind: 'team' });
    }
  }
  return { proxy, proxyIsAgentcheck: !toxiproxy, agents, ...(options.sinkhole ? { sinkhole: DEFAULT_PROXY_TAG } : {}) };
}

/** Builds an agent's `build` into a per-run image labelled with the run id. */
async function buildAgentImage(engine: DockerEngine, agent: ScenarioAgent, options: RunImageOptions): Promise<string> {
  const build = agent.build!;
  const tag = `agentcheck/run-${options.runId}-${dnsName(agent.name)}:latest`.toLowerCase();
  const entries = await contextEntries(build.context, build.dockerfile ?? 'Dockerfile');
  await buildImage(engine.docker, tarStream(entries), {
    tag,
    dockerfile: build.dockerfile ?? 'Dockerfile',
    what: `the image of agent '${agent.name}' (${build.context})`,
    labels: { [RUN_LABEL]: options.runId, ...ownerLabels(), [IMAGE_KIND_LABEL]: 'agent', [AGENT_LABEL]: agent.name },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return tag;
}
