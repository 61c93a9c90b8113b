// Build contexts without an engine: the tar writer (checked by the system's tar), .dockerignore
// semantics, the runtime-dependency scan behind the proxy image, and ldd parsing.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { sharedLibraries } from '../../src/images/base.js';
import { contextEntries, dockerignore } from '../../src/images/context.js';
import { packageName, runtimePackages, staticSpecifiers } from '../../src/images/runtime-deps.js';
import { tarStream, type TarEntry } from '../../src/images/tar.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'agentcheck-ctx-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function toBuffer(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const hasTar = (() => {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTar) console.log('[containers] tar round-trip tests skipped: no `tar` command on this machine');

describe.skipIf(!hasTar)('tarStream (read back by the system tar)', () => {
  it('round-trips files, folders, modes, symlinks, ustar-split and PAX long names', async () => {
    const src = tmp();
    const big = Buffer.alloc(70_000, 7); // several blocks, not a multiple of 512
    writeFileSync(path.join(src, 'big.bin'), big);
    const longDir = `${'d'.repeat(120)}/${'e'.repeat(30)}`; // > 100 bytes: needs the ustar prefix
    const veryLong = `${'x'.repeat(200)}/${'y'.repeat(150)}/file.txt`; // > 255 bytes: needs PAX
    const archive = await toBuffer([
      { type: 'dir', path: 'bin', mode: 0o755 },
      { type: 'file', path: 'bin/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { type: 'file', path: 'big.bin', source: path.join(src, 'big.bin'), size: big.length },
      { type: 'file', path: `${longDir}/f.txt`, content: 'prefix split' },
      { type: 'file', path: veryLong, content: 'pax path' },
      { type: 'symlink', path: 'link', target: 'bin/run.sh' },
      { type: 'dir', path: 'tmp', mode: 0o1777 },
    ]);
    expect(archive.length % 512).toBe(0);
    const out = tmp();
    writeFileSync(path.join(out, 'a.tar'), archive);
    const root = path.join(out, 'root');
    mkdirSync(root);
    execFileSync('tar', ['-xf', path.join(out, 'a.tar'), '-C', root]);
    expect(readFileSync(path.join(root, 'bin/run.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(statSync(path.join(root, 'bin/run.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(path.join(root, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(path.join(root, longDir, 'f.txt'), 'utf8')).toBe('prefix split');
    expect(readFileSync(path.join(root, veryLong), 'utf8')).toBe('pax path');
    expect(lstatSync(path.join(root, 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(root, 'link'))).toBe('bin/run.sh');
    const listing = execFileSync('tar', ['-tvf', path.join(out, 'a.tar')], { encoding: 'utf8' });
    expect(listing).toMatch(/^drwxrwxrwt .* tmp\/$/m);
  });

  it('fails the stream when a source file does not have the size it was listed with', async () => {
    const src = tmp();
    writeFileSync(path.join(src, 'f'), 'abc');
    await expect(toBuffer([{ type: 'file', path: 'f', source: path.join(src, 'f'), size: 10 }])).rejects.toThrow(/changed size/);
  });
});

describe('.dockerignore', () => {
  const ignored = dockerignore(['# comment', '*.log', '**/*.tmp', 'node_modules', '/secret', 'docs/**', '!docs/keep.md', ''].join('\n'));
  it.each([
    ['a.log', true],
    ['sub/a.log', false], // `*` does not cross folders
    ['sub/deep/x.tmp', true],
    ['x.tmp', true],
    ['node_modules/pkg/index.js', true], // a folder pattern covers what is below it
    ['secret', true], // a leading slash means the context root
    ['secret/inner.txt', true],
    ['not-secret', false],
    ['docs/a.md', true],
    ['docs/keep.md', false], // the later exception wins
    ['src/index.js', false],
    ['# comment', false],
  ])('%s → excluded: %s', (rel, excluded) => {
    expect(ignored(rel)).toBe(excluded);
  });

  it('orders matter: the last matching line wins', () => {
    expect(dockerignore('!a.txt\n*.txt')('a.txt')).toBe(true);
    expect(dockerignore('*.txt\n!a.txt')('a.txt')).toBe(false);
  });

  it('builds a context that honours it but always sends the Dockerfile and .dockerignore', async () => {
    const ctx = tmp();
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(ctx, '.dockerignore'), 'Dockerfile\n.dockerignore\nsecret.txt\nbuild/\n!build/keep.txt\n');
    writeFileSync(path.join(ctx, 'secret.txt'), 's');
    writeFileSync(path.join(ctx, 'app.js'), 'a');
    mkdirSync(path.join(ctx, 'build'));
    writeFileSync(path.join(ctx, 'build', 'out.js'), 'o');
    writeFileSync(path.join(ctx, 'build', 'keep.txt'), 'k');
    const names = (await contextEntries(ctx)).filter((e) => e.type !== 'dir').map((e) => e.path).sort();
    expect(names).toEqual(['.dockerignore', 'Dockerfile', 'app.js', 'build/keep.txt']);
  });

  it('names the missing Dockerfile as a configuration error (exit 2)', async () => {
    const ctx = tmp();
    const err = await contextEntries(ctx, 'docker/Dockerfile.dev').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(2);
    expect((err as AgentcheckError).message).toContain(path.join(ctx, 'docker/Dockerfile.dev'));
  });
});

describe('runtime dependency scan (what the proxy image carries)', () => {
  it('finds static imports, re-exports, side-effect imports and literal requires, not dynamic imports', () => {
    const source = [
      "import { a } from 'pkg-a';",
      "import {\n  b,\n  c,\n} from '@scope/pkg-b/sub';",
      "export * from './local.js';",
      "import 'side-effect';",
      "const x = require('cjs-dep');",
      "const lazy = await import('lazy-dep');",
      "import('also-lazy');",
    ].join('\n');
    expect(staticSpecifiers(source).sort()).toEqual(['./local.js', '@scope/pkg-b/sub', 'cjs-dep', 'pkg-a', 'side-effect']);
    expect(packageName('@scope/pkg-b/sub')).toBe('@scope/pkg-b');
    expect(packageName('yaml/util')).toBe('yaml');
  });

  it('follows a small import graph into node_modules and its dependency closure', async () => {
    const root = tmp();
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    };
    write('bin/main.js', "import '../dist/a.js';");
    write('dist/a.js', "import x from 'direct';\nconst t = await import('lazy');");
    write('node_modules/direct/package.json', JSON.stringify({ name: 'direct', dependencies: { transitive: '1' } }));
    write('node_modules/transitive/package.json', JSON.stringify({ name: 'transitive', dependencies: { nested: '1' } }));
    write('node_modules/transitive/node_modules/nested/package.json', JSON.stringify({ name: 'nested' }));
    write('node_modules/nested/package.json', JSON.stringify({ name: 'nested', version: 'hoisted, not used by transitive' }));
    write('node_modules/lazy/package.json', JSON.stringify({ name: 'lazy' }));
    const pkgs = await runtimePackages(root, ['bin/main.js']);
    expect(pkgs.map((p) => p.rel)).toEqual(['direct', 'transitive', 'transitive/node_modules/nested']);
  });

  it('reports a statically imported package that is not installed', async () => {
    const root = tmp();
    writeFileSync(path.join(root, 'main.js'), "import 'missing-pkg';");
    await expect(runtimePackages(root, ['main.js'])).rejects.toThrow(/package 'missing-pkg'.*is not installed/);
  });

  it.skipIf(!existsSync(path.resolve('dist/cli/main.js')))('keeps Testcontainers and dev tools out of the proxy image', async () => {
    const names = (await runtimePackages(process.cwd(), ['bin/agentcheck.js'])).map((p) => p.name);
    expect(names).toContain('commander');
    expect(names).not.toContain('testcontainers');
    expect(names).not.toContain('vitest');
    expect(names).not.toContain('typescript');
  });
});

describe.skipIf(process.platform !== 'linux')('shared libraries of node', () => {
  it('lists libc and the dynamic loader as absolute paths', async () => {
    const libs = await sharedLibraries(process.execPath);
    if (libs.length === 0) return; // a statically linked node needs nothing else
    expect(libs.every((l) => l.startsWith('/'))).toBe(true);
    expect(libs.some((l) => /libc\.so/.test(l))).toBe(true);
    expect(libs.some((l) => /ld-linux|ld-musl/.test(l))).toBe(true);
  });
});
