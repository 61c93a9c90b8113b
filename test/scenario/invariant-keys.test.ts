/**
 * exactly_once keys with a workflow mix: each workflow's history is keyed from its own first step
 * that carries the key (or from what it extracted), never from another workflow's template.
 * Unit level on MemoryEvidence, then on real agents (a forwarder and the reference payments agent).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExactlyOnce } from '../../src/idempotency/exactly-once.js';
import type { HistoryEvent } from '../../src/load/driver.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { historyKeyFor, type KeyedWorkflow } from '../../src/scenario/stages/invariant-context.js';
import { MemoryEvidence } from '../../src/scenario/stages/evidence.js';
import { forwarder, root } from './agents.js';

const order: KeyedWorkflow = { name: 'order', steps: [{ body: { orderId: 'o-${uuid}', amount: 1 }, extract: {} }] };
const status: KeyedWorkflow = { name: 'status', steps: [{ extract: {} }] };
/** The key is an id the first step's answer gave (`${taskId}`), sent by the second step. */
const booking: KeyedWorkflow = { name: 'booking', steps: [{ body: { note: 'start' }, extract: { taskId: 'result.id' } }, { body: JSON.stringify({ ref: { orderId: '${taskId}' } }), extract: {} }] };

/** One finished workflow: its invoke and its completion. */
function workflow(seq: number, name: string, done: Partial<HistoryEvent> = {}): HistoryEvent[] {
  const uuid = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  const base = { seq, key: uuid, workflowId: uuid, workflow: name, phase: 'p', traceparent: '', tMs: seq };
  return [
    { ...base, type: 'invoke' },
    { ...base, type: 'ok', outcome: 'completed', steps: 1, ...done },
  ];
}

function historyOf(events: HistoryEvent[], workflows: KeyedWorkflow[], keyPath: string) {
  const evidence = new MemoryEvidence();
  for (const e of events) evidence.record(e, 'main');
  return evidence.history(historyKeyFor(workflows, keyPath));
}

describe('exactly_once keys per workflow', () => {
  it('a two-workflow mix keys only the workflow that carries the key, from its own template', () => {
    const events = [...workflow(0, 'order'), ...workflow(1, 'status'), ...workflow(2, 'order'), ...workflow(3, 'status')];
    const history = historyOf(events, [order, status], 'orderId');
    expect(history.filter((e) => e.type === 'invoke').map((e) => e.key)).toEqual(['o-00000000-0000-4000-8000-000000000000', 'o-00000000-0000-4000-8000-000000000002']);
    // The agent booked each order once: a pass; the status checks booked nothing and are not "lost".
    const booked = [{ key: 'o-00000000-0000-4000-8000-000000000000' }, { key: 'o-00000000-0000-4000-8000-000000000002' }];
    expect(checkExactlyOnce(history, booked).status).toBe('passed');
    // It must still catch: an order booked twice, and an order never booked.
    expect(checkExactlyOnce(history, [...booked, booked[0]!]).status).toBe('failed');
    expect(checkExactlyOnce(history, booked.slice(1)).status).toBe('failed');
  });

  it('keys from an extracted value in a later step, and leaves out a workflow that never sent it', () => {
    const events = [
      ...workflow(0, 'booking', { extracted: { taskId: 't-0' }, steps: 2 }),
      // Its first step failed: no taskId, and the second step never started.
      ...workflow(1, 'booking', { type: 'fail', outcome: 'http:500', steps: 1 }),
      ...workflow(2, 'order'),
    ];
    const history = historyOf(events, [booking, order], 'ref.orderId');
    // `ref.orderId` is only in booking's second step; order's body has no `ref`.
    expect(history.filter((e) => e.type === 'invoke').map((e) => e.key)).toEqual(['t-0']);
    expect(checkExactlyOnce(history, [{ key: 't-0' }]).status).toBe('passed');
    expect(checkExactlyOnce(history, []).status).toBe('failed');
  });

  it('when no workflow carries the key in a body, every workflow is keyed by its Idempotency-Key', () => {
    const events = [...workflow(0, 'status'), ...workflow(1, 'status', { key: 'custom-key' })];
    const history = historyOf(events, [status], 'orderId');
    expect(history.filter((e) => e.type === 'invoke').map((e) => e.key)).toEqual(['00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000001']);
  });
});

const scenario = (mode: string) => `
name: mix-keys
seed: 11
agents:
  - { name: front, command: ${forwarder('PAY_URL')}, readiness: { http: /healthz } }
  - { name: payments, cwd: ${root}, command: "node scenarios/team/payments.mjs --mode ${mode}", readiness: { http: /healthz } }
edges: [{ from: front, to: payments, env: PAY_URL }]
phases:
  - name: dup
    duration: 1500ms
    faults: [{ edge: front->payments, type: duplicate, attributes: { copies: 1 }, first: 4 }]
load:
  target: front
  rate: 10
  late_tolerance: 1s
  max_late: 0.5
  workflows:
    - name: status
      steps: [{ path: /healthz }]
    - name: pay
      steps:
        - { method: POST, path: /pay, body: { orderId: "order-\${uuid}", amount: 100, currency: EUR } }
invariants:
  - name: one charge per order
    exactly_once: { effects: { agent: payments, path: /ledger, list: effects }, key: orderId }
`;

describe('exactly_once keys with a workflow mix on real agents', () => {
  const run = async (mode: string) => {
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-mix-keys-'));
    const { report } = await runScenarioDetailed(parseScenarioText(scenario(mode), { baseDir: root }), { outDir });
    return report.invariants.find((i) => i.name === 'one charge per order')!;
  };

  it('passes the deduplicating agent (the key comes from the pay workflow; status workflows are not lost)', async () => {
    const inv = await run('correct');
    expect(inv.finding ?? '').not.toMatch(/lost/);
    expect(inv.status).toBe('pass');
  }, 60_000);

  it('fails the agent that charges every delivery, naming the duplicated orders', async () => {
    const inv = await run('no-dedup');
    expect(inv.status).toBe('fail');
    expect(inv.finding).toMatch(/order-/);
    expect((inv.details as { duplicated: unknown[] }).duplicated.length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
