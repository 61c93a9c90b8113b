// End to end: the real `agentcheck contracts` CLI (dist, built by `npm test`) on the reference team.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'agentcheck.js');
const TEAM = path.join(ROOT, 'scenarios', 'team');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, PACT_DO_NOT_TRACK: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let tmp: string;
let out: string;
let records: string;

function paymentsScenario(mode: string): string {
  return [
    'name: payments-only',
    'agents:',
    '  - name: payments',
    `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(TEAM, 'payments.mjs'))}, --mode, ${mode}]`,
    '    readiness: { http: /healthz, timeout: 10s }',
    'edges: []',
    'phases:',
    '  - { name: only, duration: 1s }',
    '',
  ].join('\n');
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist is missing: run `npm run build` (npm test does)');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-contracts-cli-'));
  out = path.join(tmp, 'out');
  records = path.join(out, 'verifications');
  await writeFile(path.join(tmp, 'renamed.yaml'), paymentsScenario('renamed-field'));
  await writeFile(path.join(tmp, 'broken.yaml'), paymentsScenario('no-such-mode'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('agentcheck contracts verify', () => {
  it('verifies the whole team from the scenario with the TypeScript state-handler module (exit 0) and writes reports and records', async () => {
    const r = await cli([
      'contracts', 'verify', '--scenario', 'scenarios/order-fulfilment.yaml', '--state-handlers', 'test/contracts/team/states.ts',
      '--provider-version', '1.0.0', '--out', out,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('✓ payments@1.0.0');
    expect(r.stdout).toMatch(/verified: 3 provider\(s\), 4 pact\(s\), 6 interaction\(s\), 0 failed/);
    const junit = await readFile(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toContain('an order.completed event');
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ kind: 'contracts', verdict: 'pass' });
    expect(existsSync(path.join(records, 'payments', '1.0.0.json'))).toBe(true);
  });

  it('fails payments --mode renamed-field (exit 1) with $.chargeId named in the report and in junit.xml', async () => {
    const r = await cli([
      'contracts', 'verify', '--scenario', path.join(tmp, 'renamed.yaml'), '--provider', 'payments',
      '--state-handlers', 'test/contracts/team/states.ts', '--provider-version', '1.1.0', '--out', out,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain("✗ planner → payments: 1 of 1 interaction(s) failed");
    expect(r.stdout).toContain('$.chargeId: expected "ch_1" (matcher: type), got (missing)');
    expect(r.stdout).toContain("hint: the provider sends 'charge_id' instead: was 'chargeId' renamed?");
    // Pact's own output is kept out of the report, in the log.
    expect(r.stdout).not.toContain('Verifying a pact between');
    expect(await readFile(path.join(out, 'pact-verifier.log'), 'utf8')).toContain('Verifying a pact between');
    const junit = await readFile(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure[^>]*>[\s\S]*\$\.chargeId/);
  });

  it('can-i-deploy answers from those records: ok (0), failed (1), never verified (4)', async () => {
    const ask = (version: string) => cli(['contracts', 'can-i-deploy', '--pacticipant', 'payments', '--version', version, '--records', records]);
    const [ok, failed, never] = await Promise.all([ask('1.0.0'), ask('1.1.0'), ask('2.0.0')]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^yes: all 1 integration\(s\) of payments@1\.0\.0 are verified ok/);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^no: 1 of 1 integration\(s\) of payments@1\.1\.0 failed verification/);
    expect(never.code).toBe(4);
    expect(never.stdout).toMatch(/^unknown: 1 of 1 integration\(s\) of payments@2\.0\.0 were never verified/);
    const matrix = await cli(['contracts', 'matrix', '--records', records, '--pacticipant', 'payments']);
    expect(matrix.code).toBe(0);
    expect(matrix.stdout).toMatch(/planner\s+sha256:\w+\s+payments\s+1\.1\.0\s+verified-failed/);
    expect(matrix.stdout).toMatch(/planner\s+sha256:\w+\s+payments\s+1\.0\.0\s+verified-ok/);
  });

  it('--json prints only the verification as JSON', async () => {
    const r = await cli([
      'contracts', 'verify', '--scenario', path.join(tmp, 'renamed.yaml'), '--provider', 'payments',
      '--state-handlers', 'test/contracts/team/states.ts', '--provider-version', '1.1.0', '--out', path.join(tmp, 'json-out'), '--json',
    ]);
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.providers[0].pacts[0].interactions[0].mismatches[0]).toMatchObject({ path: '$.chargeId', kind: 'body' });
  });

  it('a provider that fails to start exits 3 with its output', async () => {
    const r = await cli(['contracts', 'verify', '--scenario', path.join(tmp, 'broken.yaml'), '--provider', 'payments', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(/✗ payments@\S+: not verified — provider 'payments' could not be started/);
    expect(r.stdout).toContain('unknown mode');
  });

  it('a provider URL where nothing listens exits 3 with a hint, not 1 (no interaction was verified)', async () => {
    // A port that was just free: connections to it are refused.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await cli(['contracts', 'verify', '--provider-base-url', `http://127.0.0.1:${port}`, '--provider', 'payments', '--out', path.join(tmp, 'refused')]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`✗ payments@\\S+: not verified — provider 'payments' is unreachable at http://127\\.0\\.0\\.1:${port} \\(.*connection refused\\); hint: start it first, or give --scenario`));
    expect(r.stdout).toMatch(/NOT VERIFIED: .* 0 interaction\(s\), 0 failed/);
  });

  it('bad usage exits 2 with a message, never a stack trace', async () => {
    const cases = [
      { args: ['contracts', 'verify'], msg: /give --scenario FILE .* or --provider-base-url URL/ },
      { args: ['contracts', 'verify', '--provider-base-url', 'http://127.0.0.1:9', '--enable-pending'], msg: /--enable-pending need\(s\) --broker-url/ },
      { args: ['contracts', 'verify', '--provider-base-url', 'localhost:9'], msg: /--provider-base-url expects an http\(s\) URL/ },
      { args: ['contracts', 'verify', '--provider-base-url', 'http://127.0.0.1:9', '--pacts', 'no/such/dir'], msg: /cannot read the pact folder no\/such\/dir/ },
      { args: ['contracts', 'verify', '--provider-base-url', 'http://127.0.0.1:9', '--broker-url', 'http://127.0.0.1:9', '--consumer-version-selectors', '{oops'], msg: /--consumer-version-selectors expects JSON/ },
      { args: ['contracts', 'can-i-deploy', '--pacticipant', 'payments', '--version', '1', '--to', 'planner'], msg: /--to expects NAME@VERSION/ },
      { args: ['contracts', 'can-i-deploy', '--pacticipant', 'nobody', '--version', '1'], msg: /'nobody' appears in no pact file/ },
      { args: ['contracts', 'verify', '--scenario', 'scenarios/order-fulfilment.yaml', '--state-handlers', 'nope.ts'], msg: /state-handler module nope\.ts: no such file/ },
    ];
    const results = await Promise.all(cases.map((c) => cli(c.args)));
    for (const [n, r] of results.entries()) {
      expect(r.code, `${cases[n]!.args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(cases[n]!.msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
