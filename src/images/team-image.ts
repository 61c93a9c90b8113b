/**
 * The team image: a Node base + the reference agent team (`scenarios/team/` at
 * `/scenario/team/`, working folder `/scenario`). One image for all five agents; each agent's
 * scenario `command` (`node team/intake.mjs`) picks what it runs. The containers runtime also
 * uses it for any agent that has a `command` and no `image`/`build`, with the scenario's
 * folder mounted over `/scenario`.
 */
import path from 'node:path';
import { buildImage, contentKey, imageLabels, removeReplaced, IMAGE_KEY_LABEL, IMAGE_KIND_LABEL } from './build.js';
import type { Docker } from './engine.js';
import { packageRoot } from './package-root.js';
import { requireBase, treeEntries, type AppImageOptions, type ImageResult } from './proxy-image.js';
import { listFiles, readContents } from './runtime-deps.js';
import { tarStream } from './tar.js';

/** Default tag of the team image. */
export const DEFAULT_TEAM_TAG = 'agentcheck/team:local';
/** The working folder of the team image, where a scenario's folder is mounted. */
export const TEAM_WORKDIR = '/scenario';

/** Builds the team image (idempotent: a no-op when the team's files and the base are unchanged). */
export async function buildTeamImage(docker: Docker, options: AppImageOptions = {}): Promise<ImageResult> {
  const tag = options.tag ?? DEFAULT_TEAM_TAG;
  const base = options.base ?? 'agentcheck/node-base:local';
  const baseId = await requireBase(docker, base);
  const files = await readContents(await listFiles(path.join(packageRoot(), 'scenarios', 'team'), 'scenario/team/', (rel) => /\.(m?js|cjs|json)$/.test(rel)));
  const key = contentKey('agentcheck-team/1', files, [baseId]);
  const existing = await imageLabels(docker, tag);
  if (existing && existing.labels[IMAGE_KEY_LABEL] === key && !options.force) return { tag, id: existing.id, built: false, bytes: 0 };
  const dockerfile = [`FROM ${base}`, `COPY scenario/ ${TEAM_WORKDIR}/`, `WORKDIR ${TEAM_WORKDIR}`, 'CMD ["node"]', ''].join('\n');
  const built = await buildImage(docker, tarStream([{ type: 'file', path: 'Dockerfile', content: dockerfile }, ...treeEntries(files)]), {
    tag,
    what: `the team image ${tag}`,
    labels: { [IMAGE_KIND_LABEL]: 'team', [IMAGE_KEY_LABEL]: key },
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await removeReplaced(docker, existing, built.id);
  return { tag, id: built.id, built: true, bytes: files.reduce((n, f) => n + f.size, 0) };
}
