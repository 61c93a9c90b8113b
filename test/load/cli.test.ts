/** End-to-end: the real `agentcheck load` binary (dist, built by `npm test`) against local targets. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from './servers.js';

const root = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'agentcheck-load-'));
  dirs.push(d);
  return d;
}

function cli(args: string[], interruptAfterMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'agentcheck.js'), 'load', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    if (interruptAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Busy CI machines preempt the generator; these tests are about budgets, so lateness is tolerated.
const lenient = ['--max-late', '100%'];

describe('agentcheck load (CLI)', () => {
  it('passes within budget and writes the four reports (exit 0)', async () => {
    const target = await startServer(() => ({ delayMs: 2 }));
    servers.push(target);
    const out = tempDir();
    const r = await cli([`${target.url}/orders/\${seq}`, '--rate', '100', '--duration', '1.5s', '--budget', 'p(99) < 1s', '--budget', 'error_rate < 1%', '--out', out, ...lenient]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pass\s+p\(99\) < 1s \[load\]/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ kind: 'load', verdict: 'pass' });
    expect(report.budgets).toHaveLength(2);
    expect(report.budgets[0]).toMatchObject({ metric: 'workflow.latency', scope: 'load', status: 'pass', objectiveRatio: 0.99 });
    expect(report.budgets[0].windows).toHaveLength(12);
    expect(report.load).toMatchObject({ model: 'open', targetRate: 100 });
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('<testsuite');
  });

  it('a breached budget exits 1', async () => {
    const target = await startServer(() => ({ delayMs: 30 }));
    servers.push(target);
    const r = await cli([target.url, '--rate', '100', '--duration', '1.5s', '--budget', 'p(99) < 10ms', '--out', tempDir(), ...lenient]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fail\s+p\(99\) < 10ms/);
  });

  it('a budget on a metric with no samples is an invalid run (exit 4), never a pass', async () => {
    const target = await startServer(() => ({}));
    servers.push(target);
    // A plain GET is not a JSON-RPC call: the entry series of the method gets no events.
    const r = await cli([target.url, '--rate', '50', '--duration', '1s', '--budget', 'http.latency{method=tools/call} p(99) < 1s', '--out', tempDir(), ...lenient]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/invalid\s+http\.latency\{method=tools\/call\}/);
    expect(r.stdout).toMatch(/no data/);
  });

  it('too few samples for p(99) is an invalid run (exit 4)', async () => {
    const target = await startServer(() => ({}));
    servers.push(target);
    const r = await cli([target.url, '--rate', '20', '--duration', '1s', '--budget', 'p(99) < 1s', '--out', tempDir(), ...lenient]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/needs at least 100 events/);
  });

  it('a typo in a metric name exits 2 with the valid names, before sending anything', async () => {
    const target = await startServer(() => ({}));
    servers.push(target);
    const r = await cli([target.url, '--rate', '50', '--duration', '1s', '--budget', 'http.latncy p(99) < 300ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown metric 'http.latncy'; did you mean 'http.latency'?");
    expect(r.stderr).toContain('  ^^^^^^^^^^^');
    expect(r.stderr).toContain('valid metrics: http.latency, http.error_rate, http.throughput, workflow.latency');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(target.received()).toBe(0);
  });

  it('an unreachable target exits 3', async () => {
    const port = await freePort();
    const r = await cli([`http://127.0.0.1:${port}/`, '--rate', '10', '--duration', '1s', '--out', tempDir()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unreachable: ECONNREFUSED/);
  });

  it('bad flags exit 2', async () => {
    expect((await cli(['http://127.0.0.1:1/', '--rate', 'fast'])).code).toBe(2);
    expect((await cli(['http://127.0.0.1:1/', '--rate', '5', '--connections', '2'])).code).toBe(2);
    expect((await cli(['http://127.0.0.1:1/', '--duration', 'forever'])).code).toBe(2);
  });

  it('imports OpenSLO objectives as budgets', async () => {
    const target = await startServer(() => ({ status: 500 }));
    servers.push(target);
    const dir = tempDir();
    const slo = join(dir, 'slo.yaml');
    writeFileSync(slo, 'apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: avail}\nspec:\n  objectives:\n    - target: 0.99\n');
    const r = await cli([target.url, '--rate', '100', '--duration', '1.5s', '--openslo', slo, '--out', join(dir, 'out'), ...lenient]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fail\s+http\.error_rate < 1%/);
  });

  it('Ctrl-C stops the run, writes the partial report marked aborted and exits 130', async () => {
    const target = await startServer(() => ({}));
    servers.push(target);
    const out = tempDir();
    const r = await cli([target.url, '--rate', '50', '--duration', '60s', '--out', out, ...lenient], 2500);
    expect(r.code).toBe(130);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('aborted');
    expect(report.aborted.signal).toBe('SIGINT');
    expect(report.durationMs).toBeLessThan(30_000);
    expect(report.phases[0].requests).toBeGreaterThan(10);
  });
});
