/**
 * Which installed packages agentcheck's compiled code needs at run time, so the proxy image
 * carries ~10 MB of node_modules instead of every dependency (~95 MB with Pact and
 * Testcontainers). The import graph of `dist/` is followed from the entry files through static
 * `import`/`export … from` and literal `require()` calls; a dynamic `import('pkg')` is lazy by
 * design (Testcontainers, Pact) and is left out. Each package found brings its whole
 * `dependencies` closure, so packages' own lazy requires keep working.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { AgentcheckError } from '../errors.js';

/** One installed package to copy. */
export interface RuntimePackage {
  name: string;
  /** Absolute folder on the host. */
  dir: string;
  /** Folder under the image's `node_modules/` (keeps nesting, e.g. `a/node_modules/b`). */
  rel: string;
}

/** One file to copy, with the facts a content key needs. */
export interface CopiedFile {
  source: string;
  /** Path inside the destination folder. */
  rel: string;
  size: number;
  mtimeMs: number;
  mode: number;
  /** The bytes, when read up front (see {@link readContents}). */
  content?: Buffer;
}

const STATIC_IMPORT = /(?:^|[;\s}])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The module specifiers a compiled file loads eagerly (static imports, re-exports, literal requires). */
export function staticSpecifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(STATIC_IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec) out.push(spec);
  }
  return out;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Node's lookup: `node_modules/<name>` in `fromDir` and each of its parents. */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

/**
 * The packages agentcheck loads eagerly from `entries` (files under `root`), with their
 * dependency closures. Throws a `config` error naming the file when a static import does not resolve.
 */
export async function runtimePackages(root: string, entries: string[]): Promise<RuntimePackage[]> {
  const seenFiles = new Set<string>();
  const bare = new Map<string, string>(); // package name → importing folder
  const queue = entries.map((e) => path.resolve(root, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seenFiles.has(file)) continue;
    seenFiles.add(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // a match inside a comment or string; nothing to follow
    }
    for (const spec of staticSpecifiers(text)) {
      if (spec.startsWith('.') || spec.startsWith('/')) {
        if (spec.endsWith('.js') || spec.endsWith('.mjs') || spec.endsWith('.cjs')) queue.push(path.resolve(path.dirname(file), spec));
      } else if (!isBuiltin(spec) && !spec.startsWith('node:')) {
        const name = packageName(spec);
        if (!bare.has(name)) bare.set(name, path.dirname(file));
      }
    }
  }

  const dirs = new Map<string, string>(); // dir → name
  const visit = async (name: string, fromDir: string, optional: boolean): Promise<void> => {
    const dir = resolvePackageDir(name, fromDir);
    if (!dir) {
      if (optional) return;
      throw new AgentcheckError('environment', `package '${name}' (needed by ${path.relative(root, fromDir) || '.'}) is not installed`,
        'run npm ci in the agentcheck folder, then build the images again');
    }
    if (dirs.has(dir)) return;
    dirs.set(dir, name);
    const pkg = await readJson(path.join(dir, 'package.json'));
    const deps = Object.keys((pkg.dependencies as Record<string, string>) ?? {});
    const optionalDeps = Object.keys((pkg.optionalDependencies as Record<string, string>) ?? {});
    const peers = Object.keys((pkg.peerDependencies as Record<string, string>) ?? {});
    for (const d of deps) await visit(d, dir, optionalDeps.includes(d));
    for (const d of optionalDeps) await visit(d, dir, true);
    // Peers are used only when installed.
    for (const d of peers) await visit(d, dir, true);
  };
  for (const [name, fromDir] of bare) await visit(name, fromDir, false);

  // Lay packages out as Node would find them from /app: the closest node_modules root wins.
  const roots: string[] = [];
  for (let dir = root; ; dir = path.dirname(dir)) {
    roots.push(path.join(dir, 'node_modules'));
    if (path.dirname(dir) === dir) break;
  }
  const placed = new Map<string, RuntimePackage>();
  for (const root of roots) {
    for (const [dir, name] of dirs) {
      if (!dir.startsWith(root + path.sep)) continue;
      const rel = path.relative(root, dir).split(path.sep).join('/');
      if (!placed.has(rel) && ![...placed.values()].some((p) => p.dir === dir)) placed.set(rel, { name, dir, rel });
    }
  }
  return [...placed.values()].sort((a, b) => a.rel.localeCompare(b.rel));
}

const SKIP_FILE = /\.(d\.[cm]?ts|map|md|markdown)$/i;

/**
 * Every file under `dir` except nested `node_modules` and type/doc files nobody loads at run time;
 * `rel` paths are prefixed with `prefix`.
 */
export async function listFiles(dir: string, prefix: string, keep: (rel: string) => boolean = (rel) => !SKIP_FILE.test(rel)): Promise<CopiedFile[]> {
  const out: CopiedFile[] = [];
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(path.join(dir, sub), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(rel);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && keep(rel)) {
        const source = path.join(dir, rel);
        const st = await stat(source).catch(() => undefined);
        if (st?.isFile()) out.push({ source, rel: `${prefix}${rel}`, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o777 });
      }
    }
  };
  await walk('');
  return out;
}

/** One file to copy, as `rel`. */
export async function copiedFile(source: string, rel: string): Promise<CopiedFile> {
  const st = await stat(source);
  return { source, rel, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o777 };
}

/**
 * Reads every file into memory, so the content key and the build context see the same bytes
 * even while `npm run build` rewrites dist/ underneath.
 */
export async function readContents(files: CopiedFile[]): Promise<CopiedFile[]> {
  return Promise.all(files.map(async (f) => {
    const content = await readFile(f.source);
    return { ...f, content, size: content.length };
  }));
}
