/**
 * `gameday run` on real agent processes and the real proxy: an abort condition removes the faults
 * within 1 s (seen through the proxy's own API), the rollback always runs (a failing step is
 * reported and the next still runs), an experiment that throws (its team cannot start) is an
 * `error` with its rollback run, and SIGINT, SIGTERM and SIGHUP through the CLI end with exit 130
 * after the faults are gone and the rollback ran.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProxyServer } from '../../src/chaos/server.js';
import { loadGameDayFile } from '../../src/gameday/load.js';
import { runGameDay } from '../../src/gameday/run.js';
import { writeGameDayReports } from '../../src/gameday/report/write.js';
import type { JournalLine } from '../../src/gameday/journal.js';
import { gamedayDir, MARK } from './helpers.js';

const BIN = path.resolve(__dirname, '../../bin/agentcheck.js');

async function toxicsOn(apiUrl: string, proxy: string): Promise<string[]> {
  const res = await fetch(`${apiUrl}/proxies/${proxy}/toxics`);
  return ((await res.json()) as Array<{ name: string }>).map((t) => t.name);
}

function journalOf(dir: string): JournalLine[] {
  return readFileSync(path.join(dir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalLine);
}

const ABORTING = `name: abort
team: { scenario: team.yaml }
experiments:
  - name: reset
    hypothesis: { slo: [ "avg < 2s" ] }
    steady_state: { duration: 1s }
    abort: [ "error_rate > 30% over 1s" ]
    method:
      phases:
        - { name: broken, duration: 30s, faults: [{ edge: front->back, type: reset_peer, attributes: { timeout: 0 } }] }
    rollback: [ "node ${MARK} rolled-back first", "node ${MARK} rolled-back second 3", "node ${MARK} rolled-back third" ]
  - name: no-team
    restart: true
    hypothesis: { slo: [ "avg < 2s" ] }
    steady_state: { duration: 1s }
    method:
      phases:
        - { name: slow, duration: 1s, faults: [{ edge: front->back, type: latency, attributes: { latency: 10 } }] }
    rollback: [ "node ${MARK} rolled-back after-error" ]
`;

describe('gameday run', () => {
  it('an abort condition removes the faults within 1 s (proxy API); every rollback step runs; a team that cannot start is an error, rolled back', async () => {
    await using proxy = await startProxyServer({ port: 0 });
    const { dir, file } = gamedayDir(ABORTING, 20);
    const gameday = await loadGameDayFile(file);
    // The second experiment's own team cannot start: its back agent exits at once.
    gameday.experiments[1]!.scenario.agents[1]!.command = [process.execPath, '-e', 'process.exit(1)'];
    let firedAt: number | undefined;
    let goneAfterMs: number | undefined;
    const out = path.join(dir, 'out');
    const t0 = performance.now();
    const report = await runGameDay(gameday, {
      outDir: out,
      toxiproxyUrl: proxy.url,
      onJournal: (line) => {
        if (line.kind !== 'abort' || firedAt !== undefined) return;
        firedAt = performance.now();
        void (async () => {
          while ((await toxicsOn(proxy.url, 'front_to_back')).length > 0) await new Promise((r) => setTimeout(r, 20));
          goneAfterMs = performance.now() - firedAt!;
        })();
      },
    });
    const [reset, noTeam] = report.experiments;
    expect(reset!.verdict).toBe('aborted');
    expect(reset!.abortedBy!.reason).toMatch(/^error_rate > 30% over 1s \(error rate/);
    expect(performance.now() - t0).toBeLessThan(28_000);
    while (goneAfterMs === undefined) await new Promise((r) => setTimeout(r, 20));
    expect(goneAfterMs).toBeLessThan(1000);
    expect(reset!.toxicsLeft).toEqual([]);
    expect(reset!.rollback.map((s) => [s.status, s.exitCode])).toEqual([
      ['ok', 0],
      ['failed', 3],
      ['ok', 0],
    ]);
    expect(reset!.rollback[1]!.reason).toContain('step second failed on purpose');
    expect(noTeam!.verdict).toBe('error');
    expect(noTeam!.rollback.map((s) => s.status)).toEqual(['ok']);
    expect(readFileSync(path.join(dir, 'rolled-back'), 'utf8').split('\n').filter(Boolean)).toEqual(['first', 'second', 'third', 'after-error']);
    // An error outranks the failed hypothesis: the environment could not run an experiment (exit 3).
    expect(report.exitCode).toBe(3);
    await writeGameDayReports(report, out);
    const html = readFileSync(path.join(out, 'gameday.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('ABORT');
    expect(html).not.toMatch(/<script|https?:\/\/(?!json-schema)/);
    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toContain('<testcase classname="gameday.abort" name="reset"');
    expect(junit).toMatch(/name="reset"[^>]*><failure message="aborted: /);
    expect(junit).toMatch(/name="no-team"[^>]*><error message="error: /);
    expect(readFileSync(path.join(out, 'gameday.md'), 'utf8')).toContain('**failed** `node');
    const kinds = journalOf(out).map((l) => l.kind);
    for (const k of ['experiment-start', 'phase', 'faults-applied', 'abort', 'faults-removed', 'measurement', 'rollback-step', 'proxies-restored', 'experiment-end', 'error', 'gameday-end']) expect(kinds).toContain(k);
  }, 120_000);

  it('a sampled invariant that breaks during the method aborts it, and the faults are gone', async () => {
    const { dir, file } = gamedayDir(
      `name: invariant-abort
team: { scenario: team.yaml }
experiments:
  - name: peer-breaks
    hypothesis:
      invariants: [{ name: peer ok, http: { agent: front, path: /invariants } }]
    steady_state: { duration: 1s }
    abort: [ 'invariant "peer ok" broken every 300ms' ]
    method:
      phases:
        - { name: broken, duration: 30s, faults: [{ edge: front->back, type: reset_peer, attributes: { timeout: 0 } }] }
`,
      20,
    );
    const t0 = performance.now();
    const report = await runGameDay(await loadGameDayFile(file), { outDir: path.join(dir, 'out') });
    const e = report.experiments[0]!;
    expect(e.verdict, e.reasons.join('\n')).toBe('aborted');
    expect(e.abortedBy!.reason).toMatch(/^invariant "peer ok" broken every 300ms/);
    expect(e.abortedBy!.faultsRemovedAtMs - e.abortedBy!.atMs).toBeLessThan(1000);
    expect(e.toxicsLeft).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(28_000);
    expect(report.exitCode).toBe(1);
    expect(e.findings).toContain('abort invariant "peer ok" broken every 300ms');
  }, 120_000);

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} through the CLI: faults removed, rollback run, later experiments not run, exit 130`, async () => {
      const { dir, file } = gamedayDir(
        `name: interrupt
team: { scenario: team.yaml }
experiments:
  - name: long
    hypothesis: { slo: [ "avg < 2s" ] }
    steady_state: { duration: 1s }
    method:
      phases:
        - { name: slow, duration: 60s, faults: [{ edge: front->back, type: latency, attributes: { latency: 20 } }] }
    rollback: [ "node ${MARK} rolled-back long" ]
  - name: never
    hypothesis: { slo: [ "avg < 2s" ] }
    steady_state: { duration: 1s }
    method:
      phases:
        - { name: slow, duration: 1s, faults: [{ edge: front->back, type: latency, attributes: { latency: 20 } }] }
    rollback: [ "node ${MARK} rolled-back never" ]
`,
        10,
      );
      const out = path.join(dir, 'out');
      const summary = path.join(dir, 'step-summary.md');
      const child = spawn(process.execPath, [BIN, 'gameday', 'run', file, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GITHUB_STEP_SUMMARY: summary } });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const journal = path.join(out, 'journal.ndjson');
      const deadline = Date.now() + 60_000;
      while (!(existsSync(journal) && readFileSync(journal, 'utf8').includes('"faults-applied"'))) {
        if (Date.now() > deadline) throw new Error(`faults never applied: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill(signal);
      const code = await exited;
      expect(code, stderr).toBe(130);
      expect(readFileSync(path.join(dir, 'rolled-back'), 'utf8').split('\n').filter(Boolean)).toEqual(['long']);
      const lines = journalOf(out);
      expect(lines.find((l) => l.kind === 'interrupt')).toMatchObject({ signal });
      expect(lines.find((l) => l.kind === 'proxies-restored')).toMatchObject({ toxicsFound: [], readable: true });
      const report = JSON.parse(readFileSync(path.join(out, 'gameday.json'), 'utf8')) as { experiments: Array<{ name: string; verdict: string }>; exitCode: number };
      expect(report.experiments.map((e) => [e.name, e.verdict])).toEqual([
        ['long', 'interrupted'],
        ['never', 'interrupted'],
      ]);
      expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toContain('<testcase classname="gameday.interrupt" name="long"');
      expect(readFileSync(summary, 'utf8')).toMatch(/^# Game day: interrupt\n\n\*\*Exit 130\*\*/);
    }, 120_000);
  }
});
