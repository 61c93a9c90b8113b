import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyCommand, type IdempotencyFlags } from '../../src/cli/commands/idempotency.js';
import { REPORT_FORMATS } from '../../src/report/write.js';
import { startTeamAgent, type StartedTeamAgent } from '../team/helpers.js';
import { startLocalTarget, type LocalTarget } from './local-targets.js';

const SPEC = 'scenarios/idempotency/payments.yaml';
let correct: StartedTeamAgent;
let noDedup: StartedTeamAgent;
let unavailable: LocalTarget;
let tmp: string;

beforeAll(async () => {
  [correct, noDedup] = await Promise.all([
    startTeamAgent('payments', { args: ['--mode', 'correct'] }),
    startTeamAgent('payments', { args: ['--mode', 'no-dedup'] }),
  ]);
  unavailable = await startLocalTarget('always-unavailable');
  tmp = mkdtempSync(join(tmpdir(), 'agentcheck-idem-cli-'));
});

afterAll(async () => {
  await Promise.all([correct?.stop(), noDedup?.stop(), unavailable?.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env: {} }, out, err };
}

function flags(over: Partial<IdempotencyFlags>): IdempotencyFlags {
  return { target: correct.url, spec: SPEC, runs: 15, seed: 1, format: [...REPORT_FORMATS], ...over };
}

describe('idempotencyCommand', () => {
  it('returns 0 and writes all four reports when every property holds', async () => {
    const out = join(tmp, 'pass');
    const c = capture();
    const code = await idempotencyCommand(flags({ out }), c.io);
    expect(code).toBe(0);
    const text = c.out.join('');
    expect(text).toMatch(/^PASS +duplicate-delivery +held in 15 runs/m);
    expect(text).toMatch(/idempotency: every property held \(seed 1,/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { kind: string; verdict: string; checks: { name: string; status: string }[] };
    expect(report.kind).toBe('idempotency');
    expect(report.verdict).toBe('pass');
    expect(report.checks.map((x) => x.status)).toEqual(Array(6).fill('pass'));
    for (const f of ['junit.xml', 'summary.md', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('returns 1 on the double-charging agent and prints a replay command that reproduces it', async () => {
    const out = join(tmp, 'fail');
    const c = capture();
    const code = await idempotencyCommand(flags({ target: noDedup.url, out, property: ['duplicate-delivery'], format: ['json', 'junit'] }), c.io);
    expect(code).toBe(1);
    const text = c.out.join('');
    const replay = /replay: (agentcheck idempotency .*)$/m.exec(text)?.[1] ?? '';
    expect(replay).toMatch(
      new RegExp(`^agentcheck idempotency --target ${noDedup.url} --spec ${SPEC} --property duplicate-delivery --seed 1 --path \\d+(:\\d+)*$`),
    );
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure[^>]*>/);
    expect(existsSync(join(out, 'summary.md'))).toBe(false);

    // The printed replay reruns exactly the shrunk counterexample.
    const path = /--path (\S+)/.exec(replay)?.[1] as string;
    const again = capture();
    const code2 = await idempotencyCommand(flags({ target: noDedup.url, out: join(tmp, 'replay'), property: ['duplicate-delivery'], path, format: ['json'] }), again.io);
    expect(code2).toBe(1);
    const input = (t: string) => /shrunk input \(\d+ shrinks\): (.*)$/m.exec(t)?.[1];
    expect(input(again.out.join(''))).toBe(input(text));
  });

  it('a counterexample replayed (--path) against the fixed agent did not reproduce: exit 4, never a pass', async () => {
    const c = capture();
    expect(await idempotencyCommand(flags({ target: noDedup.url, out: join(tmp, 'fail-2'), property: ['duplicate-delivery'], format: ['json'] }), c.io)).toBe(1);
    const path = /--path (\S+)/.exec(c.out.join(''))?.[1] as string;
    const fixed = capture();
    const code = await idempotencyCommand(flags({ target: correct.url, out: join(tmp, 'fixed'), property: ['duplicate-delivery'], path, format: ['json'] }), fixed.io);
    expect(code).toBe(4);
    expect(fixed.out.join('')).toMatch(new RegExp(`^did not reproduce: the counterexample of duplicate-delivery at --seed 1 --path ${path} no longer fails \\(held`, 'm'));
    const report = JSON.parse(readFileSync(join(tmp, 'fixed', 'report.json'), 'utf8')) as { verdict: string; reasons: string[] };
    expect(report.verdict).toBe('invalid');
    expect(report.reasons[0]).toMatch(/^did not reproduce/);
  });

  it('returns 4 when nothing could exercise the properties', async () => {
    const c = capture();
    const code = await idempotencyCommand(
      flags({ target: unavailable.url, out: join(tmp, 'idle'), property: ['duplicate-delivery', 'response-replay'], format: ['json'] }),
      c.io,
    );
    expect(code).toBe(4);
    expect(c.out.join('')).toMatch(/^NOT EXERCISED +duplicate-delivery/m);
    const report = JSON.parse(readFileSync(join(tmp, 'idle', 'report.json'), 'utf8')) as { verdict: string };
    expect(report.verdict).toBe('invalid');
  });
});

// End to end through the built CLI (npm test builds dist first).
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Without GITHUB_STEP_SUMMARY, so a CI run's own summary is not filled with these test runs.
    const { GITHUB_STEP_SUMMARY: _summary, ...env } = process.env;
    execFile(process.execPath, ['bin/agentcheck.js', 'idempotency', ...args], { timeout: 60_000, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('agentcheck idempotency (built CLI)', () => {
  it('exit 1 with a counterexample for a double-charging agent', async () => {
    const r = await cli(['--target', noDedup.url, '--spec', SPEC, '--runs', '10', '--seed', '3', '--property', 'concurrent-duplicates', '--out', join(tmp, 'e2e-1')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +concurrent-duplicates +violated: 2 concurrent deliveries of one request made 2 effects/m);
    expect(r.stderr).toBe('');
  });

  it('exit 2 with file:line:col for a bad spec, and for a bad flag', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'operation:\n  path: /charges\n  body: { examples: [{}] }\neffects:\n  probe: { path: /ledger, lst: effects }\n');
    const r = await cli(['--target', correct.url, '--spec', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:5:27: unknown field 'lst'`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const f = await cli(['--target', correct.url, '--spec', SPEC, '--runs', 'many']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--runs expects an integer/);
  });

  it('exit 3 when the target is unreachable', async () => {
    const gone = await startLocalTarget('synchronous');
    const url = gone.url;
    await gone.close();
    const r = await cli(['--target', url, '--spec', SPEC, '--out', join(tmp, 'e2e-3')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the target: .*ECONNREFUSED/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('exit 4 when no property was exercised', async () => {
    const r = await cli(['--target', unavailable.url, '--spec', SPEC, '--runs', '5', '--property', 'duplicate-delivery', '--out', join(tmp, 'e2e-4')]);
    expect(r.code).toBe(4);
  });
});
