/**
 * The offline Node base image: `FROM scratch` plus the host's own `node` binary, the shared
 * libraries `ldd` lists for it, and the dynamic loader. Nothing is pulled from a registry, so
 * it builds on air-gapped CI runners; the result is ~110 MB and starts node in milliseconds.
 *
 * With registry access the same role is played by any Node image: pass `--base node:20-slim`
 * to the image builders (or set AGENTCHECK_BASE_IMAGE) and this image is never built.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { AgentcheckError } from '../errors.js';
import { buildImage, imageLabels, removeReplaced, IMAGE_KEY_LABEL, IMAGE_KIND_LABEL } from './build.js';
import type { Docker } from './engine.js';
import { tarStream, type TarEntry } from './tar.js';

const run = promisify(execFile);

/** Default tag of the base image. */
export const DEFAULT_BASE_TAG = 'agentcheck/node-base:local';

/** Where node lives inside the image. */
const NODE_IN_IMAGE = 'usr/local/bin/node';

/** One file copied from the host into the image. */
interface HostFile {
  /** Path inside the image, without the leading slash. */
  inImage: string;
  /** The real file on the host (symlinks resolved: the image holds a copy, not a link). */
  source: string;
  size: number;
  mtimeMs: number;
  mode: number;
}

/** The result of {@link buildBaseImage}. */
export interface BaseImageResult {
  tag: string;
  id: string;
  /** False when an up-to-date image already existed. */
  built: boolean;
  /** Node version inside the image (the host's). */
  nodeVersion: string;
  /** Host files copied in (node, libraries, loader). */
  files: string[];
}

/** Options of {@link buildBaseImage}. */
export interface BuildBaseOptions {
  /** Image tag; default `agentcheck/node-base:local`. */
  tag?: string;
  /** The node binary to package; default the one running agentcheck (`process.execPath`). */
  nodePath?: string;
  /** Rebuild even when an image with the same content key exists. Default false. */
  force?: boolean;
  /** The engine's architecture (`DockerEngine.architecture`); when given, a mismatch with this node is refused. Default: not checked. */
  engineArchitecture?: string;
  /** Each line of build output. Default: none. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

const ARCH: Record<string, string[]> = { x64: ['x86_64', 'amd64'], arm64: ['aarch64', 'arm64'] };

/** The shared libraries and loader a binary needs, as `ldd` prints them (absolute paths). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('ldd', [binary], { encoding: 'utf8' }));
  } catch (err) {
    const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    // A static binary needs nothing else.
    if (/not a dynamic executable|statically linked/.test(out)) return [];
    throw new AgentcheckError('environment', `cannot list the shared libraries of ${binary}: ${(err as Error).message.split('\n')[0]}`,
      'install ldd (package libc-bin), or build the proxy and team images on a Node image with --base node:20-slim');
  }
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const lib = arrow?.[1] ?? bare?.[1];
    if (/=>\s+not found/.test(line)) {
      throw new AgentcheckError('environment', `ldd cannot find a library of ${binary}: ${line.trim()}`);
    }
    if (lib && !libs.includes(lib)) libs.push(lib);
  }
  return libs;
}

async function hostFile(inImage: string, source: string): Promise<HostFile> {
  const real = await realpath(source);
  const st = await stat(real);
  return { inImage, source: real, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o777 };
}

/** Every parent folder of the given image paths, shallowest first (tar readers want them before their files). */
function parentDirs(paths: string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** The content key of a base image: what goes in, by path, size and modification time. */
function baseKey(files: HostFile[], nodeVersion: string): string {
  const h = createHash('sha256');
  h.update(`agentcheck-node-base/1\n${nodeVersion}\n`);
  for (const f of files) h.update(`${f.inImage}\0${f.source}\0${f.size}\0${f.mtimeMs}\n`);
  return h.digest('hex').slice(0, 32);
}

/**
 * Builds the offline Node base image from the host's node binary (idempotent: a no-op when an
 * image with the same content key exists, unless `force`). Linux only, and the engine must run
 * the host's CPU architecture; otherwise an `environment` error says to use `node:20-slim`.
 */
export async function buildBaseImage(docker: Docker, options: BuildBaseOptions = {}): Promise<BaseImageResult> {
  const tag = options.tag ?? DEFAULT_BASE_TAG;
  const useNodeImage = 'with registry access, use a Node image instead: --base node:20-slim (or AGENTCHECK_BASE_IMAGE=node:20-slim)';
  if (process.platform !== 'linux') {
    throw new AgentcheckError('environment', `the offline base image packages the host's node binary, which only works on Linux (this is ${process.platform})`, useNodeImage);
  }
  if (options.engineArchitecture && !(ARCH[process.arch] ?? [process.arch]).includes(options.engineArchitecture)) {
    throw new AgentcheckError('environment',
      `the Docker engine runs ${options.engineArchitecture} but this node binary is ${process.arch}: it could not run in a container there`, useNodeImage);
  }
  const nodePath = options.nodePath ?? process.execPath;
  const nodeVersion = (await run(nodePath, ['--version'], { encoding: 'utf8' })).stdout.trim();
  const files = [await hostFile(NODE_IN_IMAGE, nodePath)];
  for (const lib of await sharedLibraries(nodePath)) files.push(await hostFile(lib.replace(/^\/+/, ''), lib));
  const key = baseKey(files, nodeVersion);

  const existing = await imageLabels(docker, tag);
  if (existing && existing.labels[IMAGE_KEY_LABEL] === key && !options.force) {
    return { tag, id: existing.id, built: false, nodeVersion, files: files.map((f) => f.source) };
  }

  // The loader finds libraries through its compiled-in paths or ld.so.cache; the image has
  // no cache, so name the folders the libraries came from.
  const libDirs = [...new Set(files.slice(1).map((f) => `/${path.posix.dirname(f.inImage)}`))];
  const dockerfile = [
    'FROM scratch',
    'COPY rootfs/ /',
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    ...(libDirs.length ? [`ENV LD_LIBRARY_PATH=${libDirs.join(':')}`] : []),
    'WORKDIR /',
    'CMD ["node"]',
    '',
  ].join('\n');
  const rootPaths = files.map((f) => `rootfs/${f.inImage}`);
  const entries: TarEntry[] = [
    { type: 'file', path: 'Dockerfile', content: dockerfile },
    ...parentDirs([...rootPaths, 'rootfs/tmp/x']).map((d): TarEntry => ({ type: 'dir', path: d, mode: d === 'rootfs/tmp' ? 0o1777 : 0o755 })),
    ...files.map((f): TarEntry => ({ type: 'file', path: `rootfs/${f.inImage}`, source: f.source, size: f.size, mode: f.mode })),
  ];
  const built = await buildImage(docker, tarStream(entries), {
    tag,
    what: `the base image ${tag}`,
    labels: { [IMAGE_KIND_LABEL]: 'node-base', [IMAGE_KEY_LABEL]: key, 'agentcheck.node-version': nodeVersion },
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await removeReplaced(docker, existing, built.id);
  return { tag, id: built.id, built: true, nodeVersion, files: files.map((f) => f.source) };
}
