/**
 * The watchdog and cleanup for `--runtime containers`: SIGKILL of the CLI at 3 points (start-up,
 * load, teardown) and SIGHUP leave no container and no network of the run, checked with the
 * docker CLI (`docker ps -a`, `docker network ls` by the owner label); `images prune` removes a
 * dead run's containers and leaves a live run's running. Skips with one line without an engine.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerCli, engineAvailable } from '../containers/engine.js';
import { bin, dockerLeftoversOf, fixtures, root, runDirs, runFiles, startCli, tempBase, until, waitClean, type Cli } from './listing.js';
import { spawn, spawnSync } from 'node:child_process';

const ready = engineAvailable && dockerCli;
if (!ready) console.log('[reaper] containers.test.ts: skipped, no Docker engine (with the docker CLI) is reachable; start dockerd (.ci/run does)');

const base = tempBase('agentcheck-reaper-containers-');
/** How long the engine may take to remove what the watchdog asked it to (3 s is the goal, met on an idle machine). */
const ENGINE_SLACK_MS = 10_000;
const started: Cli[] = [];
afterAll(() => {
  for (const cli of started) cli.child.kill('SIGKILL');
});

function containersRun(name: string, file = 'short.yaml', state?: string): { cli: Cli; dirs: ReturnType<typeof runDirs> } {
  const dirs = runDirs(base, name);
  if (state) dirs.state = state;
  const cli = startCli(['scenario', 'run', path.join(fixtures, file), '--runtime', 'containers', '--out', dirs.out], dirs, { TESTCONTAINERS_RYUK_DISABLED: 'true' });
  started.push(cli);
  return { cli, dirs };
}

describe.skipIf(!ready)('SIGKILL and SIGHUP of a containers run', { timeout: 300_000 }, () => {
  const points: Array<{ name: string; wait: RegExp; offsetMs: number }> = [
    { name: 'start-up', wait: /running reaper-short/, offsetMs: 1500 },
    { name: 'load', wait: /phase steady/, offsetMs: 300 },
    // Teardown: from the last phase on, the kill lands once the run has removed some of its
    // containers and not yet all.
    { name: 'teardown', wait: /phase slow/, offsetMs: 0 },
  ];
  for (const point of points) {
    it(`SIGKILL during ${point.name}: no container or network of the run left`, async () => {
      const { cli } = containersRun(`kill-${point.name}`);
      await until(() => point.wait.test(cli.stderr()), 180_000);
      await new Promise((r) => setTimeout(r, point.offsetMs));
      if (point.name === 'teardown') {
        let most = 0;
        for (let left = dockerLeftoversOf(cli.pid); left.length > 0; left = dockerLeftoversOf(cli.pid)) {
          if (left.length < most) break;
          most = Math.max(most, left.length);
        }
      }
      const before = dockerLeftoversOf(cli.pid);
      if (point.name !== 'start-up') expect(before.length, cli.stderr()).toBeGreaterThan(0);
      cli.child.kill('SIGKILL');
      // Loose: the engine itself finishes a container's start before it removes it, which takes
      // seconds on a loaded machine. The figure is printed; docs/cleanup.md has measured ones.
      const clean = await waitClean(() => dockerLeftoversOf(cli.pid), ENGINE_SLACK_MS);
      console.log(`[reaper] containers SIGKILL during ${point.name} (${before.length} of the run's containers and networks up): clean after ${clean.ms} ms`);
      expect(clean.left).toEqual([]);
    });
  }

  it('SIGHUP during the load: report marked aborted, exit 130, nothing left', async () => {
    const { cli, dirs } = containersRun('hup');
    await until(() => /phase steady/.test(cli.stderr()), 180_000);
    cli.child.kill('SIGHUP');
    cli.child.stdout!.destroy();
    cli.child.stderr!.destroy();
    expect(await cli.exited).toBe(130);
    expect(JSON.parse(readFileSync(path.join(dirs.out, 'report.json'), 'utf8')).aborted.signal).toBe('SIGHUP');
    expect((await waitClean(() => dockerLeftoversOf(cli.pid), ENGINE_SLACK_MS)).left).toEqual([]);
  });

  it('images prune removes a dead run’s containers and network, and leaves a live run running', async () => {
    const state = path.join(base, 'prune-state');
    const live = containersRun('prune-live', 'long.yaml', state);
    await until(() => /phase steady/.test(live.cli.stderr()), 180_000);
    const dead = containersRun('prune-dead', 'long.yaml', state);
    await until(() => /phase steady/.test(dead.cli.stderr()), 180_000);
    const record = runFiles(state).map((f) => JSON.parse(readFileSync(f, 'utf8'))).find((r) => r.owner.pid === dead.cli.pid);
    process.kill(record.watchdog.pid, 'SIGKILL');
    dead.cli.child.kill('SIGKILL');
    await dead.cli.exited;
    const deadLeft = dockerLeftoversOf(dead.cli.pid);
    expect(deadLeft.length).toBeGreaterThan(0);
    const liveBefore = dockerLeftoversOf(live.cli.pid);

    const r = spawnSync(process.execPath, [bin, 'images', 'prune'], { cwd: root, env: { ...process.env, AGENTCHECK_STATE_DIR: state }, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const thing of deadLeft) expect(r.stdout).toContain(`removed ${thing}`);
    expect(dockerLeftoversOf(dead.cli.pid)).toEqual([]);
    expect(dockerLeftoversOf(live.cli.pid)).toEqual(liveBefore);
    expect(r.stdout).toContain(`(pid ${live.cli.pid},`);

    live.cli.child.kill('SIGINT');
    expect(await live.cli.exited).toBe(130);
    expect((await waitClean(() => dockerLeftoversOf(live.cli.pid), ENGINE_SLACK_MS)).left).toEqual([]);
  });

  it('cleanup finds a dead library user\'s run by its owner labels alone (no registry, no watchdog)', async () => {
    // A program using agentcheck as a library (no reaper enabled), killed with its team up.
    const script = `
      const { scenarioFromValue } = await import(${JSON.stringify(path.join(root, 'dist/scenario/load.js'))});
      const { startContainerTeam } = await import(${JSON.stringify(path.join(root, 'dist/scenario/runtimes/containers.js'))});
      const s = scenarioFromValue({ name: 'lib', agents: [{ name: 'solo', command: 'node agent.mjs solo', readiness: { http: '/healthz', timeout: '30s' } }], edges: [], phases: [{ name: 'p', duration: '1s' }] }, { baseDir: ${JSON.stringify(fixtures)} });
      await startContainerTeam(s, { runId: 'lib-' + process.pid });
      console.log('up');
      setInterval(() => {}, 1000);`;
    const state = path.join(base, 'lib-state');
    const lib = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...process.env, AGENTCHECK_STATE_DIR: state, TESTCONTAINERS_RYUK_DISABLED: 'true' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    lib.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    let ended = false;
    lib.once('exit', () => (ended = true));
    await until(() => ended || out.includes('up'), 180_000);
    expect(ended).toBe(false);
    const left = dockerLeftoversOf(lib.pid!);
    expect(left.length).toBeGreaterThan(0);
    lib.kill('SIGKILL');
    await until(() => ended, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(dockerLeftoversOf(lib.pid!)).toEqual(left); // nothing removed it: no exit hook ran, no watchdog
    expect(runFiles(state)).toEqual([]);

    const r = spawnSync(process.execPath, [bin, 'cleanup'], { cwd: root, env: { ...process.env, AGENTCHECK_STATE_DIR: state }, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const thing of left) expect(r.stdout).toContain(`removed ${thing}`);
    expect(dockerLeftoversOf(lib.pid!)).toEqual([]);
  });
});
