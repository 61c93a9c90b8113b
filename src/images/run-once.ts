/**
 * `docker run --rm IMAGE CMD…` through the engine API: used to check a freshly built image
 * really starts before a scenario depends on it.
 */
import { dockerMessage, type Docker } from './engine.js';

/** What a one-off container did. */
export interface RunOnceResult {
  exitCode: number;
  /** stdout and stderr, interleaved. */
  output: string;
  timedOut: boolean;
}

/**
 * Runs `cmd` in a new container of `image` (entrypoint replaced when `entrypoint` is given),
 * waits at most `timeoutMs` (default 30 s), and removes the container whatever happened.
 */
export async function runOnce(
  docker: Docker,
  image: string,
  cmd: string[],
  options: { entrypoint?: string[]; labels?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunOnceResult> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
    Labels: { 'agentcheck.image-check': 'true', ...options.labels },
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void container.kill().catch(() => undefined);
    }, options.timeoutMs ?? 30_000);
    const status = (await container.wait()) as { StatusCode?: number };
    clearTimeout(timer);
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: status.StatusCode ?? -1, output: demux(raw), timedOut };
  } catch (err) {
    return { exitCode: -1, output: dockerMessage(err), timedOut: false };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Docker's multiplexed log format (8-byte frame headers) to text; plain text passes through. */
export function demux(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length) {
    const kind = raw[i];
    if (kind !== 0 && kind !== 1 && kind !== 2) return raw.toString('utf8');
    const size = raw.readUInt32BE(i + 4);
    out.push(raw.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString('utf8');
}

