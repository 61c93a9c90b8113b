import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioValidate } from '../../src/cli/commands/scenario.js';
import { scenarioJsonSchemaText } from '../../src/scenario/json-schema.js';
import { base } from './malformed-cases.js';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'bin/agentcheck.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (built dist) and collects its output. */
function agentcheck(args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      // On a non-zero exit, execFile's error carries the exit code as a number in `code`.
      const code: unknown = err ? (err as unknown as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(async () => {
  if (!existsSync(path.join(repo, 'dist/cli/main.js'))) throw new Error('dist is missing: run `npm run build` first (npm test does)');
  dir = await mkdtemp(path.join(tmpdir(), 'agentcheck-validate-'));
  await writeFile(path.join(dir, 'bad.yaml'), base('invariants:\n  - name: x\nseed: 1.5\n').replace('to: b,', 'to: c,'));
  await writeFile(path.join(dir, 'good.yaml'), base());
  await writeFile(path.join(dir, 'broken.yaml'), 'name: t\nagents: [a\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('agentcheck scenario validate (real CLI)', () => {
  it('exits 0 for the shipped scenarios and prints a summary per file', async () => {
    const r = await agentcheck(['scenario', 'validate', 'scenarios/order-fulfilment.yaml', 'scenarios/order-fulfilment-buggy.yaml'], repo);
    expect(r).toEqual({
      code: 0,
      stdout:
        'scenarios/order-fulfilment.yaml: ok (5 agents, 4 edges, 4 phases)\n' +
        'scenarios/order-fulfilment-buggy.yaml: ok (5 agents, 4 edges, 4 phases)\n',
      stderr: '',
    });
  });

  it('exits 2 with every error as FILE:LINE:COL on stderr, and still checks the other files', async () => {
    const r = await agentcheck(['scenario', 'validate', 'bad.yaml', 'good.yaml', 'broken.yaml', 'missing.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('good.yaml: ok (2 agents, 1 edge, 1 phase)\n');
    expect(r.stderr.split('\n')).toEqual([
      'bad.yaml:8:20: edges[0].to: unknown agent "c", expected one of: a, b',
      'bad.yaml:13:5: invariants[0]: got no check, expected one of: http, command, exactly_once',
      'bad.yaml:14:7: seed: got 1.5, expected an integer ≥ 0 or a non-empty string',
      'broken.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ], expected valid YAML',
      'missing.yaml: no such file',
      '',
    ]);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });

  it('exits 2 on a usage error (no file)', async () => {
    const r = await agentcheck(['scenario', 'validate'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'file'");
  });

  it('prints the JSON Schema', async () => {
    const r = await agentcheck(['scenario', 'schema'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(scenarioJsonSchemaText());
  });

  it('validates a module scenario written with defineScenario (valid, and invalid at definition)', async () => {
    const dist = JSON.stringify(path.join(repo, 'dist/index.js'));
    await writeFile(
      path.join(dir, 'team.mjs'),
      `import { defineScenario } from ${dist};\nexport default defineScenario({ name: 'm', agents: [{ name: 'a', command: 'node a.js' }], edges: [], phases: [{ name: 'p', duration: '1s' }] });\n`,
    );
    await writeFile(
      path.join(dir, 'bad-team.mjs'),
      `import { defineScenario } from ${dist};\nexport default defineScenario({ name: 'm', agents: [{ name: 'a' }], edges: [], phases: [{ name: 'p', duration: '1x' }] });\n`,
    );
    const r = await agentcheck(['scenario', 'validate', 'team.mjs', 'bad-team.mjs'], dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('team.mjs: ok (1 agent, 0 edges, 1 phase)\n');
    expect(r.stderr).toBe(
      'bad-team.mjs: agents[0].command: missing, expected a command: the process runtime starts each agent with one\n' +
        'bad-team.mjs: phases[0].duration: got "1x", expected a duration such as "500ms", "2s", "1m30s" or a number of milliseconds\n',
    );
  });

  it('reports a TypeScript scenario Node cannot import with a clear message', async () => {
    await writeFile(path.join(dir, 'team.ts'), 'const x: number = 1;\nexport default { name: "t" };\n');
    const r = await agentcheck(['scenario', 'validate', 'team.ts'], dir);
    // Node 20 without a loader cannot import .ts; newer Nodes strip types and then validation fails.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^team\.ts: (this Node cannot import TypeScript directly|agents: missing required field)/m);
  });
});

describe('scenarioValidate (in process)', () => {
  it('returns the exit code and writes through the given io', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) };
    expect(await scenarioValidate([path.join(dir, 'good.yaml')], io)).toBe(0);
    expect(await scenarioValidate([path.join(dir, 'bad.yaml')], io)).toBe(2);
    expect(out).toEqual([`${path.join(dir, 'good.yaml')}: ok (2 agents, 1 edge, 1 phase)\n`]);
    expect(err.join('').split('\n')).toHaveLength(4);
  });
});
