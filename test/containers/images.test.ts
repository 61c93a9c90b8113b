// The offline images on a real engine: the base runs the host's node, builds are idempotent, a
// failing build shows its output, and the proxy image starts agentcheck without Testcontainers.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { buildBaseImage, DEFAULT_BASE_TAG } from '../../src/images/base.js';
import { buildImage } from '../../src/images/build.js';
import { contextEntries } from '../../src/images/context.js';
import { buildProxyImage, DEFAULT_PROXY_TAG } from '../../src/images/proxy-image.js';
import { runOnce } from '../../src/images/run-once.js';
import { tarStream } from '../../src/images/tar.js';
import { buildTeamImage, DEFAULT_TEAM_TAG } from '../../src/images/team-image.js';
import { dockerCli, engine, engineAvailable, noteSkip } from './engine.js';

noteSkip('images.test.ts');
const fixtures = path.resolve('test/containers/fixtures');
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe.skipIf(!engineAvailable)('agentcheck images', { timeout: 180_000 }, () => {
  it('build-base packages the host node: `docker run` of it prints node --version', async () => {
    const e = await engine();
    const result = await buildBaseImage(e.docker, { engineArchitecture: e.architecture });
    expect(result.tag).toBe(DEFAULT_BASE_TAG);
    expect(result.nodeVersion).toBe(process.version);
    const output = dockerCli
      ? execFileSync('docker', ['run', '--rm', DEFAULT_BASE_TAG, 'node', '--version'], { encoding: 'utf8' })
      : (await runOnce(e.docker, DEFAULT_BASE_TAG, ['node', '--version'])).output;
    expect(output.trim()).toBe(process.version);
  });

  it('is idempotent: a second build finds the image up to date and is fast', async () => {
    const e = await engine();
    await buildBaseImage(e.docker, { engineArchitecture: e.architecture });
    const started = Date.now();
    const again = await buildBaseImage(e.docker, { engineArchitecture: e.architecture });
    expect(again.built).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses an engine of another CPU architecture with the node:20-slim way out', async () => {
    const e = await engine();
    const err = await buildBaseImage(e.docker, { engineArchitecture: 'riscv64', tag: 'agentcheck/never-built:test' }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(3);
    expect((err as AgentcheckError).hint).toContain('node:20-slim');
  });

  it('the proxy image runs agentcheck and carries no Testcontainers', async () => {
    const e = await engine();
    await buildBaseImage(e.docker, { engineArchitecture: e.architecture });
    const proxy = await buildProxyImage(e.docker);
    expect(proxy.tag).toBe(DEFAULT_PROXY_TAG);
    const v = await runOnce(e.docker, DEFAULT_PROXY_TAG, ['/app/bin/agentcheck.js', '--version'], { entrypoint: ['node'] });
    expect(v.exitCode).toBe(0);
    expect(v.output.trim()).toBe(version);
    // The command the image runs loads its whole module graph from the packages copied in.
    const help = await runOnce(e.docker, DEFAULT_PROXY_TAG, ['/app/bin/agentcheck.js', 'proxy', '--help'], { entrypoint: ['node'] });
    expect(help.exitCode, help.output).toBe(0);
    const probe = "const fs=require('fs');console.log(fs.existsSync('/app/node_modules/commander'), fs.existsSync('/app/node_modules/testcontainers'))";
    const has = await runOnce(e.docker, DEFAULT_PROXY_TAG, ['-e', probe], { entrypoint: ['node'] });
    expect(has.output.trim()).toBe('true false');
    const again = await buildProxyImage(e.docker);
    expect(again.built).toBe(false);
  });

  it('the team image holds the reference team under /scenario', async () => {
    const e = await engine();
    await buildBaseImage(e.docker, { engineArchitecture: e.architecture });
    await buildTeamImage(e.docker);
    const r = await runOnce(e.docker, DEFAULT_TEAM_TAG, ['node', '-e', "console.log(process.cwd(), require('fs').existsSync('team/intake.mjs'))"]);
    expect(r.output.trim()).toBe('/scenario true');
  });

  it('a failing build is an exit-3 error with the last lines of the build, and no image is left', async () => {
    const e = await engine();
    await buildBaseImage(e.docker, { engineArchitecture: e.architecture });
    const tag = 'agentcheck/test-broken:latest';
    const dangling = async () => (await e.docker.listImages({ filters: JSON.stringify({ dangling: ['true'] }) })).map((i) => i.Id).sort();
    const danglingBefore = await dangling();
    const err = await buildImage(e.docker, tarStream(await contextEntries(path.join(fixtures, 'broken-build'))), { tag, what: 'the broken fixture' }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AgentcheckError);
    const ae = err as AgentcheckError;
    expect(ae.exitCode).toBe(3);
    expect(ae.message).toMatch(/^the broken fixture failed to build: .*3/);
    expect(ae.message).toContain('--- last lines of the build ---');
    expect(ae.message).toContain('step output before failing');
    await expect(e.docker.getImage(tag).inspect()).rejects.toThrow();
    // The steps that succeeded before the failure leave no untagged layer images behind.
    expect(await dangling()).toEqual(danglingBefore);
  });

  it('`agentcheck images build` through the real CLI prints one line per image and exits 0', () => {
    const r = spawnSync(process.execPath, ['bin/agentcheck.js', 'images', 'build'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^agentcheck\/node-base:local: (up to date|built in [\d.]+ s) \(node v\d+/);
    expect(lines[1]).toMatch(/^agentcheck\/proxy:local: /);
    expect(lines[2]).toMatch(/^agentcheck\/team:local: /);
  });
});
