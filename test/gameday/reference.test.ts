/**
 * The reference game day on the reference team (real agents, real proxy): the recovery clause
 * holds on the good team and fails on the metastable variant (retries without backoff behind a
 * bounded worker pool that works abandoned jobs), duplicate deliveries find the no-dedup variant's
 * double charges, and the trend between two game-day folders built by these runs (in-process and
 * through `gameday report DIR --previous DIR2`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGameDayFile } from '../../src/gameday/load.js';
import { writeGameDayReports } from '../../src/gameday/report/write.js';
import type { GameDayReport } from '../../src/gameday/report-model.js';
import { runGameDay } from '../../src/gameday/run.js';
import { compareGameDays } from '../../src/gameday/trend.js';

const ROOT = path.resolve(__dirname, '../..');
const REFERENCE = path.join(ROOT, 'scenarios/gamedays/reference.yaml');

async function run(team: string, experiments: string[]): Promise<{ dir: string; report: GameDayReport }> {
  const gameday = await loadGameDayFile(REFERENCE, path.join(ROOT, 'scenarios/gamedays', team));
  gameday.experiments = gameday.experiments.filter((e) => experiments.includes(e.name));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-gameday-ref-'));
  const report = await runGameDay(gameday, { outDir: dir, seed: '7' });
  await writeGameDayReports(report, dir);
  return { dir, report };
}

/** Invalid only because the load generator fell behind (a saturated machine): agentcheck then cannot judge, correctly. */
function generatorFellBehind(e: GameDayReport['experiments'][number]): boolean {
  return e.verdict === 'invalid' && e.reasons.some((r) => /^the load generator (fell behind|saturated)/.test(r));
}

describe('reference game day', () => {
  const folders: Record<string, { dir: string; report: GameDayReport }> = {};

  it('recovery holds on the good team: goodput and p99 are back within 4 s of the fault removal', async () => {
    folders.good = await run('team.yaml', ['recovers-after-slow-inventory']);
    const e = folders.good.report.experiments[0]!;
    expect(e.recovery?.status, e.reasons.join('\n')).toBe('pass');
    // On a saturated machine the load generator falls behind and the run says it cannot judge
    // (never a pass); that is the only other verdict allowed here.
    const generatorOnly = generatorFellBehind(e);
    if (!generatorOnly) expect(e.verdict, e.reasons.join('\n')).toBe('completed');
    expect(e.recovery!.recoveredAfterMs!).toBeLessThanOrEqual(4000);
    // The fault really hurt while it was on: the experiment measured something.
    expect(e.during!.errors).toBeGreaterThan(0);
    expect(folders.good.report.exitCode).toBe(generatorOnly ? 4 : 0);
    expect(folders.good.report.score.value).toBe(generatorOnly ? null : 100);
  }, 180_000);

  it('recovery fails on the metastable variant: it stays overloaded after the fault is gone', async () => {
    folders.storm = await run('team-retry-storm.yaml', ['recovers-after-slow-inventory']);
    const e = folders.storm.report.experiments[0]!;
    expect(e.verdict, e.reasons.join('\n')).toBe('deviated');
    expect(e.recovery?.status).toBe('fail');
    expect(e.recovery?.recoveredAfterMs).toBeNull();
    // The faults are gone (checked through the proxy API) and still the after phase is down.
    expect(e.toxicsLeft).toEqual([]);
    expect(e.after!.goodput).toBeLessThan(0.5 * e.steady!.goodput);
    expect(e.findings).toContain('recovery');
    expect(folders.storm.report.exitCode).toBe(1);
  }, 180_000);

  it('the trend between the two folders: the recovery finding is new, the score fell, and back again', () => {
    const worse = compareGameDays(folders.storm!.report, folders.good!.report, folders.good!.dir);
    const before = folders.good!.report.score.value;
    expect(worse.score).toEqual({ before, after: 0, delta: before === null ? null : -100 });
    expect(worse.newFindings).toContainEqual({ experiment: 'recovers-after-slow-inventory', finding: 'recovery' });
    expect(worse.fixedFindings).toEqual([]);
    expect(worse.verdicts).toEqual([{ experiment: 'recovers-after-slow-inventory', before: folders.good!.report.experiments[0]!.verdict, after: 'deviated' }]);
    const better = compareGameDays(folders.good!.report, folders.storm!.report, folders.storm!.dir);
    expect(better.fixedFindings).toContainEqual({ experiment: 'recovers-after-slow-inventory', finding: 'recovery' });
    expect(better.newFindings).toEqual([]);
    // Through the CLI: `gameday report DIR --previous DIR2` re-renders from gameday.json with the trend.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/agentcheck.js'), 'gameday', 'report', folders.storm!.dir, '--previous', folders.good!.dir], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/trend vs .*: score (100|n\/a) → 0; [1-9]\d* new, 0 fixed findings/);
    const md = readFileSync(path.join(folders.storm!.dir, 'gameday.md'), 'utf8');
    expect(md).toContain('## Trend');
    expect(md).toContain('`recovery`');
    expect(readFileSync(path.join(folders.storm!.dir, 'gameday.html'), 'utf8')).toContain('<h2>Trend</h2>');
  }, 90_000);

  it('on a team shared between experiments, each experiment sends its own workload, so its fault meets real work', async () => {
    // With one seed for every experiment the second would repeat the first's order ids and the
    // planner would answer them from its cache: no traffic on pool->inventory, 0 fault decisions,
    // and a recovery "held" on replayed answers.
    const gameday = await loadGameDayFile(REFERENCE, path.join(ROOT, 'scenarios/gamedays/team.yaml'));
    gameday.experiments = gameday.experiments.filter((e) => ['slow-payments', 'recovers-after-slow-inventory'].includes(e.name));
    for (const e of gameday.experiments) e.restart = false;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-gameday-shared-'));
    const report = await runGameDay(gameday, { outDir: dir, seed: '7' });
    const journal = readFileSync(path.join(dir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const starts = journal.filter((j) => j.kind === 'team-start');
    expect(starts).toHaveLength(1);
    const seeds = journal.filter((j) => j.what === 'seed').map((j) => j.seed);
    expect(seeds).toEqual(['7/slow-payments', '7/recovers-after-slow-inventory']);
    const decisions = journal.find((j) => j.what === 'fault-decisions' && j.experiment === 'recovers-after-slow-inventory')!;
    expect(decisions.count as number, JSON.stringify(decisions)).toBeGreaterThan(0);
    const slow = report.experiments.find((e) => e.name === 'recovers-after-slow-inventory')!;
    expect(slow.during!.p99Ms, slow.reasons.join('\n')).toBeGreaterThan(200);
  }, 240_000);

  it('duplicate deliveries: hold for the good team, find the double charges of the no-dedup variant', async () => {
    const good = await run('team.yaml', ['duplicate-deliveries']);
    const buggy = await run('team-no-dedup.yaml', ['duplicate-deliveries']);
    const g = good.report.experiments[0]!;
    const b = buggy.report.experiments[0]!;
    expect(g.invariants.length).toBeGreaterThan(0);
    expect(g.invariants.every((i) => i.status === 'pass'), g.reasons.join('\n')).toBe(true);
    if (!generatorFellBehind(g)) expect(g.verdict, g.reasons.join('\n')).toBe('completed');
    expect(b.verdict, b.reasons.join('\n')).toBe('deviated');
    expect(b.findings).toEqual(expect.arrayContaining(['invariant no order charged twice', 'invariant one charge per order']));
    expect(b.reasons.join('\n')).toMatch(/doubleCharged|duplicated/);
  }, 240_000);
});
