/**
 * `agentcheck cleanup` and the start of `scenario run` against a registry holding a live run
 * and a dead one (its CLI and its watchdog both SIGKILLed, so its agents really are orphans):
 * the dead run's leftovers go, the live run is untouched, and a reused pid is never signalled.
 * Judged by listing /proc. Needs `dist/` (npm test builds).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentLeftovers, bin, fixtures, groupMembers, killGroups, root, runDirs, runFiles, startCli, tempBase, waitClean, waitForAgents, type Cli, type MarkedAgent } from './listing.js';

const base = tempBase('agentcheck-reaper-cleanup-');
const long = path.join(fixtures, 'long.yaml');
const started: Cli[] = [];
const strays: number[] = [];

afterAll(() => {
  for (const cli of started) cli.child.kill('SIGKILL');
  killGroups(strays);
});

interface RecordFile {
  owner: { pid: number; start?: string };
  watchdog?: { pid: number };
  resources: Record<string, { kind: string; pgid?: number; start?: string; name?: string }>;
}

const readRecord = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RecordFile;

/** A run whose CLI and watchdog were both SIGKILLed: its agents are orphans, its registry file stays. */
async function deadRun(state: string, name: string): Promise<{ agents: MarkedAgent[]; file: string }> {
  const dirs = { ...runDirs(base, name), state };
  const before = new Set(runFiles(state));
  const cli = startCli(['scenario', 'run', long, '--out', dirs.out, '--no-progress'], dirs);
  started.push(cli);
  const agents = await waitForAgents(dirs.mark, 2, 30_000);
  const file = runFiles(state).find((f) => !before.has(f))!;
  const record = readRecord(file);
  expect(record.owner.pid).toBe(cli.pid);
  process.kill(record.watchdog!.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  cli.child.kill('SIGKILL');
  await cli.exited;
  await new Promise((r) => setTimeout(r, 300));
  // Nothing cleaned up after it: the case is real.
  expect(agents.every((a) => groupMembers(a.pid).length > 0)).toBe(true);
  return { agents, file };
}

function cleanupCli(state: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'cleanup', '--no-docker'], { cwd: root, env: { ...process.env, AGENTCHECK_STATE_DIR: state }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('agentcheck cleanup', { timeout: 120_000 }, () => {
  it('removes a dead run’s agents, lists them, and leaves a live run alone', async () => {
    const state = path.join(base, 'state-1');
    // The live run first: a run starting after the dead one would remove its leftovers itself.
    const liveDirs = { ...runDirs(base, 'live-1'), state };
    const live = startCli(['scenario', 'run', long, '--out', liveDirs.out, '--no-progress'], liveDirs);
    started.push(live);
    const liveAgents = await waitForAgents(liveDirs.mark, 2, 30_000);
    const dead = await deadRun(state, 'dead-1');

    const r = cleanupCli(state);
    expect(r.code, r.stderr).toBe(0);
    for (const a of dead.agents) expect(r.stdout).toContain(`removed: stopped process group ${a.pid} (${a.name})`);
    expect(r.stdout).toMatch(new RegExp(`left alone: run \\S+ \\(pid ${live.pid}, .*\\) is still running`));
    expect((await waitClean(() => agentLeftovers(dead.agents), 3000)).left).toEqual([]);
    expect(agentLeftovers(liveAgents).length).toBe(liveAgents.length * 3); // group, helper and port of each: all alive

    // Idempotent: nothing more to remove, the live run still left alone.
    const again = cleanupCli(state);
    expect(again.stdout).toContain('nothing to clean up');
    expect(again.stdout).toContain(`(pid ${live.pid},`);

    live.child.kill('SIGINT');
    expect(await live.exited).toBe(130);
    expect(agentLeftovers(liveAgents)).toEqual([]);
  });

  it('treats an owner pid now used by another process as gone, and never signals a reused group id', async () => {
    const state = path.join(base, 'state-2');
    const dead = await deadRun(state, 'dead-2');
    // A bystander in its own group, listed in the dead run's file under a different start time:
    // its pid was "reused", so the group id now names someone else's processes.
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    strays.push(bystander.pid!);
    const record = readRecord(dead.file);
    record.owner = { ...record.owner, pid: process.pid, start: '1' }; // alive, but not the process that ran
    record.resources[`pg:${bystander.pid}`] = { kind: 'process-group', pgid: bystander.pid!, start: '1', name: 'bystander' };
    writeFileSync(dead.file, JSON.stringify(record));

    const r = cleanupCli(state);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`process group ${bystander.pid}: pid reused by another process, left alone`);
    expect((await waitClean(() => agentLeftovers(dead.agents), 3000)).left).toEqual([]);
    expect(groupMembers(bystander.pid!)).toEqual([bystander.pid]);
  });

  it('is what a new scenario run does first, with a warning naming what it removed', async () => {
    const state = path.join(base, 'state-3');
    const dead = await deadRun(state, 'dead-3');
    const dirs = { ...runDirs(base, 'next-3'), state };
    const next = startCli(['scenario', 'run', path.join(fixtures, 'short.yaml'), '--out', dirs.out, '--no-progress'], dirs);
    started.push(next);
    await next.exited;
    expect(next.stderr()).toContain('earlier runs ended without cleaning up');
    for (const a of dead.agents) expect(next.stderr()).toContain(`removed: stopped process group ${a.pid} (${a.name})`);
    expect(agentLeftovers(dead.agents)).toEqual([]);
    expect(runFiles(state)).toEqual([]);
  });
});
