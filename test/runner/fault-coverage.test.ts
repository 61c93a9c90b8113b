/**
 * Fault coverage: a fault that met no traffic while applied was not tested, so the run cannot be
 * judged (exit 4) rather than pass. Unit cases for every branch of the check, then real runs on the
 * relay agents: a match that names a path the caller never sends, a fault on an edge nobody calls,
 * and the same faults meeting traffic (pass).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { coverageCheck, FAULT_COVERAGE_SUITE } from '../../src/scenario/stages/fault-coverage.js';
import type { ScenarioFault } from '../../src/scenario/types.js';

const RELAY = path.resolve(__dirname, 'fixtures/relay-agent.mjs');

function fault(over: Partial<ScenarioFault>): ScenarioFault {
  return { edge: 'a->b', from: 'a', to: 'b', type: 'latency', name: 'f1', toxicity: 1, attributes: {}, messageLevel: false, ...over };
}

describe('coverageCheck', () => {
  it('a message-level fault with decisions passes; with none it cannot be judged, naming the match when requests crossed', () => {
    const drop = fault({ type: 'drop', messageLevel: true, match: { path: '/charge' } });
    expect(coverageCheck({ fault: drop, phase: 'p', requests: 40, decisions: 12, fired: 3 })).toMatchObject({ status: 'pass', message: 'matched 12 request(s), fired on 3' });
    const missed = coverageCheck({ fault: drop, phase: 'p', requests: 40, decisions: 0, fired: 0 });
    expect(missed.status).toBe('invalid');
    expect(missed.suite).toBe(FAULT_COVERAGE_SUITE);
    expect(missed.name).toBe('drop on a->b in p');
    expect(missed.message).toMatch(/never exercised: 40 request\(s\) crossed the edge while it was on, but none matched \{"path":"\/charge"\}/);
    expect(coverageCheck({ fault: drop, phase: 'p', requests: 0, decisions: 0 }).message).toMatch(/no request crossed the edge/);
    // No journal (a real Toxiproxy): unknown, never a pass.
    expect(coverageCheck({ fault: drop, phase: 'p', requests: 40 }).status).toBe('skipped');
  });

  it('a connection-level fault is judged from the records: none is not judged, or a warning for stream cutters; no records kept is unknown', () => {
    expect(coverageCheck({ fault: fault({}), phase: 'p', requests: 5 }).status).toBe('pass');
    expect(coverageCheck({ fault: fault({}), phase: 'p', requests: 0 }).status).toBe('invalid');
    expect(coverageCheck({ fault: fault({ type: 'timeout' }), phase: 'p', requests: 0 }).status).toBe('warn');
    expect(coverageCheck({ fault: fault({}), phase: 'p' }).status).toBe('skipped');
  });
});

function scenario(faults: string, peer = true): ReturnType<typeof parseScenarioText> {
  return parseScenarioText(`
name: coverage
agents:
  - { name: front, command: node ${JSON.stringify(RELAY)}, readiness: { http: /healthz }${peer ? '' : ', env: { PEER_URL: "" }'} }
  - { name: back, command: node ${JSON.stringify(RELAY)}, readiness: { http: /healthz } }
edges: [{ from: front, to: back, env: ${peer ? 'PEER_URL' : 'UNUSED_URL'} }]
phases:
  - { name: calm, duration: 1s }
  - { name: faulty, duration: 2s, faults: [${faults}] }
load: { target: front, rate: 20, requests: [{ method: GET, path: /work }] }
`, { baseDir: process.cwd() });
}

const out = () => mkdtempSync(path.join(os.tmpdir(), 'agentcheck-coverage-'));
const coverage = (checks: Array<{ suite: string; status: string; message?: string }>) => checks.filter((c) => c.suite === FAULT_COVERAGE_SUITE);

describe('fault coverage in a run', () => {
  it('a match on a path the caller never sends: not judged (exit 4), naming the fault and the match', async () => {
    const { report } = await runScenarioDetailed(scenario('{ edge: front->back, type: http_error, probability: 1, attributes: { status: 503 }, match: { path: /wrok } }'), { outDir: out() });
    expect(report.verdict, report.reasons.join('\n')).toBe('invalid');
    const [c] = coverage(report.checks);
    expect(c).toMatchObject({ status: 'invalid' });
    expect(c!.message).toMatch(/crossed the edge while it was on, but none matched \{"path":"\/wrok"\}/);
    expect(report.reasons.join('\n')).toMatch(/fault coverage http_error on front->back in faulty could not be judged/);
  }, 60_000);

  it('the same fault matching the path the caller sends: exercised (pass)', async () => {
    const { report } = await runScenarioDetailed(scenario('{ edge: front->back, type: http_latency, attributes: { latency: 5 }, match: { path: /work } }'), { outDir: out() });
    const [c] = coverage(report.checks);
    expect(c!.status, c!.message).toBe('pass');
    expect(c!.message).toMatch(/^matched [1-9]\d* request\(s\), fired on [1-9]\d*$/);
    expect(report.reasons.join('\n')).not.toMatch(/fault coverage/);
    expect(report.verdict, report.reasons.join('\n')).not.toBe('fail');
  }, 60_000);

  it('a connection-level fault on an edge the caller never uses: not judged; the same fault on a used edge passes', async () => {
    const unused = await runScenarioDetailed(scenario('{ edge: front->back, type: latency, attributes: { latency: 5 } }', false), { outDir: out() });
    expect(unused.report.verdict, unused.report.reasons.join('\n')).toBe('invalid');
    expect(coverage(unused.report.checks)[0]!.message).toMatch(/no request crossed the edge while it was on/);
    const used = await runScenarioDetailed(scenario('{ edge: front->back, type: latency, attributes: { latency: 5 } }'), { outDir: out() });
    expect(coverage(used.report.checks)[0]).toMatchObject({ status: 'pass' });
    // On a saturated machine the generator may fall behind (invalid for that reason): never for coverage.
    expect(used.report.reasons.join('\n')).not.toMatch(/fault coverage/);
    expect(used.report.verdict, used.report.reasons.join('\n')).not.toBe('fail');
  }, 90_000);
});
