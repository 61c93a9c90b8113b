/**
 * The scenario runner through its library API, on real agent processes: the exit paths that the
 * CLI end-to-end tests do not cover (a crash mid-run, configuration errors found early or late).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { liveProcessGroups } from '../../src/scenario/runtimes/process.js';

const team = path.resolve(__dirname, '../../scenarios/team');
const out = () => mkdtempSync(path.join(os.tmpdir(), 'agentcheck-runner-'));

/** A tiny agent: /healthz, /work answering 200, exits with code 9 after `dieAfterMs` if given. */
const agent = (dieAfterMs?: number) =>
  JSON.stringify([
    'node',
    '-e',
    `require('http').createServer((q,s)=>{s.setHeader('content-type','application/json');s.end('{"ok":true}')}).listen(+process.env.PORT, process.env.HOST);` +
      (dieAfterMs ? `setTimeout(()=>process.exit(9), ${dieAfterMs});` : ''),
  ]);

function scenario(yaml: string) {
  return parseScenarioText(yaml, { baseDir: process.cwd() });
}

describe('runScenario', () => {
  it('turns an agent crash mid-run into a failed verdict, stops everything, and keeps the figures so far', async () => {
    const s = scenario(`
name: crash
agents:
  - { name: front, command: ${agent()}, readiness: { http: /healthz } }
  - { name: back, command: ${agent(1200)}, readiness: { http: /healthz } }
edges: [{ from: front, to: back, env: BACK_URL }]
phases:
  - { name: one, duration: 2s, faults: [{ edge: front->back, type: latency, attributes: { latency: 5 } }] }
  - { name: two, duration: 2s }
load: { target: front, rate: 20, requests: [{ method: GET, path: /work }] }
`);
    const started = performance.now();
    const { report } = await runScenarioDetailed(s, { outDir: out() });
    expect(report.verdict).toBe('fail');
    expect(report.reasons[0]).toMatch(/agent back crashed/);
    expect(report.agents.find((a) => a.name === 'back')?.status).toBe('crashed');
    // It stopped at the crash, not at the end of the timeline.
    expect(performance.now() - started).toBeLessThan(4000 + 10_000);
    expect(report.phases.length).toBeGreaterThan(0);
    expect(liveProcessGroups()).toEqual([]);
  });

  it('refuses message-level faults on a real Toxiproxy before starting anything (exit 2)', async () => {
    const s = scenario(`
name: msg
agents:
  - { name: a, command: ${agent()} }
  - { name: b, command: ${agent()} }
edges: [{ from: a, to: b, env: B_URL }]
phases: [{ name: p, duration: 1s, faults: [{ edge: a->b, type: duplicate, attributes: { copies: 1 } }] }]
`);
    const err = await runScenarioDetailed(s, { outDir: out(), toxiproxyUrl: 'http://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(2);
    expect((err as AgentcheckError).message).toMatch(/message-level faults need agentcheck's own proxy.*invalid toxic type.*duplicate on a->b/);
    expect(liveProcessGroups()).toEqual([]);
  });

  it('reports an unreachable Toxiproxy as an environment problem (exit 3)', async () => {
    const s = scenario(`
name: tp
agents: [{ name: a, command: ${agent()} }]
edges: []
phases: [{ name: p, duration: 1s }]
`);
    const { report, error } = await runScenarioDetailed(s, { outDir: out(), toxiproxyUrl: 'http://127.0.0.1:1' });
    expect(report.verdict).toBe('error');
    expect(error).toBeInstanceOf(AgentcheckError);
    expect((error as AgentcheckError).exitCode).toBe(3);
    expect((error as AgentcheckError).message).toMatch(/Toxiproxy API at http:\/\/127\.0\.0\.1:1 does not answer/);
  });

  it('runs the reference team with one fault phase and shows the fault on its edge', async () => {
    const s = scenario(`
name: slow-payments
agents:
${['intake', 'planner', 'inventory', 'payments', 'notifier'].map((a) => `  - { name: ${a}, command: "node ${team}/${a}.mjs" }`).join('\n')}
edges:
  - { from: intake, to: planner, env: PLANNER_URL }
  - { from: planner, to: inventory, env: INVENTORY_URL }
  - { from: planner, to: payments, env: PAYMENTS_URL }
  - { from: planner, to: notifier, env: NOTIFIER_URL }
phases:
  - { name: calm, duration: 2s }
  - { name: slow, duration: 2s, faults: [{ edge: planner->payments, type: http_latency, attributes: { distribution: uniform, latency: 150, jitter: 0 } }] }
load:
  target: intake
  rate: 15
  requests: [{ method: POST, path: /orders, body: { orderId: "\${uuid}", customerId: c, items: [{ sku: s, qty: 1 }], amount: 100, currency: EUR } }]
slo:
  - { budget: "p(50) < 100ms", phases: [slow] }
`);
    const { report } = await runScenarioDetailed(s, { outDir: out() });
    // The fault must be visible: the slow phase breaches a budget that the fault makes impossible.
    const slowBudget = report.budgets.find((b) => b.scope === 'slow');
    expect(slowBudget?.status).toBe('fail');
    expect(slowBudget?.measured).toBeGreaterThanOrEqual(150);
    expect(report.verdict).toBe('fail');
    const edge = report.edges.find((e) => e.edge === 'planner->payments');
    expect(edge?.faultsFired.http_latency).toBeGreaterThan(0);
    expect(edge?.traceparentPropagated).toBe(1);
    expect(report.faultWindows).toHaveLength(1);
    // The shaded window sits on its phase, on the same clock as the phases and the timeline (a
    // loose bound: applying and removing toxics takes longer on a busy machine; a clock mix-up is seconds).
    const slowPhase = report.phases.find((p) => p.name === 'slow')!;
    expect(Math.abs(report.faultWindows[0]!.startMs - slowPhase.startMs)).toBeLessThan(1000);
    expect(Math.abs(report.faultWindows[0]!.endMs - slowPhase.endMs)).toBeLessThan(1000);
    // Tail attribution: the slow half of the workflows (the budget is p(50)) spent most of their
    // time on the edge with the fault, not on the outer edges that merely waited for it.
    expect(report.tail?.percentile).toBe(50);
    const top = report.tail?.edges[0];
    expect(top?.edge).toBe('planner->payments');
    expect(top?.share).toBeGreaterThanOrEqual(0.8);
    expect(edge?.slowShare).toBe(top?.share);
    expect(liveProcessGroups()).toEqual([]);
  });
});
