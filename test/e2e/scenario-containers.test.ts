/**
 * End-to-end: the reference scenario with `--runtime containers` through the real CLI, same verdicts
 * as the process runtime; an interrupted container run leaves nothing with its label. Needs a Docker
 * engine (CI starts one); skips with one line where none is reachable.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerAvailable } from '../../src/images/engine.js';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/agentcheck.js');
const engine = await dockerAvailable(5000);
if (!engine) console.log('[e2e] container scenario tests skipped: no Docker engine reachable (start dockerd; .ci/run does)');

function runCli(args: string[], interruptAfterMs?: number): Promise<{ code: number | null; stdout: string; stderr: string; pid: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: 'true', TESTCONTAINERS_RYUK_DISABLED: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // The delay counts from the CLI's 'running' line (its signal handlers are on by then): on a
    // busy machine Node's start-up alone can outlast a delay counted from the spawn.
    if (interruptAfterMs !== undefined) {
      const armed = (b: Buffer) => {
        if (!(stderr + b.toString()).includes('agentcheck: running ')) return;
        child.stderr.off('data', armed);
        setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
      };
      child.stderr.on('data', armed);
    }
    child.on('close', (code) => resolve({ code, stdout, stderr, pid: child.pid ?? -1 }));
  });
}

/**
 * Containers and networks of the runs the given agentcheck process made (`agentcheck.owner.pid`):
 * other test files start container runs at the same time, and theirs are not this test's to judge.
 */
function labelled(pid: number): string[] {
  const filter = `label=agentcheck.owner.pid=${pid}`;
  const containers = execFileSync('docker', ['ps', '-a', '--filter', filter, '--format', '{{.Names}}'], { encoding: 'utf8' });
  const networks = execFileSync('docker', ['network', 'ls', '--filter', filter, '--format', '{{.Name}}'], { encoding: 'utf8' });
  return [...containers.split('\n'), ...networks.split('\n')].filter(Boolean);
}

describe.skipIf(!engine)('agentcheck scenario run --runtime containers (real CLI, real Docker)', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-e2e-containers-'));

  it('passes the reference scenario in containers, as in processes', async () => {
    const out = path.join(dir, 'good');
    const r = await runCli(['scenario', 'run', 'scenarios/order-fulfilment.yaml', '--runtime', 'containers', '--out', out, '--no-progress']);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    if (r.code === 4) {
      // An overloaded machine makes the generator fall behind: an honest invalid run, never a pass.
      expect(report.reasons.join('\n')).toMatch(/load generator/);
    } else {
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    expect(report.agents.every((a: { runtime: string }) => a.runtime === 'container')).toBe(true);
    expect(report.invariants.find((i: { kind: string }) => i.kind === 'exactly_once').status).toBe('pass');
    expect(labelled(r.pid)).toEqual([]);
  });

  it('fails the buggy scenario in containers with the same finding as in processes', async () => {
    const out = path.join(dir, 'buggy');
    const r = await runCli(['scenario', 'run', 'scenarios/order-fulfilment-buggy.yaml', '--runtime', 'containers', '--out', out, '--no-progress']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/invariant '?one charge per order'? failed: duplicated: \d+ keys? applied more than once/);
    expect(r.stdout).toMatch(/invariant '?no order charged twice'? failed/);
    expect(labelled(r.pid)).toEqual([]);
  });

  it('leaves no container or network with the run label when interrupted', async () => {
    const out = path.join(dir, 'interrupted');
    // Somewhere between container start-up and the middle of the timeline.
    const at = 3000 + Math.floor(Math.random() * 5000);
    const r = await runCli(['scenario', 'run', 'scenarios/order-fulfilment.yaml', '--runtime', 'containers', '--out', out, '--no-progress'], at);
    expect(r.code).toBe(130);
    expect(labelled(r.pid)).toEqual([]);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('aborted');
  });
});
