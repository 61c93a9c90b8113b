/**
 * One agent as a container, the container counterpart of `startProcessAgent`: started through
 * Testcontainers on the run's network under a DNS alias, its output captured to `<name>.log`,
 * and the same readiness rules (HTTP 2xx on a path, or a TCP connect) with the log tail in
 * every failure. Readiness is checked by agentcheck, not by a Testcontainers wait strategy,
 * so an early exit, a timeout and Ctrl-C all end the wait at once with the agent's last lines.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AgentcheckError } from '../../errors.js';
import { dockerMessage, type DockerEngine } from '../../images/engine.js';
import type { Readiness } from '../types.js';
import type { StartedAgent } from './process.js';
import { LineRing } from './line-ring.js';
import { httpBaseUrl, probeHttp, sleep } from './wait.js';

/** How to start one container. */
export interface ContainerAgentSpec {
  /** Agent name (reports, log file). */
  name: string;
  /** DNS name on its network. */
  alias: string;
  /** Every alias it has on `network`; default `[alias]`. */
  aliases?: string[];
  /** Docker container name. */
  containerName: string;
  image: string;
  /** argv replacing the image's CMD (the entrypoint stays). */
  command?: string[];
  env: Record<string, string>;
  /** The port the agent listens on inside the container (published on a free host port). */
  port: number;
  readiness: Readiness;
  workdir?: string;
  /** Host folders bind-mounted into the container. */
  mounts?: Array<{ source: string; target: string; mode: 'ro' | 'rw' }>;
  /** Host folders copied into the container before it starts (for remote engines). */
  copies?: Array<{ source: string; target: string }>;
  labels: Record<string, string>;
  /** The user-defined network to join (the container is on no other network unless `moreNetworks` names it). */
  network: string;
  /** Further networks joined before the container starts, each with the aliases it has there. */
  moreNetworks?: Array<{ network: string; aliases: string[] }>;
  /** Replaces the image's entrypoint. */
  entrypoint?: string[];
}

/** Options of {@link startContainerAgent}. */
export interface ContainerAgentContext {
  engine: DockerEngine;
  /** Folder for `<name>.log`. */
  logDir?: string;
  signal?: AbortSignal;
  /**
   * Checks a TCP port from inside the network (the container's name, which resolves to it and
   * nothing else, and its container port). Without one, a TCP
   * readiness check connects through the published port and waits to see the connection held,
   * because Docker's port proxy accepts connections even when nothing listens behind it.
   */
  tcpProbe?: (containerName: string, port: number) => Promise<boolean>;
}

/** A running agent container. Disposing it stops and removes the container. */
export interface ContainerAgent extends StartedAgent {
  readonly containerId: string;
  readonly containerName: string;
  readonly alias: string;
  /** The port inside the container. */
  readonly containerPort: number;
  readonly image: string;
  /** `http://<container name>:<port>`: where the proxy container reaches it (the name resolves to it alone). */
  readonly networkUrl: string;
  /** Runs a command in the container (exit code and interleaved output). */
  exec(command: string[]): Promise<{ exitCode: number; output: string }>;
}



/** Connects through a published port; ready when the connection is still held after `holdMs` or data arrived. */
export async function probePublishedTcp(host: string, port: number, holdMs = 200): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000 + holdMs);
    socket.once('connect', () => {
      timer.refresh();
      setTimeout(() => done(true), holdMs);
    });
    socket.once('data', () => done(true));
    socket.once('close', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** `localhost` as an IPv4 address: Docker publishes on 0.0.0.0, and Node may try ::1 first. */
function reachableHost(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host;
}

/**
 * Starts one container and waits until it is ready. Throws an `environment`
 * {@link AgentcheckError} (exit 3) with the container's last lines when the image cannot be
 * used, the container exits early, or it is not ready within `readiness.timeoutMs`; the
 * container is removed first.
 */
export async function startContainerAgent(spec: ContainerAgentSpec, ctx: ContainerAgentContext): Promise<ContainerAgent> {
  const { tc, docker } = ctx.engine;
  const ring = new LineRing(200);
  let logStream: WriteStream | undefined;
  let logFile: string | undefined;
  if (ctx.logDir) {
    mkdirSync(ctx.logDir, { recursive: true });
    logFile = path.join(ctx.logDir, `${spec.name}.log`);
    logStream = createWriteStream(logFile, { flags: 'a' });
  }

  // Init: node as PID 1 would ignore SIGTERM; docker-init forwards it so stop() is graceful.
  class AgentContainer extends tc.GenericContainer {
    withInit(): this {
      this.hostConfig.Init = true;
      return this;
    }
    /**
     * Joins `network` alone, with its aliases set at create. (Testcontainers' withNetworkAliases
     * creates the container on Docker's default bridge and connects the network after: every
     * container would share that bridge, where any of them reaches any other by address.)
     */
    withOnlyNetwork(network: string, aliases: string[]): this {
      this.hostConfig.NetworkMode = network;
      this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: aliases } } };
      return this.withNetworkMode(network);
    }
    /** Engines before API 1.44 take one network at create: the others are connected before start. */
    protected override async containerCreated(containerId: string): Promise<void> {
      for (const n of spec.moreNetworks ?? []) {
        await docker.getNetwork(n.network).connect({ Container: containerId, EndpointConfig: { Aliases: n.aliases } });
      }
    }
  }
  class NoWait extends tc.StartupCheckStrategy {
    override async checkStartupState(): Promise<'SUCCESS'> {
      return 'SUCCESS';
    }
  }
  let builder = new AgentContainer(spec.image)
    .withInit()
    .withName(spec.containerName)
    .withLabels(spec.labels)
    .withOnlyNetwork(spec.network, spec.aliases ?? [spec.alias])
    .withEnvironment(spec.env)
    .withExposedPorts(spec.port)
    .withAutoRemove(false)
    .withWaitStrategy(new NoWait())
    .withLogConsumer((stream: Readable) => {
      stream.on('data', (chunk: string | Buffer) => {
        const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        ring.push(text);
        logStream?.write(text);
      });
      stream.on('error', () => undefined);
    });
  if (spec.entrypoint) builder = builder.withEntrypoint(spec.entrypoint);
  if (spec.command) builder = builder.withCommand(spec.command);
  if (spec.workdir) builder = builder.withWorkingDir(spec.workdir);
  if (spec.mounts?.length) builder = builder.withBindMounts(spec.mounts.map((m) => ({ source: m.source, target: m.target, mode: m.mode })));
  if (spec.copies?.length) builder = builder.withCopyDirectoriesToContainer(spec.copies);

  let started: Awaited<ReturnType<typeof builder.start>>;
  try {
    started = await builder.start();
  } catch (err) {
    logStream?.end();
    // A half-created container carries the run label; the team's cleanup removes it.
    throw new AgentcheckError('environment', `agent '${spec.name}': cannot start a container from image ${spec.image}: ${dockerMessage(err)}`,
      `check that the image exists on the engine (docker image ls ${spec.image.split(':')[0]}); with no registry, build it locally`, { cause: err });
  }

  const containerId = started.getId();
  const container = docker.getContainer(containerId);
  const host = reachableHost(started.getHost());
  const port = started.getMappedPort(spec.port);
  let hasExited = false;
  const exited: Promise<number | string> = container
    .wait()
    .then((r: { StatusCode?: number }) => r.StatusCode ?? 'unknown')
    .catch((err: unknown) => (dockerMessage(err).includes('No such container') ? 'removed' : 'unknown'))
    .then((code: number | string) => {
      hasExited = true;
      // Let the log stream deliver the last lines before the file is closed.
      setTimeout(() => logStream?.end(), 200).unref();
      return code;
    });
  const pid = await container
    .inspect()
    .then((i) => i.State?.Pid ?? -1)
    .catch(() => -1);

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 2000): Promise<void> => {
    stopping ??= (async () => {
      if (!hasExited) await container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) }).catch(() => undefined);
      await container.remove({ force: true, v: true }).catch(() => undefined);
      await exited;
    })();
    return stopping;
  };

  const agent: ContainerAgent = {
    name: spec.name,
    host,
    port,
    url: httpBaseUrl(host, port),
    pid,
    ...(logFile ? { logFile } : {}),
    exited,
    get hasExited() {
      return hasExited;
    },
    logTail: (lines = 20) => ring.tail(lines),
    stop,
    [Symbol.asyncDispose]: () => stop(),
    containerId,
    containerName: spec.containerName,
    alias: spec.alias,
    containerPort: spec.port,
    image: spec.image,
    networkUrl: `http://${spec.containerName}:${spec.port}`,
    exec: async (command) => {
      const r = await started.exec(command);
      return { exitCode: r.exitCode, output: r.output };
    },
  };

  const timeoutMs = spec.readiness.timeoutMs;
  const deadline = Date.now() + timeoutMs;
  const readyPath = spec.readiness.kind === 'http' ? spec.readiness.path : undefined;
  for (let delay = 20; ; delay = Math.min(delay * 2, 100)) {
    if (hasExited) {
      const code = await exited;
      await sleep(100); // the last lines are still in flight on the log stream
      await stop();
      throw new AgentcheckError('environment', `agent '${spec.name}' exited with ${code} before it was ready\n--- last lines of its output ---\n${ring.tail(20)}`,
        `check the agent's image (${spec.image})${spec.command ? ` and command (${JSON.stringify(spec.command)})` : ''} and its log`);
    }
    if (ctx.signal?.aborted) {
      await stop();
      throw new AgentcheckError('environment', `start of agent '${spec.name}' was interrupted`);
    }
    const ready = readyPath
      ? await probeHttp(`${agent.url}${readyPath}`)
      : ctx.tcpProbe
        ? await ctx.tcpProbe(spec.containerName, spec.port)
        : await probePublishedTcp(host, port);
    if (ready) return agent;
    if (Date.now() > deadline) {
      await stop();
      const what = readyPath ? `GET ${readyPath} did not answer 2xx` : `port ${spec.port} did not accept connections`;
      throw new AgentcheckError('environment',
        `agent '${spec.name}' was not ready after ${timeoutMs} ms (${what})\n--- last lines of its output ---\n${ring.tail(20)}`,
        `raise readiness.timeout in the scenario, or check that the agent listens on 0.0.0.0:$PORT (${spec.port}) inside its container`);
    }
    await sleep(delay, ctx.signal);
  }
}
