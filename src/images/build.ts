/**
 * One image build on the engine: a tar build context in, the image id out, the build's output
 * kept so a failure can show its last lines (Docker reports a failed RUN as a line in the
 * stream, not as an HTTP error).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AgentcheckError } from '../errors.js';
import { dockerMessage, dockerStatus, type Docker } from './engine.js';

/** Label on every image agentcheck builds: which kind it is (`node-base`, `proxy`, `team`, `agent`). */
export const IMAGE_KIND_LABEL = 'agentcheck.image';
/** Label holding the content key an image was built from; a matching key means "up to date". */
export const IMAGE_KEY_LABEL = 'agentcheck.key';

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  /** Tag of the result, e.g. `agentcheck/node-base:local`. */
  tag: string;
  labels?: Record<string, string>;
  /** Dockerfile path inside the context; default `Dockerfile`. */
  dockerfile?: string;
  /** What is being built, for messages (default: the tag). */
  what?: string;
  /** Each line of build output as it arrives. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** A finished build. */
export interface BuiltImage {
  tag: string;
  id: string;
  /** The build's output lines. */
  log: string[];
}

/** The last `n` lines of a build log, for error messages. */
export function logTail(log: string[], n = 20): string {
  return log.slice(-n).join('\n');
}

/**
 * Builds `context` (a tar stream holding a Dockerfile) into `tag`. Throws an `environment`
 * {@link AgentcheckError} (exit 3) with the last lines of the build output when it fails.
 */
export async function buildImage(docker: Docker, context: Readable, options: BuildImageOptions): Promise<BuiltImage> {
  const what = options.what ?? `image ${options.tag}`;
  const log: string[] = [];
  let partial = '';
  const push = (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      log.push(line);
      options.onLine?.(line);
    }
  };
  let failure: string | undefined;
  let id: string | undefined;
  try {
    const stream = (await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: options.tag,
      dockerfile: options.dockerfile ?? 'Dockerfile',
      labels: options.labels ?? {},
      rm: true,
      forcerm: true,
      ...(options.signal ? { abortSignal: options.signal } : {}),
    })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          let msg: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } };
          try {
            msg = JSON.parse(line) as typeof msg;
          } catch {
            push(`${line}\n`);
            continue;
          }
          if (msg.stream) push(msg.stream);
          if (msg.aux?.ID) id = msg.aux.ID;
          if (msg.error) failure = msg.errorDetail?.message ?? msg.error;
        }
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
      context.on('error', reject);
    });
  } catch (err) {
    if (partial) log.push(partial);
    if (options.signal?.aborted) throw new AgentcheckError('environment', `building ${what} was interrupted`);
    const status = dockerStatus(err);
    throw new AgentcheckError('environment', `${what} failed to build: ${dockerMessage(err)}${status ? ` (HTTP ${status})` : ''}${log.length ? `\n--- last lines of the build ---\n${logTail(log)}` : ''}`,
      'check the Dockerfile and that the engine can reach every image it names (no registry: build them locally first)', { cause: err });
  }
  if (partial) log.push(partial);
  if (failure !== undefined) {
    await removeIntermediates(docker, log);
    throw new AgentcheckError('environment', `${what} failed to build: ${failure}\n--- last lines of the build ---\n${logTail(log)}`,
      'fix the step shown above; an image named in FROM must exist locally when no registry is reachable');
  }
  if (!id) {
    const inspected = await docker.getImage(options.tag).inspect().catch(() => undefined);
    id = inspected?.Id;
  }
  if (!id) throw new AgentcheckError('environment', `${what}: the engine reported no image after the build\n--- last lines of the build ---\n${logTail(log)}`);
  return { tag: options.tag, id, log };
}

/** The labels of an image, or undefined when it does not exist. */
export async function imageLabels(docker: Docker, ref: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, labels: info.Config?.Labels ?? {} };
  } catch (err) {
    if (dockerStatus(err) === 404) return undefined;
    throw new AgentcheckError('environment', `cannot inspect image ${ref}: ${dockerMessage(err)}`);
  }
}

/**
 * A content key (32 hex digits) over `kind`, `extra` strings and files: by their bytes when
 * read up front (freshly rebuilt files whose bytes did not change keep their key), else by
 * path, size and modification time (cheap for thousands of installed files).
 */
export function contentKey(
  kind: string,
  files: Array<{ rel: string; size: number; mtimeMs: number; content?: Buffer }>,
  extra: string[] = [],
): string {
  const h = createHash('sha256');
  h.update(`${kind}\n${extra.join('\n')}\n`);
  for (const f of files) {
    h.update(`${f.rel}\0${f.size}\0`);
    h.update(f.content ?? String(f.mtimeMs));
    h.update('\n');
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * Removes the image a rebuild replaced (now untagged), so repeated builds do not pile up
 * dangling images. Never forced: an image still used by a container or another image stays.
 */
export async function removeReplaced(docker: Docker, previous: { id: string } | undefined, current: string): Promise<void> {
  if (!previous || previous.id === current) return;
  await docker.getImage(previous.id).remove().catch(() => undefined);
}

/**
 * After a failed build, removes the untagged layer images its steps left (the legacy builder
 * keeps them as cache). Tagged images, such as the FROM image, are never touched.
 */
async function removeIntermediates(docker: Docker, log: string[]): Promise<void> {
  const ids = log.map((line) => /^\s*---> ([0-9a-f]{12,64})\s*$/.exec(line)?.[1]).filter((id): id is string => id !== undefined);
  for (const id of ids.reverse()) {
    const info = await docker.getImage(id).inspect().catch(() => undefined);
    if (info && (info.RepoTags ?? []).length === 0) await docker.getImage(id).remove().catch(() => undefined);
  }
}
