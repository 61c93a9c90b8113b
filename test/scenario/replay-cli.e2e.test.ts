/**
 * `agentcheck scenario run --replay` through the built CLI (needs dist): a failing run prints one
 * replay command; running it reproduces the failure (exit 1, "reproduced"); the same journal
 * replayed on the scenario with the agent fixed exits 4 with "did not reproduce", never a pass.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forwarder, root } from './agents.js';

const yaml = (mode: string) => `
name: replay-cli
seed: 5
agents:
  - { name: front, command: ${forwarder('PAY_URL')}, readiness: { http: /healthz } }
  - { name: payments, command: "node ${root}/scenarios/team/payments.mjs --mode ${mode}", readiness: { http: /healthz } }
edges: [{ from: front, to: payments, env: PAY_URL }]
phases:
  - name: dup
    duration: 1500ms
    faults: [{ edge: front->payments, type: duplicate, probability: 0.5, attributes: { copies: 1 } }]
load:
  target: front
  rate: 8
  late_tolerance: 1s
  max_late: 0.5
  requests: [{ method: POST, path: /pay, headers: { Idempotency-Key: "\${uuid}" }, body: { orderId: "\${uuid}", amount: 100, currency: EUR } }]
invariants:
  - { name: no order charged twice, http: { agent: payments, path: /invariants } }
`;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { GITHUB_STEP_SUMMARY: _summary, ...env } = process.env;
    execFile(process.execPath, [path.join(root, 'bin/agentcheck.js'), ...args], { timeout: 90_000, env, cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('agentcheck scenario run --replay (built CLI)', () => {
  it('prints a replay command that reproduces the failure; on the fixed agent: exit 4, did not reproduce', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-replay-cli-'));
    writeFileSync(path.join(dir, 'buggy.yaml'), yaml('no-dedup'));
    writeFileSync(path.join(dir, 'fixed.yaml'), yaml('correct'));
    const first = await cli(['scenario', 'run', path.join(dir, 'buggy.yaml'), '--out', path.join(dir, 'run'), '--no-progress']);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    const command = /^replay: (agentcheck scenario run .*)$/m.exec(first.stdout)?.[1];
    expect(command).toBe(`agentcheck scenario run ${path.join(dir, 'buggy.yaml')} --seed 5 --replay ${path.join(dir, 'run', 'journal.ndjson')}`);
    const report = JSON.parse(readFileSync(path.join(dir, 'run', 'report.json'), 'utf8')) as { replay: { command: string } };
    expect(report.replay.command).toBe(command);
    expect(readFileSync(path.join(dir, 'run', 'summary.md'), 'utf8')).toContain(`Replay this run: \`${command}\``);

    const again = await cli([...command!.split(' ').slice(1), '--out', path.join(dir, 'replay'), '--no-progress']);
    expect(again.code, again.stdout).toBe(1);
    expect(again.stdout).toMatch(/reproduced: the replay ended FAIL \(invariant:no order charged twice\), as the journaled run did/);

    const fixed = await cli(['scenario', 'run', path.join(dir, 'fixed.yaml'), '--replay', path.join(dir, 'run', 'journal.ndjson'), '--out', path.join(dir, 'fixed'), '--no-progress']);
    expect(fixed.code, fixed.stdout).toBe(4);
    expect(fixed.stdout).toMatch(/^INVALID/m);
    expect(fixed.stdout).toMatch(/did not reproduce: the journaled run ended FAIL \(invariant:no order charged twice\), this replay of its fault decisions ended (PASS|INVALID)/);
    const fixedReport = JSON.parse(readFileSync(path.join(dir, 'fixed', 'report.json'), 'utf8')) as { verdict: string; replay: { of: { reproduced: boolean } } };
    expect(fixedReport.verdict).toBe('invalid');
    expect(fixedReport.replay.of.reproduced).toBe(false);

    const otherSeed = await cli(['scenario', 'run', path.join(dir, 'buggy.yaml'), '--seed', '6', '--replay', path.join(dir, 'run', 'journal.ndjson'), '--out', path.join(dir, 'x'), '--no-progress']);
    expect(otherSeed.code).toBe(2);
    expect(otherSeed.stderr).toMatch(/differs from the journaled run's seed 5/);
  }, 240_000);
});
