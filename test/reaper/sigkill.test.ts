/**
 * The watchdog against the worst endings of `agentcheck scenario run`: SIGKILL at random
 * points of start-up, load and teardown, and SIGHUP. Judged by listing /proc (agents' process
 * groups, their helpers, their ports), never by asking agentcheck. Needs `dist/` (npm test builds).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { agentLeftovers, fixtures, groupMembers, listeningPorts, markedAgents, processesWithEnv, runDirs, runFiles, startCli, tempBase, until, waitClean, waitForAgents, type Cli } from './listing.js';

const base = tempBase('agentcheck-reaper-kill-');
const short = path.join(fixtures, 'short.yaml');
const started: Cli[] = [];
const cleanTimes: number[] = [];

afterAll(() => {
  for (const cli of started) cli.child.kill('SIGKILL');
  if (cleanTimes.length) console.log(`[reaper] SIGKILL → all clean: max ${Math.max(...cleanTimes)} ms over ${cleanTimes.length} runs (${cleanTimes.join(', ')})`);
});

/** Where in a run a signal lands: `offsetMs` after the CLI started, the agents were ready, or the first agent was told to stop. */
interface KillPoint {
  stage: 'start-up' | 'load' | 'teardown';
  offsetMs: number;
}

/**
 * Starts a run, sends `signal` at `point`, and returns what is left: every process that
 * inherited the run's environment (agents, their helpers, the watchdog; not the CLI itself) and
 * every agent's group and port, polled for at most 3 s once the CLI has exited.
 */
async function killAt(name: string, point: KillPoint, signal: NodeJS.Signals) {
  const dirs = runDirs(base, name);
  const cli = startCli(['scenario', 'run', short, '--out', dirs.out], dirs);
  started.push(cli);
  let exited = false;
  void cli.exited.then(() => (exited = true));
  if (point.stage === 'load') await until(() => exited || markedAgents(dirs.mark).length === 2);
  if (point.stage === 'teardown') {
    // Teardown has begun when an agent stopped listening (it got SIGTERM) but still runs: the
    // fixture agent closes its port at once and exits 500 ms later.
    await until(() => exited || markedAgents(dirs.mark).length === 2);
    await until(() => {
      if (exited) return true;
      const ports = listeningPorts();
      return markedAgents(dirs.mark).some((a) => !ports.has(a.port));
    });
  }
  await new Promise((r) => setTimeout(r, point.offsetMs));
  const before = markedAgents(dirs.mark);
  const endedBefore = exited;
  const leftovers = () => [
    ...agentLeftovers(markedAgents(dirs.mark)),
    ...processesWithEnv(`REAPER_MARK_DIR=${dirs.mark}`, [cli.pid]).map((pid) => `process ${pid} of the run alive`),
  ];
  cli.child.kill(signal);
  const killedAt = Date.now();
  // SIGKILL ends the CLI at once; SIGHUP first runs its teardown, which takes what it takes on a
  // busy machine. Either way nothing may be left 3 s after the CLI is gone.
  const code = await cli.exited;
  const clean = await waitClean(leftovers, 3000);
  clean.ms = Date.now() - killedAt;
  // An agent spawned just before the kill records itself once listening: look again after that.
  await new Promise((r) => setTimeout(r, 300));
  return { dirs, cli, code, endedBefore, agents: markedAgents(dirs.mark), before, left: [...clean.left, ...leftovers()], cleanMs: clean.ms };
}

/** `n` points of `stage`, offsets uniform in [0, maxMs], from `seed`. */
function points(stage: KillPoint['stage'], n: number, maxMs: number, seed: number): KillPoint[] {
  return fc.sample(fc.noBias(fc.integer({ min: 0, max: maxMs })), { numRuns: n, seed }).map((offsetMs) => ({ stage, offsetMs }));
}

const show = (p: KillPoint) => `${p.stage}+${p.offsetMs}ms`;

describe('SIGKILL of the CLI during a process-runtime run', { timeout: 240_000 }, () => {
  it('leaves no agent process, helper or listening port at 10 random points (start-up, load, teardown)', async () => {
    // Seeded, so a failure names its points and can be replayed (REAPER_SEED=…).
    const seed = Number(process.env.REAPER_SEED ?? Date.now() % 100_000);
    const kills = [...points('start-up', 3, 1500, seed), ...points('load', 4, 1900, seed + 1), ...points('teardown', 3, 250, seed + 2)];
    console.log(`[reaper] seed ${seed}: SIGKILL at ${kills.map(show).join(', ')}`);
    const results = [];
    // Five at a time: enough to bound the test's time, few enough for a 2-core machine.
    for (let i = 0; i < kills.length; i += 5) {
      results.push(...(await Promise.all(kills.slice(i, i + 5).map((k, j) => killAt(`kill-${i + j}-${show(k)}`, k, 'SIGKILL')))));
    }
    for (const [i, r] of results.entries()) {
      const why = `SIGKILL at ${show(kills[i]!)} (seed ${seed})`;
      // A teardown point can come after the end on a fast machine: the CLI had exited already.
      if (!r.endedBefore) expect(r.code, why).toBe('SIGKILL');
      expect(r.left, why).toEqual([]);
      if (r.before.length) cleanTimes.push(r.cleanMs);
    }
    // The load and teardown points hit a run with live agents, or this proved nothing.
    for (const [i, r] of results.entries()) {
      if (i >= 3) expect(r.before.length, `${show(kills[i]!)}: ${r.code} ${r.cli.stderr()}`).toBe(2);
    }
    expect(results.filter((r) => !r.endedBefore).length).toBeGreaterThanOrEqual(9);
  });

  it('leaves nothing of the reference scenario (5 agents) killed during its load', async () => {
    const dirs = runDirs(base, 'reference');
    const cli = startCli(['scenario', 'run', 'scenarios/order-fulfilment.yaml', '--out', dirs.out], dirs);
    started.push(cli);
    // The reference agents do not record themselves; their groups are the agents' pids, found
    // as the processes that inherited this run's environment and lead their own group.
    await until(() => /phase slow-inventory/.test(cli.stderr()), 60_000);
    const groups = processesWithEnv(`REAPER_MARK_DIR=${dirs.mark}`, [cli.pid]).filter((pid) => groupMembers(pid).includes(pid));
    // Five agents, and the watchdog (it leads its own session).
    expect(groups.length).toBe(6);
    cli.child.kill('SIGKILL');
    await cli.exited;
    const clean = await waitClean(() => groups.flatMap((g) => (groupMembers(g).length ? [`process group ${g}`] : [])), 3000);
    expect(clean.left).toEqual([]);
    cleanTimes.push(clean.ms);
  });
});

describe('SIGKILL of `contracts verify` while its providers run', { timeout: 120_000 }, () => {
  it('leaves no provider process', async () => {
    const dirs = runDirs(base, 'contracts');
    const cli = startCli(['contracts', 'verify', '--scenario', 'scenarios/order-fulfilment.yaml', '--state-handlers', 'test/contracts/team/states.ts', '--out', dirs.out], dirs, { PACT_DO_NOT_TRACK: 'true' });
    started.push(cli);
    const ofRun = () => processesWithEnv(`REAPER_MARK_DIR=${dirs.mark}`, [cli.pid]);
    // Providers up: the registry lists process groups, and they are processes of this run.
    let exited = false;
    void cli.exited.then(() => (exited = true));
    await until(() => exited || runFiles(dirs.state).some((f) => {
      try {
        return readFileSync(f, 'utf8').includes('"process-group"');
      } catch {
        return false;
      }
    }), 60_000);
    expect(exited, cli.stderr()).toBe(false);
    const before = ofRun();
    expect(before.length).toBeGreaterThan(1); // the watchdog and at least one provider
    cli.child.kill('SIGKILL');
    const clean = await waitClean(() => ofRun().map((pid) => `process ${pid}`), 3000);
    expect(clean.left).toEqual([]);
    cleanTimes.push(clean.ms);
  });
});

describe('SIGHUP (a closed terminal) during a run', { timeout: 120_000 }, () => {
  it('tears down, writes a report marked aborted by SIGHUP, exits 130 and leaves nothing', async () => {
    const dirs = runDirs(base, 'hup');
    const cli = startCli(['scenario', 'run', short, '--out', dirs.out, '--no-progress'], dirs);
    started.push(cli);
    await waitForAgents(dirs.mark, 2, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    cli.child.kill('SIGHUP');
    // The terminal is gone: nobody reads its output any more.
    cli.child.stdout!.destroy();
    cli.child.stderr!.destroy();
    expect(await cli.exited).toBe(130);
    const report = JSON.parse(readFileSync(path.join(dirs.out, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('aborted');
    expect(report.aborted.signal).toBe('SIGHUP');
    expect(agentLeftovers(markedAgents(dirs.mark))).toEqual([]);
    expect(runFiles(dirs.state)).toEqual([]);
  });

  it('cleans up after SIGHUP at random points, like SIGKILL', async () => {
    const hups: KillPoint[] = [{ stage: 'start-up', offsetMs: 100 }, { stage: 'load', offsetMs: 200 }, { stage: 'load', offsetMs: 1200 }, { stage: 'teardown', offsetMs: 20 }];
    const results = await Promise.all(hups.map((k) => killAt(`hup-${show(k)}`, k, 'SIGHUP')));
    for (const [i, r] of results.entries()) {
      const why = `SIGHUP at ${show(hups[i]!)}: ${r.cli.stderr()}`;
      if (r.code === 'SIGHUP') {
        // Before the run installs its handler (module loading) or after it removed it (report
        // written, process exiting), SIGHUP ends the CLI as it would any program: then nothing
        // had started yet, or the run was complete.
        expect(r.agents.length === 0 || existsSync(path.join(r.dirs.out, 'report.json')), why).toBe(true);
      } else {
        // Finished before the signal (its verdict's code) or aborted by it (130), with a report either way.
        expect([0, 1, 4, 130], why).toContain(r.code);
        expect(existsSync(path.join(r.dirs.out, 'report.json')), why).toBe(true);
      }
      expect(r.left, why).toEqual([]);
    }
    // The points during the load must have been judged as aborted runs.
    expect(results[1]!.code).toBe(130);
    expect(results[2]!.code).toBe(130);
  });
});
