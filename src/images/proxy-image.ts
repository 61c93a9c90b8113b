/**
 * The agentcheck proxy image: a Node base + agentcheck's `dist/` + the node_modules it loads at
 * run time, started as `agentcheck proxy --host 0.0.0.0` (Toxiproxy API on port 8474). Two
 * layers (dependencies, then the app) so a rebuild after `npm run build` sends the app only.
 */
import path from 'node:path';
import { AgentcheckError } from '../errors.js';
import { buildImage, contentKey, imageLabels, removeReplaced, IMAGE_KEY_LABEL, IMAGE_KIND_LABEL } from './build.js';
import type { Docker } from './engine.js';
import { builtPackageRoot } from './package-root.js';
import { runOnce } from './run-once.js';
import { copiedFile, listFiles, readContents, runtimePackages, type CopiedFile } from './runtime-deps.js';
import { tarStream, type TarEntry } from './tar.js';

/** Default tag of the proxy image. */
export const DEFAULT_PROXY_TAG = 'agentcheck/proxy:local';
/** The Toxiproxy API port inside the proxy image. */
export const PROXY_API_PORT = 8474;

/** Options shared by the agentcheck image builders. */
export interface AppImageOptions {
  /** Tag of the result. */
  tag?: string;
  /** The Node image to build on; default `agentcheck/node-base:local` (must exist). */
  base?: string;
  /** Rebuild even when an up-to-date image exists. Default false. */
  force?: boolean;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** A built (or found up to date) image. */
export interface ImageResult {
  tag: string;
  id: string;
  /** False when an up-to-date image already existed. */
  built: boolean;
  /** Bytes of files copied in (0 when not built). */
  bytes: number;
}

/** Files as tar entries under `prefix`, with every parent folder first. */
export function treeEntries(files: CopiedFile[]): TarEntry[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [
    ...[...dirs].sort().map((d): TarEntry => ({ type: 'dir', path: d })),
    ...files.map((f): TarEntry =>
      f.content ? { type: 'file', path: f.rel, content: f.content, mode: f.mode } : { type: 'file', path: f.rel, source: f.source, size: f.size, mode: f.mode }),
  ];
}

/** The base image's id, or an `environment` error saying how to get it. */
export async function requireBase(docker: Docker, base: string): Promise<string> {
  const found = await imageLabels(docker, base);
  if (!found) {
    throw new AgentcheckError('environment', `the base image ${base} does not exist on the Docker engine`,
      base.startsWith('agentcheck/') ? 'run `agentcheck images build-base` first' : `pull it first (docker pull ${base}) or use the offline base: agentcheck images build-base`);
  }
  return found.id;
}

/**
 * Builds the proxy image (idempotent: a no-op when the dependencies, dist/ and base are
 * unchanged), then checks it starts (`agentcheck proxy --help` in a container); a broken image is removed.
 */
export async function buildProxyImage(docker: Docker, options: AppImageOptions = {}): Promise<ImageResult> {
  const tag = options.tag ?? DEFAULT_PROXY_TAG;
  const base = options.base ?? 'agentcheck/node-base:local';
  const root = builtPackageRoot();
  const baseId = await requireBase(docker, base);

  // The CLI loads each command's module on demand (cli/commands/index.ts), so the scan starts from
  // the entry and from the one command this image runs.
  const packages = await runtimePackages(root, ['bin/agentcheck.js', 'dist/cli/commands/proxy.js']);
  const deps: CopiedFile[] = [];
  for (const pkg of packages) deps.push(...(await listFiles(pkg.dir, `deps/${pkg.rel}/`)));
  const app = await readContents([
    ...(await listFiles(path.join(root, 'bin'), 'app/bin/')),
    ...(await listFiles(path.join(root, 'dist'), 'app/dist/', (rel) => /\.(m?js|cjs|json)$/.test(rel))),
    await copiedFile(path.join(root, 'package.json'), 'app/package.json'),
  ]);
  const key = contentKey('agentcheck-proxy/1', deps, [baseId, contentKey('app', app)]);
  const existing = await imageLabels(docker, tag);
  if (existing && existing.labels[IMAGE_KEY_LABEL] === key && !options.force) return { tag, id: existing.id, built: false, bytes: 0 };

  const dockerfile = [
    `FROM ${base}`,
    'COPY deps/ /app/node_modules/',
    'COPY app/ /app/',
    'WORKDIR /app',
    'ENTRYPOINT ["node", "/app/bin/agentcheck.js", "proxy", "--host", "0.0.0.0"]',
    '',
  ].join('\n');
  const files = [...deps, ...app];
  const built = await buildImage(docker, tarStream([{ type: 'file', path: 'Dockerfile', content: dockerfile }, ...treeEntries(files)]), {
    tag,
    what: `the proxy image ${tag}`,
    labels: { [IMAGE_KIND_LABEL]: 'proxy', [IMAGE_KEY_LABEL]: key },
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await removeReplaced(docker, existing, built.id);
  // `proxy --help` loads the proxy command's whole module graph, so a missing package shows here.
  const check = await runOnce(docker, tag, ['/app/bin/agentcheck.js', 'proxy', '--help'], { entrypoint: ['node'], timeoutMs: 30_000 });
  if (check.exitCode !== 0) {
    await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    throw new AgentcheckError('environment',
      `the proxy image ${tag} was built but agentcheck does not start in it (exit ${check.exitCode}${check.timedOut ? ', timed out' : ''}):\n${check.output.trim().split('\n').slice(-20).join('\n')}`,
      'a package it imports may be missing from the image: report this with the output above');
  }
  return { tag, id: built.id, built: true, bytes: files.reduce((n, f) => n + f.size, 0) };
}
