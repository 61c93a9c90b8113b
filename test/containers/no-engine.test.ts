// No Docker engine reachable: the CLI and the library fail with exit 3 and say how to start one.
// On a machine with an engine, the check runs in a private mount namespace where /var/run (and
// so every Docker socket) is an empty tmpfs: a real "no engine" world, not a mock.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineAvailable } from './engine.js';

/** Runs argv where no engine is reachable, or reports why that world cannot be made here. */
function withoutEngine(argv: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const clean: NodeJS.ProcessEnv = { ...process.env, TESTCONTAINERS_RYUK_DISABLED: 'true', ...env };
  if (!env.DOCKER_HOST) delete clean.DOCKER_HOST;
  if (!engineAvailable) return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: clean, timeout: 60_000 });
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawnSync('unshare', ['--mount', 'sh', '-c', `mount -t tmpfs tmpfs /var/run && exec ${quoted}`], { encoding: 'utf8', env: clean, timeout: 60_000 });
}

const canHide = (() => {
  if (!engineAvailable) return { ok: true, why: '' };
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { ok: false, why: 'hiding the engine needs root on Linux (unshare --mount)' };
  const probe = withoutEngine(['sh', '-c', 'test ! -e /var/run/docker.sock']);
  return probe.status === 0 ? { ok: true, why: '' } : { ok: false, why: `unshare --mount is not permitted here (${probe.stderr.trim().split('\n')[0] ?? ''})` };
})();
if (!canHide.ok) console.log(`[containers] no-engine.test.ts: skipped, ${canHide.why}`);
const built = existsSync(path.resolve('dist/cli/main.js'));
if (!built) console.log('[containers] no-engine.test.ts: skipped, run `npm run build` first (it spawns the real CLI)');

describe.skipIf(!canHide.ok || !built)('without a Docker engine', () => {
  it('`agentcheck images build-base` exits 3 with how to start an engine, no stack trace', () => {
    const r = withoutEngine([process.execPath, 'bin/agentcheck.js', 'images', 'build-base']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^agentcheck: no Docker engine is reachable \(tried the local Docker socket: /m);
    expect(r.stderr).toMatch(/^hint: start a Docker engine .*`docker info`.*dockerd.*DOCKER_HOST.*--runtime process/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a DOCKER_HOST that does not answer', () => {
    const r = withoutEngine([process.execPath, 'bin/agentcheck.js', 'images', 'prune'], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('tried DOCKER_HOST=tcp://127.0.0.1:1');
  });

  it('startContainerTeam rejects with an exit-3 AgentcheckError before creating anything', () => {
    const script = `
      const { startContainerTeam } = await import(${JSON.stringify(path.resolve('dist/scenario/runtimes/containers.js'))});
      const { scenarioFromValue } = await import(${JSON.stringify(path.resolve('dist/scenario/load.js'))});
      const s = scenarioFromValue({ name: 'x', agents: [{ name: 'a', command: 'node a.mjs' }], edges: [], phases: [{ name: 'p', duration: '1s' }] });
      try { await startContainerTeam(s, { runId: 'no-engine' }); console.log('started?!'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, exitCode: e.exitCode, message: e.message, hint: e.hint })); }
    `;
    const r = withoutEngine([process.execPath, '--input-type=module', '-e', script]);
    const out = JSON.parse(r.stdout.trim()) as { name: string; exitCode: number; message: string; hint: string };
    expect(out).toMatchObject({ name: 'AgentcheckError', exitCode: 3 });
    expect(out.message).toMatch(/no Docker engine is reachable/);
    expect(out.hint).toMatch(/start a Docker engine/);
  });
});
