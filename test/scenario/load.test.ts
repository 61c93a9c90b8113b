import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { defineScenario } from '../../src/scenario/define.js';
import { toxicRequestBody } from '../../src/scenario/fault-toxic.js';
import {
  loadScenarioFile,
  parseScenarioText,
  scenarioFromValue,
  ScenarioValidationError,
} from '../../src/scenario/load.js';
import type { Scenario, ScenarioInput } from '../../src/scenario/types.js';

const repo = path.resolve(import.meta.dirname, '../..');
const scenariosDir = path.join(repo, 'scenarios');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'agentcheck-scenario-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const minimalYaml = `name: minimal
agents:
  - name: a
    command: node a.js --flag "two words"
  - name: b
    command: [node, b.js]
    cwd: sub
    env: { MODE: fast, RETRIES: 3, DEBUG: true }
    port: 9000
    readiness: { http: /healthz, timeout: 500ms }
edges:
  - { from: a, to: b, env: B_URL }
phases:
  - name: one
    duration: 1s
  - name: two
    duration: 1500
`;

const minimalModel = (baseDir: string, file?: string): Scenario => ({
  name: 'minimal',
  warmupMs: 0,
  chaos: { backend: 'embedded' },
  runtime: 'process',
  agents: [
    {
      name: 'a',
      command: ['node', 'a.js', '--flag', 'two words'],
      cwd: baseDir,
      env: {},
      port: 'auto',
      readiness: { kind: 'tcp', timeoutMs: 10_000 },
    },
    {
      name: 'b',
      command: ['node', 'b.js'],
      cwd: path.join(baseDir, 'sub'),
      env: { MODE: 'fast', RETRIES: '3', DEBUG: 'true' },
      port: 9000,
      readiness: { kind: 'http', path: '/healthz', timeoutMs: 500 },
    },
  ],
  edges: [{ id: 'a->b', from: 'a', to: 'b', env: 'B_URL', protocol: 'http' }],
  phases: [
    { name: 'one', durationMs: 1000, startMs: 0, faults: [] },
    { name: 'two', durationMs: 1500, startMs: 1000, faults: [] },
  ],
  slo: [],
  invariants: [],
  detectors: {},
  totalDurationMs: 2500,
  source: { baseDir, ...(file ? { file } : {}) },
});

describe('loading valid scenarios', () => {
  it('fills defaults, parses durations and resolves paths', () => {
    expect(parseScenarioText(minimalYaml, { baseDir: '/srv/team' })).toEqual(minimalModel('/srv/team'));
  });

  it('loads YAML and the same document as JSON to the same model, relative to the file', async () => {
    const yamlFile = path.join(dir, 'minimal.yaml');
    const jsonFile = path.join(dir, 'minimal.json');
    await writeFile(yamlFile, minimalYaml);
    const input = parseScenarioText(minimalYaml, { baseDir: dir });
    expect(input.agents[1]?.cwd).toBe(path.join(dir, 'sub'));
    await writeFile(
      jsonFile,
      JSON.stringify({
        name: 'minimal',
        agents: [
          { name: 'a', command: 'node a.js --flag "two words"' },
          { name: 'b', command: ['node', 'b.js'], cwd: 'sub', env: { MODE: 'fast', RETRIES: 3, DEBUG: true }, port: 9000, readiness: { http: '/healthz', timeout: '500ms' } },
        ],
        edges: [{ from: 'a', to: 'b', env: 'B_URL' }],
        phases: [{ name: 'one', duration: '1s' }, { name: 'two', duration: 1500 }],
      }),
    );
    expect(await loadScenarioFile(yamlFile)).toEqual(minimalModel(dir, yamlFile));
    expect(await loadScenarioFile(jsonFile)).toEqual(minimalModel(dir, jsonFile));
  });

  it('loads the default export of a .mjs module', async () => {
    const file = path.join(dir, 'module.mjs');
    await writeFile(
      file,
      `export default {
        name: 'minimal',
        agents: [
          { name: 'a', command: 'node a.js --flag "two words"' },
          { name: 'b', command: ['node', 'b.js'], cwd: 'sub', env: { MODE: 'fast', RETRIES: 3, DEBUG: true }, port: 9000, readiness: { http: '/healthz', timeout: '500ms' } },
        ],
        edges: [{ from: 'a', to: 'b', env: 'B_URL' }],
        phases: [{ name: 'one', duration: '1s' }, { name: 'two', duration: 1500 }],
      };\n`,
    );
    expect(await loadScenarioFile(file)).toEqual(minimalModel(dir, file));
  });

  it('reports a module without a default export, an invalid one, and a missing file', async () => {
    const none = path.join(dir, 'none.mjs');
    await writeFile(none, 'export const x = 1;\n');
    await expect(loadScenarioFile(none)).rejects.toThrow(`${none}: no default export, expected \`export default defineScenario({ … })\``);

    const invalid = path.join(dir, 'invalid.mjs');
    await writeFile(invalid, "export default { name: 'x', agents: [], edges: [], phases: [] };\n");
    const err = await loadScenarioFile(invalid).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioValidationError);
    expect((err as ScenarioValidationError).issues.map((i) => i.text)).toEqual([
      `${invalid}: agents: got an empty list, expected at least 1 item`,
      `${invalid}: phases: got an empty list, expected at least 1 item`,
    ]);

    const throwing = path.join(dir, 'throwing.mjs');
    await writeFile(throwing, "throw new Error('boom');\n");
    await expect(loadScenarioFile(throwing)).rejects.toThrow(`${throwing}: the module failed to load: boom`);

    await expect(loadScenarioFile(path.join(dir, 'absent.yaml'))).rejects.toThrow(`${path.join(dir, 'absent.yaml')}: no such file`);
    await expect(loadScenarioFile(path.join(dir, 'absent.mjs'))).rejects.toThrow(`${path.join(dir, 'absent.mjs')}: no such file`);
    await expect(loadScenarioFile(dir + '.yaml')).rejects.toBeInstanceOf(AgentcheckError);
    await expect(loadScenarioFile('scenario.toml')).rejects.toThrow(
      'scenario.toml: unknown scenario file type ".toml", expected .yaml, .yml, .json, .js, .mjs or .ts',
    );
  });

  it('loads the reference scenario to the model the runner expects', async () => {
    const s = await loadScenarioFile(path.join(scenariosDir, 'order-fulfilment.yaml'));
    expect(s.name).toBe('order-fulfilment');
    expect(s.seed).toBe('42');
    expect(s.warmupMs).toBe(1000);
    expect(s.agents.map((a) => [a.name, a.command, a.cwd, a.readiness])).toEqual(
      ['intake', 'planner', 'inventory', 'payments', 'notifier'].map((n) => [
        n,
        ['node', `team/${n}.mjs`],
        scenariosDir,
        { kind: 'http', path: '/healthz', timeoutMs: 10_000 },
      ]),
    );
    expect(s.edges.map((e) => `${e.id} ${e.env} ${e.protocol}`)).toEqual([
      'intake->planner PLANNER_URL http',
      'planner->inventory INVENTORY_URL http',
      'planner->payments PAYMENTS_URL http',
      'planner->notifier NOTIFIER_URL http',
    ]);
    expect(s.phases.map((p) => [p.name, p.startMs, p.durationMs, p.faults.map((f) => `${f.edge}:${f.type}`)])).toEqual([
      ['baseline', 0, 3000, []],
      ['slow-inventory', 3000, 3000, ['planner->inventory:latency']],
      ['duplicate-charges', 6000, 3000, ['planner->payments:duplicate']],
      ['recovery', 9000, 3000, []],
    ]);
    expect(s.totalDurationMs).toBe(12_000);
    const duplicate = s.phases[2]!.faults[0]!;
    expect(duplicate.messageLevel).toBe(true);
    expect(toxicRequestBody(duplicate)).toEqual({
      name: 'duplicate-charges-duplicate-0',
      type: 'duplicate',
      toxicity: 1,
      attributes: { copies: 1, match: { method: 'POST', path: '/charges' } },
    });
    expect(s.load).toMatchObject({ target: 'intake', model: 'open', rate: 40, connections: 10, durationMs: 12_000, timeoutMs: 2000 });
    expect(s.load?.requests[0]).toEqual({
      name: 'place order',
      method: 'POST',
      path: '/orders',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': '${uuid}' },
      body: { orderId: '${uuid}', customerId: 'customer-${seq}', items: [{ sku: 'sku-1', qty: 1 }], amount: 1999, currency: 'EUR' },
    });
    expect(s.slo.map((b) => b.budget)).toEqual(['p(99) < 1s', 'error_rate < 1%', 'p(95) < 300ms']);
    expect(s.slo[2]).toEqual({ name: 'fast when healthy', budget: 'p(95) < 300ms', phases: ['baseline', 'recovery'] });
    expect(s.invariants).toEqual([
      { kind: 'http', name: 'no order charged twice', after: 'each-phase', agent: 'payments', path: '/invariants' },
      { kind: 'exactly_once', name: 'one charge per order', after: 'end', effects: { agent: 'payments', path: '/ledger' }, key: 'orderId' },
    ]);
  });

  it('loads the buggy variant: same team, payments without de-duplication', async () => {
    const good = await loadScenarioFile(path.join(scenariosDir, 'order-fulfilment.yaml'));
    const buggy = await loadScenarioFile(path.join(scenariosDir, 'order-fulfilment-buggy.yaml'));
    expect(buggy.agents.find((a) => a.name === 'payments')?.command).toEqual(['node', 'team/payments.mjs', '--mode', 'no-dedup']);
    const strip = (s: Scenario) => ({ ...s, name: '', description: '', source: {}, agents: s.agents.filter((a) => a.name !== 'payments') });
    expect(strip(buggy)).toEqual(strip(good));
  });

  it('maps every optional field', () => {
    const s = parseScenarioText(
      `name: full
description: every field
seed: run-7
warmup: 2s
runtime: containers
chaos: { backend: toxiproxy, image: ghcr.io/shopify/toxiproxy:2.7.0 }
agents:
  - { name: a, image: a:1, readiness: { tcp: true } }
  - { name: b, build: { context: ./b, dockerfile: Dockerfile.dev } }
edges:
  - { from: a, to: b, env: B_URL, protocol: tcp }
phases:
  - name: slow
    duration: 1m30s
    load: { rate: 5 }
    faults:
      - { edge: a->b, type: latency, name: lag, stream: upstream, toxicity: 0.5, attributes: { latency: 100 } }
load:
  target: a
  model: closed
  connections: 4
  duration: 10s
  timeout: 250ms
  late_tolerance: 20ms
  max_late: 0.02
  requests: [{ method: GET, path: /x }]
slo: [{ budget: "p(99) < 300ms" }]
invariants:
  - { name: script, command: ./check.sh --strict, after: each-phase }
`,
      { baseDir: '/base' },
    );
    expect(s).toEqual({
      name: 'full',
      description: 'every field',
      seed: 'run-7',
      warmupMs: 2000,
      chaos: { backend: 'toxiproxy', image: 'ghcr.io/shopify/toxiproxy:2.7.0' },
      runtime: 'containers',
      agents: [
        { name: 'a', cwd: '/base', env: {}, image: 'a:1', port: 'auto', readiness: { kind: 'tcp', timeoutMs: 10_000 } },
        { name: 'b', cwd: '/base', env: {}, build: { context: '/base/b', dockerfile: 'Dockerfile.dev' }, port: 'auto', readiness: { kind: 'tcp', timeoutMs: 10_000 } },
      ],
      edges: [{ id: 'a->b', from: 'a', to: 'b', env: 'B_URL', protocol: 'tcp' }],
      phases: [
        {
          name: 'slow',
          durationMs: 90_000,
          startMs: 0,
          load: { rate: 5 },
          faults: [
            { edge: 'a->b', from: 'a', to: 'b', type: 'latency', name: 'lag', stream: 'upstream', toxicity: 0.5, attributes: { latency: 100 }, messageLevel: false },
          ],
        },
      ],
      load: {
        target: 'a',
        model: 'closed',
        rate: 20,
        connections: 4,
        durationMs: 10_000,
        timeoutMs: 250,
        lateToleranceMs: 20,
        maxLateFraction: 0.02,
        requests: [{ name: 'GET /x', method: 'GET', path: '/x', headers: {} }],
        // The short form is a one-step workflow; following is on by default.
        workflowTimeoutMs: 30_000,
        follow: { a2a: { pollIntervalMs: 100, maxIntervalMs: 1000, inputRequired: 'error', authRequired: 'error' } },
        workflows: [{ name: 'default', weight: 1, steps: [{ name: 'default', method: 'GET', path: '/x', headers: {}, extract: {} }] }],
        generators: 1,
      },
      slo: [{ name: 'p(99) < 300ms', budget: 'p(99) < 300ms' }],
      invariants: [{ kind: 'command', name: 'script', after: 'each-phase', command: ['./check.sh', '--strict'], cwd: '/base' }],
      detectors: {},
      totalDurationMs: 90_000,
      source: { baseDir: '/base' },
    });
  });

  it('accepts YAML anchors and aliases', () => {
    const s = parseScenarioText(
      `name: anchors
agents:
  - { name: a, command: node a.js, readiness: &ready { http: /healthz, timeout: 3s } }
  - { name: b, command: node b.js, readiness: *ready }
edges: []
phases: [{ name: p, duration: 1s }]
`,
      { baseDir: '/x' },
    );
    expect(s.agents[1]?.readiness).toEqual({ kind: 'http', path: '/healthz', timeoutMs: 3000 });
  });
});

describe('defineScenario', () => {
  const input: ScenarioInput = {
    name: 'ts',
    agents: [{ name: 'a', command: 'node a.js' }],
    edges: [],
    phases: [{ name: 'p', duration: '1s' }],
  };

  it('returns its argument unchanged when valid', () => {
    expect(defineScenario(input)).toBe(input);
    expect(scenarioFromValue(input, { baseDir: '/b' }).phases[0]?.durationMs).toBe(1000);
  });

  it('throws every problem with its field path', () => {
    const bad = { ...input, agents: [{ name: 'a' }, { name: 'a', command: 'x', port: 0 }], phases: [{ name: 'p', duration: '1 s' }] };
    const err = (() => {
      try {
        defineScenario(bad as ScenarioInput);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ScenarioValidationError);
    expect((err as ScenarioValidationError).issues.map((i) => i.text)).toEqual([
      'agents[0].command: missing, expected a command: the process runtime starts each agent with one',
      'agents[1].name: duplicate agent name "a" (also agents[0]), expected unique names',
      'agents[1].port: got 0, expected a port number from 1 to 65535 or "auto"',
      'phases[0].duration: got "1 s", expected a duration such as "500ms", "2s", "1m30s" or a number of milliseconds',
    ]);
  });
});

describe('pluggable semantic checks', () => {
  it('reports a budget the checker rejects at the offset it names, with the scenario as context', () => {
    const contexts: unknown[] = [];
    const checkBudget = (e: string, ctx: unknown) => {
      contexts.push(ctx);
      const at = e.indexOf('median');
      return at >= 0 ? { message: "unknown statistic 'median', expected p(N), avg", offset: at } : undefined;
    };
    const yaml = `name: t
agents: [{ name: a, command: x }, { name: b, command: y }]
edges: [{ from: a, to: b, env: B }]
phases: [{ name: p, duration: 1s }]
slo:
  - p(99) < 1s
  - http.latency median < 2s
  - { budget: "median < 3s", phases: [p] }
`;
    const err = (() => {
      try {
        parseScenarioText(yaml, { file: 's.yaml', checkBudget });
      } catch (e) {
        return e as ScenarioValidationError;
      }
      throw new Error('expected an error');
    })();
    expect(err.issues.map((i) => i.text)).toEqual([
      "s.yaml:7:18: slo[1]: unknown statistic 'median', expected p(N), avg",
      "s.yaml:8:16: slo[2].budget: unknown statistic 'median', expected p(N), avg",
    ]);
    expect(contexts[0]).toEqual({ phases: ['p'], edges: ['a->b'] });
  });

  it('checks budgets with the SLO grammar by default', () => {
    const yaml = (slo: string) => `name: t
agents: [{ name: a, command: x }, { name: b, command: y }]
edges: [{ from: a, to: b, env: B }]
phases: [{ name: p, duration: 1s }]
slo: [${slo}]
`;
    expect(parseScenarioText(yaml('"p(99) < 300ms", "edge.a->b.error_rate < 1%", "http.latency{phase=p} avg < 1s"')).slo).toHaveLength(3);
    expect(() => parseScenarioText(yaml('"p(99) < 300"'), { file: 's.yaml' })).toThrow(
      's.yaml:5:16: slo[0]: invalid budget: a latency needs a unit, expected units for latency: us, ms, s (e.g. 300ms, 1.5s)',
    );
  });

  it("runs the toxic's own attribute check and points at the attribute it names", () => {
    const yaml = `name: t
agents: [{ name: a, command: x }, { name: b, command: y }]
edges: [{ from: a, to: b, env: B }]
phases:
  - name: p
    duration: 1s
    faults:
      - { edge: a->b, type: dup, attributes: { copies: 500 } }
      - { edge: a->b, type: dup, first: 0 }
      - { edge: a->b, type: dup, attributes: { copies: 2 }, first: 7 }
`;
    const seen: Record<string, unknown>[] = [];
    const toxics = {
      types: ['dup'],
      messageLevel: new Set(['dup']),
      attributes: () => [{ name: 'copies', type: 'int' }, { name: 'first', type: 'int64' }],
      checkAttribute: (goType: string, v: unknown) => (goType === 'int' && !Number.isInteger(v) ? 'an integer' : undefined),
      validate: (_type: string, attrs: Record<string, unknown>) => {
        seen.push(attrs);
        if (typeof attrs.copies === 'number' && attrs.copies > 100) return `attribute 'copies' must be at most 100, got ${attrs.copies}`;
        if (typeof attrs.first === 'number' && attrs.first > 5) return "attribute 'first' must be at most 5";
        return undefined;
      },
    };
    const err = (() => {
      try {
        parseScenarioText(yaml, { file: 's.yaml', toxics });
      } catch (e) {
        return e as ScenarioValidationError;
      }
      throw new Error('expected an error');
    })();
    expect(err.issues.map((i) => i.text)).toEqual([
      's.yaml:8:56: phases[0].faults[0].attributes.copies: attribute \'copies\' must be at most 100, got 500, expected a value the "dup" toxic accepts',
      's.yaml:9:41: phases[0].faults[1].first: got 0, expected an integer ≥ 1',
      's.yaml:10:68: phases[0].faults[2].first: attribute \'first\' must be at most 5, expected a value the "dup" toxic accepts',
    ]);
    // match/first/every reach the toxic's check as attributes, as they do through the API; values
    // the schema rejected are reported once, by the schema.
    expect(seen).toEqual([{ copies: 500 }, {}, { copies: 2, first: 7 }]);
  });

  it('uses a custom toxic catalogue', () => {
    const yaml = `name: t
agents: [{ name: a, command: x }, { name: b, command: y }]
edges: [{ from: a, to: b, env: B }]
phases: [{ name: p, duration: 1s, faults: [{ edge: a->b, type: latency }, { edge: a->b, type: blackhole }] }]
`;
    expect(() => parseScenarioText(yaml, { file: 's.yaml' })).toThrow(/unknown toxic type "blackhole"/);
    const s = parseScenarioText(yaml, { toxics: { types: ['latency', 'blackhole'], messageLevel: new Set() } });
    expect(s.phases[0]?.faults.map((f) => f.type)).toEqual(['latency', 'blackhole']);
  });
});
