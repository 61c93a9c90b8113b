/**
 * End-to-end: each detector through the real CLI on the reference-team variant it must catch
 * (scenarios/detectors/*.yaml), with the finding naming the agents, and the good team under the
 * same kind of fault passing every detector. Needs `npm run build` first (`npm test` does it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/model.js';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/agentcheck.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-detectors-'));

async function run(name: string): Promise<{ code: number | null; stdout: string; report: RunReport }> {
  const out = path.join(dir, name);
  const child = spawn(process.execPath, [bin, 'scenario', 'run', `scenarios/detectors/${name}.yaml`, '--out', out, '--no-progress'], { cwd: root, env: { ...process.env, CI: 'true' } });
  let stdout = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', () => undefined);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, report: JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as RunReport };
}

const failed = (r: RunReport, suite: string) => r.checks.filter((c) => c.suite === `detector: ${suite}` && c.status === 'fail');

describe('detectors end to end (real CLI, real agents)', () => {
  it('retry amplification: a planner retrying 5 times without backoff fails on planner->payments', async () => {
    const { code, stdout, report } = await run('retry-storm');
    expect(code).toBe(1);
    expect(failed(report, 'retry amplification').map((c) => c.name)).toEqual(['planner->payments']);
    expect(stdout).toMatch(/retry amplification planner->payments failed: [4-6](\.\d+)?× attempts per logical request at most \(phase payments-down/);
  }, 90_000);

  it('topology: a notifier calling inventory around the edge proxy fails, naming both', async () => {
    const { code, report } = await run('undeclared-call');
    expect(code).toBe(1);
    const [check] = failed(report, 'topology');
    expect(check).toMatchObject({ name: 'notifier', message: expect.stringMatching(/notifier connected to inventory's own port 127\.0\.0\.1:47311, bypassing the edge proxy/) });
  }, 90_000);

  it('topology: a notifier posting a webhook to an outside host through HTTP_PROXY is refused by its forward proxy and fails, naming both', async () => {
    const { code, stdout, report } = await run('outside-host');
    expect(code).toBe(1);
    expect(failed(report, 'topology').map((c) => c.name)).toEqual(['notifier']);
    expect(stdout).toMatch(/detector: topology notifier failed: notifier asked for hooks\.example\.com:80, which is not a declared edge of notifier \(seen by the forward proxy \d+×, first at \d+\.\d s; refused with 403\)/);
  }, 90_000);

  it('trace continuity: a planner that re-mints traceparent is named as the first agent that breaks the trace', async () => {
    const { code, report } = await run('broken-trace');
    expect(code).toBe(1);
    const broken = failed(report, 'trace continuity');
    expect(broken.map((c) => c.name).sort()).toEqual(['planner->inventory', 'planner->notifier', 'planner->payments']);
    expect(broken[0]!.message).toMatch(/planner is the first agent in the chain that breaks the trace/);
    // The hop before it carried the trace on: intake is not blamed.
    expect(report.checks.find((c) => c.suite === 'detector: trace continuity' && c.name === 'intake->planner')?.status).toBe('pass');
  }, 90_000);

  it('loops: a notifier delegating back to the planner on the same trace is a cycle', async () => {
    const { code, report } = await run('delegation-loop');
    expect(code).toBe(1);
    const [cycle] = failed(report, 'loops');
    expect(cycle).toMatchObject({ name: 'call cycles', message: expect.stringMatching(/planner → notifier → planner in \d+ traces/) });
  }, 90_000);

  it('the good team under the same payments outage passes every detector (exit 0)', async () => {
    const { code, report } = await run('good-team');
    const detectorChecks = report.checks.filter((c) => c.suite.startsWith('detector: '));
    expect(detectorChecks.filter((c) => c.status !== 'pass' && c.status !== 'skipped')).toEqual([]);
    expect(detectorChecks.map((c) => c.suite)).toEqual(expect.arrayContaining(['detector: retry amplification', 'detector: loops', 'detector: trace continuity', 'detector: topology']));
    // A loaded machine may make the generator fall behind (exit 4, said so); it must never be a failure.
    expect([0, 4]).toContain(code);
    if (code === 4) expect(report.reasons.join('\n')).toMatch(/load generator/);
  }, 90_000);
});
