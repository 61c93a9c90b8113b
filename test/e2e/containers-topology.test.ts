/**
 * End-to-end: network isolation in the containers runtime, through the real CLI and a real Docker
 * engine. Each agent is on a network of its own, so the variant whose notifier calls inventory by
 * its network alias fails with a topology finding the network sinkhole saw (caller and peer
 * named); the same team without that call passes, with every agent's topology check passing; and
 * neither run leaves a container or network behind. Skips with one line where no engine answers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../../src/images/engine.js';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/agentcheck.js');
const variant = path.join(root, 'scenarios/detectors/direct-call-containers.yaml');
const engine = await dockerAvailable(5000);
if (!engine) console.log('[e2e] containers topology tests skipped: no Docker engine reachable (start dockerd; .ci/run does)');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The agentcheck process's pid: its containers and networks carry it as `agentcheck.owner.pid`. */
  pid: number;
}

function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: 'true', TESTCONTAINERS_RYUK_DISABLED: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr, pid: child.pid ?? -1 }));
  });
}

/** Containers and networks the given agentcheck process created and left (other tests' runs are not ours to judge). */
function leftBy(pid: number): string[] {
  const filter = `label=agentcheck.owner.pid=${pid}`;
  const list = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  return [...list(['ps', '-a', '--filter', filter, '--format', '{{.Names}}']), ...list(['network', 'ls', '--filter', filter, '--format', '{{.Name}}'])];
}

interface ReportCheck {
  suite: string;
  name: string;
  status: string;
  message?: string;
  details?: { violations?: Array<{ caller?: string; peer?: string; target: string; count: number }> };
}

const topologyChecks = (out: string): ReportCheck[] =>
  (JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { checks: ReportCheck[] }).checks.filter((c) => c.suite === 'detector: topology');

describe.skipIf(!engine)('network isolation in the containers runtime (real CLI, real Docker)', { timeout: 300_000 }, () => {
  // The CLI runs against dist/, which `npm test` builds first.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-e2e-topology-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an agent that calls a peer by its network alias fails the run: the sinkhole names caller and peer', async () => {
    const out = path.join(dir, 'direct');
    const r = await runCli(['scenario', 'run', variant, '--runtime', 'containers', '--out', out, '--no-progress']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/detector: topology notifier failed: notifier called inventory's own address inventory:8080 directly.*seen by the network sinkhole \d+×/);
    const checks = topologyChecks(out);
    const notifier = checks.find((c) => c.name === 'notifier')!;
    expect(notifier.status).toBe('fail');
    expect(notifier.details?.violations?.[0]).toMatchObject({ caller: 'notifier', peer: 'inventory', target: 'inventory:8080' });
    expect(notifier.details!.violations![0]!.count).toBeGreaterThan(0);
    // Only the caller is blamed: every other agent called only through its proxies.
    expect(checks.filter((c) => c.name !== 'notifier').map((c) => [c.name, c.status]).sort()).toEqual([
      ['intake', 'pass'],
      ['inventory', 'pass'],
      ['payments', 'pass'],
      ['planner', 'pass'],
    ]);
    expect(leftBy(r.pid)).toEqual([]);
  });

  it('the same team without the direct call passes, every topology check passing', async () => {
    // The variant minus AUDIT_URL; the agents' cwd made absolute, since the file is written elsewhere.
    const text = readFileSync(variant, 'utf8').replace(/, env: \{ AUDIT_URL: "[^"]*" \}/, '').replaceAll('cwd: ..', `cwd: ${JSON.stringify(path.join(root, 'scenarios'))}`);
    expect(text).not.toContain('AUDIT_URL: "');
    const file = path.join(dir, 'good-team.yaml');
    writeFileSync(file, text);
    const out = path.join(dir, 'good');
    const r = await runCli(['scenario', 'run', file, '--runtime', 'containers', '--out', out, '--no-progress']);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { reasons: string[] };
    if (r.code === 4) {
      // An overloaded machine makes the generator fall behind: an honest invalid run, never a pass.
      expect(report.reasons.join('\n')).toMatch(/load generator/);
    } else {
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const checks = topologyChecks(out);
    expect(checks.map((c) => [c.name, c.status]).sort()).toEqual([
      ['intake', 'pass'],
      ['inventory', 'pass'],
      ['notifier', 'pass'],
      ['payments', 'pass'],
      ['planner', 'pass'],
    ]);
    expect(leftBy(r.pid)).toEqual([]);
  });
});
