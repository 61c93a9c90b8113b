/**
 * Invariants through the runner on real agent processes: sampled while a phase's faults are on
 * (`during: each-phase`), which a check after the phase misses; effects probes that cannot be read
 * as configured are `invalid` (exit 4), never a failure (exit 1); a command's output is kept.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { exitCodeForVerdict } from '../../src/report/verdict.js';

const relay = JSON.stringify(path.resolve(__dirname, 'fixtures/relay-agent.mjs'));
const out = () => mkdtempSync(path.join(os.tmpdir(), 'agentcheck-inv-'));
const run = (yaml: string) => runScenarioDetailed(parseScenarioText(yaml, { baseDir: process.cwd() }), { outDir: out() });

const team = (shape = 'list') => `
agents:
  - { name: front, command: node ${relay}, readiness: { http: /healthz } }
  - { name: back, command: node ${relay}, env: { EFFECTS_SHAPE: ${shape} }, readiness: { http: /healthz } }
edges: [{ from: front, to: back, env: PEER_URL }]
load: { target: front, rate: 20, requests: [{ method: GET, path: /work }] }
`;

const faulted = `
phases:
  - name: broken
    duration: 1500ms
    faults: [{ edge: front->back, type: http_error, attributes: { status: 503 }, match: { path: /work } }]
  - { name: healed, duration: 1s }
`;

describe('invariants in a run', () => {
  it('a check sampled during a faulted phase sees the system under the fault', async () => {
    const { report } = await run(`name: during${team()}${faulted}
invariants:
  - { name: peer reachable, http: { agent: front, path: /invariants }, during: each-phase, interval: 300ms }
`);
    const during = report.invariants.filter((i) => i.name === 'peer reachable');
    expect(during.map((i) => [i.when, i.status])).toEqual([
      ['during broken', 'fail'],
      ['during healed', 'pass'],
      // `during` adds samples; the check still runs at the end as `after` (default end) says.
      ['end', 'pass'],
    ]);
    expect(during[0]!.finding).toMatch(/samples failed/);
    expect((during[0]!.details as { samples: number }).samples).toBeGreaterThanOrEqual(2);
    expect(report.verdict).toBe('fail');
  }, 30_000);

  it('the same check after each phase (faults removed) passes: the contrast the during mode exists for', async () => {
    const { report } = await run(`name: after${team()}
phases:
  - name: broken
    duration: 1500ms
    faults: [{ edge: front->back, type: http_error, attributes: { status: 503 }, match: { path: /work } }]
  - { name: healed, duration: 1s }
invariants:
  - { name: peer reachable, http: { agent: front, path: /invariants }, after: each-phase }
`);
    // After 'broken' the faults are gone but the last call may still have failed: only 'healed' is certain.
    expect(report.invariants.find((i) => i.when === 'healed')?.status).toBe('pass');
  }, 30_000);

  it.each([
    ['scalar', /did not answer a list/],
    ['two', /several lists \(charges, refunds\)/],
    ['text', /not JSON/],
  ])('an effects probe answering %s is invalid (exit 4), naming the field', async (shape, message) => {
    const { report } = await run(`name: probe${team(shape)}
phases: [{ name: p, duration: 1s }]
invariants:
  - { name: once, exactly_once: { effects: { agent: back, path: /effects }, key: orderId } }
`);
    const inv = report.invariants.find((i) => i.name === 'once')!;
    expect(inv.status).toBe('invalid');
    expect(inv.finding).toMatch(message);
    expect(report.verdict).toBe('invalid');
    expect(exitCodeForVerdict(report.verdict)).toBe(4);
  }, 30_000);

  it('a key field that no effect has, or a list path that is not there, is invalid and named', async () => {
    const { report } = await run(`name: probe${team('nested')}
phases: [{ name: p, duration: 1s }]
invariants:
  - { name: wrong key, exactly_once: { effects: { agent: back, path: /effects, list: data.charges }, key: chargeId } }
  - { name: wrong list, exactly_once: { effects: { agent: back, path: /effects, list: data.refunds }, key: orderId } }
`);
    expect(report.invariants.find((i) => i.name === 'wrong key')).toMatchObject({ status: 'invalid', finding: expect.stringMatching(/exactly_once.key: .*"chargeId"/) });
    expect(report.invariants.find((i) => i.name === 'wrong list')).toMatchObject({ status: 'invalid', finding: expect.stringMatching(/exactly_once.effects.list: "data.refunds" .* missing/) });
    expect(report.verdict).toBe('invalid');
  }, 30_000);

  it('keeps a command invariant output, pass or fail', async () => {
    const { report } = await run(`name: cmd${team()}
phases: [{ name: p, duration: 500ms }]
invariants:
  - { name: says hi, command: ["node", "-e", "console.log('hi there')"] }
  - { name: says no, command: ["node", "-e", "console.log('nope'); process.exit(3)"] }
`);
    expect(report.invariants.find((i) => i.name === 'says hi')).toMatchObject({ status: 'pass', details: { exit: 0, output: 'hi there' } });
    expect(report.invariants.find((i) => i.name === 'says no')).toMatchObject({ status: 'fail', details: { exit: 3, output: 'nope' } });
  }, 30_000);
});
