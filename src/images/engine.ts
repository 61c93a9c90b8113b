/**
 * The Docker engine, reached through Testcontainers: it finds the engine the way every
 * Testcontainers user expects (DOCKER_HOST, ~/.testcontainers.properties, the local socket,
 * rootless sockets) and gives us its Dockerode connection for what its builder API does not
 * cover (labelled builds with their output, listing and removing by label).
 *
 * Testcontainers is imported lazily: the process runtime must not pay for loading it.
 */
import { AgentcheckError } from '../errors.js';

type Testcontainers = typeof import('testcontainers');
type RuntimeClient = Awaited<ReturnType<Testcontainers['getContainerRuntimeClient']>>;
/** The Dockerode instance Testcontainers talks to the engine with. */
export type Docker = RuntimeClient['container']['dockerode'];

/** A reachable engine. */
export interface DockerEngine {
  /** The `testcontainers` module (loaded on first use). */
  tc: Testcontainers;
  client: RuntimeClient;
  docker: Docker;
  /** Host name or address where mapped container ports are reachable (usually `localhost`). */
  host: string;
  serverVersion: string;
  /** The engine's architecture as Docker reports it (`x86_64`, `aarch64`). */
  architecture: string;
}

let loading: Promise<Testcontainers> | undefined;

/** Loads testcontainers once, with the reaper (Ryuk) off unless the user set it: we clean up ourselves and need no image for it. */
export function loadTestcontainers(): Promise<Testcontainers> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  loading ??= import('testcontainers');
  return loading;
}

/** How to get an engine running; part of every "no engine" message. */
export const START_ENGINE_HINT =
  'start a Docker engine and check that `docker info` works: `sudo systemctl start docker`, or ' +
  '`sudo dockerd > /tmp/dockerd.log 2>&1 &` on a machine without systemd, or Docker Desktop on a laptop; ' +
  'or point DOCKER_HOST at a running engine. Without Docker, use --runtime process';

/**
 * Connects to the Docker engine or throws an `environment` {@link AgentcheckError} (exit 3) that
 * says how to start one. Gives up after `timeoutMs` (default 20 s) so a dead DOCKER_HOST cannot hang a run.
 */
export async function checkDockerEngine(options: { timeoutMs?: number } = {}): Promise<DockerEngine> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const tc = await loadTestcontainers();
    const client = await Promise.race([
      tc.getContainerRuntimeClient(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ]);
    const rt = client.info.containerRuntime;
    return { tc, client, docker: client.container.dockerode, host: rt.host, serverVersion: String(rt.serverVersion), architecture: String(rt.architecture) };
  } catch (err) {
    const where = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : 'the local Docker socket';
    const why = (err as Error).message === 'Could not find a working container runtime strategy' ? 'nothing answered' : (err as Error).message;
    throw new AgentcheckError('environment', `no Docker engine is reachable (tried ${where}: ${why})`, START_ENGINE_HINT, { cause: err });
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** True when a Docker engine answers (for skipping tests and choosing defaults); never throws. */
export async function dockerAvailable(timeoutMs = 10_000): Promise<boolean> {
  try {
    await checkDockerEngine({ timeoutMs });
    return true;
  } catch {
    return false;
  }
}

/** Docker's error message, without Dockerode's "(HTTP code 404) no such image -" prefix. */
export function dockerMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? String(e?.message ?? err).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '');
}

/** The HTTP status of a Dockerode error (404 for "no such …"), or undefined. */
export function dockerStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
