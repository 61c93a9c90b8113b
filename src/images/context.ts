/**
 * A Docker build context from a folder, honouring `.dockerignore` the way the Docker CLI does:
 * `#` comments, `!` exceptions, `**`, a leading `/` ignored, the last matching line wins, a
 * pattern that matches a folder excludes what is in it, and the Dockerfile and `.dockerignore`
 * are always sent.
 */
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { AgentcheckError } from '../errors.js';
import type { TarEntry } from './tar.js';

interface IgnoreRule {
  negate: boolean;
  match: (p: string) => boolean;
  depth: number;
}

/** Parses `.dockerignore` text into a predicate over context-relative `/`-separated paths. */
export function dockerignore(text: string): (rel: string) => boolean {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (!line || line === '.') continue;
    rules.push({ negate, match: picomatch(line, { dot: true }), depth: line.split('/').length });
  }
  return (rel: string) => {
    const parts = rel.split('/');
    let excluded = false;
    for (const rule of rules) {
      let hit = rule.match(rel);
      // A pattern naming a folder also covers everything below it.
      for (let k = 1; !hit && k < parts.length; k++) hit = rule.match(parts.slice(0, k).join('/'));
      if (hit) excluded = !rule.negate;
    }
    return excluded;
  };
}

/** The build context of `dir` as tar entries (streamed later), with `.dockerignore` applied. */
export async function contextEntries(dir: string, dockerfile = 'Dockerfile'): Promise<TarEntry[]> {
  const dockerfileRel = path.posix.normalize(dockerfile.split(path.sep).join('/'));
  try {
    const st = await lstat(path.join(dir, dockerfileRel));
    if (!st.isFile()) throw new Error('not a file');
  } catch {
    throw new AgentcheckError('config', `no Dockerfile at ${path.join(dir, dockerfileRel)}`,
      'build.context is relative to the scenario file and build.dockerfile to the context');
  }
  let ignoreText = '';
  try {
    ignoreText = await readFile(path.join(dir, '.dockerignore'), 'utf8');
  } catch {
    // No .dockerignore: everything is sent.
  }
  const ignored = dockerignore(ignoreText);
  const hasExceptions = /^\s*!/m.test(ignoreText);
  const keepAlways = new Set([dockerfileRel, '.dockerignore']);
  const entries: TarEntry[] = [];
  const walk = async (sub: string): Promise<void> => {
    const names = (await readdir(path.join(dir, sub))).sort();
    for (const name of names) {
      const rel = sub ? `${sub}/${name}` : name;
      const full = path.join(dir, rel);
      const st = await lstat(full);
      const skip = ignored(rel) && !keepAlways.has(rel);
      if (st.isDirectory()) {
        if (!skip) entries.push({ type: 'dir', path: rel, mode: st.mode & 0o7777 });
        // An exception further down may re-include something under an excluded folder.
        if (!skip || hasExceptions) await walk(rel);
      } else if (skip) {
        continue;
      } else if (st.isSymbolicLink()) {
        entries.push({ type: 'symlink', path: rel, target: await readlink(full) });
      } else if (st.isFile()) {
        entries.push({ type: 'file', path: rel, source: full, size: st.size, mode: st.mode & 0o7777 });
      }
    }
  };
  await walk('');
  return entries;
}
