// Provider verification of the reference team against the committed pacts: every provider
// (planner, inventory, payments) is started from scenarios/order-fulfilment.yaml as real processes,
// with the agents it calls, and verified by the real Pact verifier.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../../src/scenario/load.js';
import type { Scenario } from '../../../src/scenario/types.js';
import { liveProcessGroups } from '../../../src/scenario/runtimes/process.js';
import { verifyContracts } from '../../../src/contracts/verify.js';
import { renderVerification } from '../../../src/contracts/report.js';
import { stateHandlers } from '../../../src/contracts/states.js';
import { AgentContract, MatchersV3 } from '../../../src/contracts/consumer.js';
import { a2aAgentCard, a2aArtifact, a2aDataPart, a2aSendMessage } from '../../../src/contracts/a2a.js';
import handlers, { plannerStates } from './states.js';
import { TEAM_PACTS_DIR } from './helpers.js';

const { like, integer, eachLike } = MatchersV3;
const SCENARIO = fileURLToPath(new URL('../../../scenarios/order-fulfilment.yaml', import.meta.url));
let scenario: Scenario;

beforeAll(async () => {
  // These tests are about the shape of answers, not their speed: on a busy CI machine the team's
  // 1 s call timeout (3 attempts) can run out before a freshly started callee answers, which would
  // fail an interaction for a reason no contract is about.
  scenario = patient(await loadScenarioFile(SCENARIO));
});

function patient(s: Scenario): Scenario {
  return { ...s, agents: s.agents.map((a) => ({ ...a, env: { CALL_TIMEOUT_MS: '10000', ...a.env } })) };
}

function withPaymentsMode(s: Scenario, mode: string): Scenario {
  return { ...s, agents: s.agents.map((a) => (a.name === 'payments' ? { ...a, command: [...(a.command ?? []), '--mode', mode] } : a)) };
}

describe('the reference team keeps its contracts', () => {
  it('planner, inventory and payments verify against every committed pact (HTTP, MCP, A2A and the event)', async () => {
    const result = await verifyContracts({ pactsDir: TEAM_PACTS_DIR, scenario, stateHandlers: handlers, providerVersion: 'test' });
    const text = renderVerification(result);
    expect(result.status, text).toBe('passed');
    expect(result.providers.map((p) => p.provider)).toEqual(['inventory', 'payments', 'planner']);
    const pairs = result.providers.flatMap((p) => p.pacts.map((x) => `${x.consumer}->${x.provider}:${x.status}`)).sort();
    expect(pairs).toEqual(['intake->planner:passed', 'notifier->planner:passed', 'planner->inventory:passed', 'planner->payments:passed']);
    const event = result.providers.find((p) => p.provider === 'planner')!.pacts.find((p) => p.consumer === 'notifier')!.interactions[0]!;
    expect(event).toMatchObject({ kind: 'message', status: 'passed' });
    for (const p of result.providers) expect(p.startMs).toBeGreaterThan(0);
    expect(liveProcessGroups()).toEqual([]);
  });

  it('payments --mode renamed-field fails with a readable mismatch naming $.chargeId', async () => {
    const result = await verifyContracts({
      pactsDir: TEAM_PACTS_DIR,
      provider: 'payments',
      scenario: withPaymentsMode(scenario, 'renamed-field'),
      stateHandlers: handlers,
      providerVersion: 'renamed',
    });
    expect(result.status).toBe('failed');
    const interaction = result.providers[0]!.pacts[0]!.interactions[0]!;
    expect(interaction.description).toBe('a charge for a new order');
    expect(interaction.mismatches).toContainEqual(
      expect.objectContaining({ kind: 'body', path: '$.chargeId', actual: '(missing)', matcher: 'type' }),
    );
    const text = renderVerification(result);
    expect(text).toContain("planner → payments: 1 of 1 interaction(s) failed");
    expect(text).toContain("interaction 'a charge for a new order' (given no charge exists for order {\"orderId\":\"ord-1\"})");
    expect(text).toMatch(/\$\.chargeId: expected "ch_1" \(matcher: type\), got \(missing\)/);
    expect(text).toMatch(/hint: the provider sends 'charge_id' instead: was 'chargeId' renamed\?/);
    // A failed provider's own output is shown under it, so the reason for its answer is at hand.
    expect(text).toMatch(/ {2}payments printed \(last \d+ line\(s\)\):\n {4}\| .*listening on http:\/\/127\.0\.0\.1:\d+/);
  });

  it('a missing provider-state handler fails the planner with the state’s name', async () => {
    const onlyOne = stateHandlers({ 'the team can fulfil orders': () => undefined });
    const result = await verifyContracts({ pactsDir: TEAM_PACTS_DIR, provider: 'planner', scenario, stateHandlers: { planner: onlyOne }, messageTimeoutMs: 500 });
    expect(result.status).toBe('failed');
    const pv = result.providers[0]!;
    expect(pv.missingStates.map((s) => s.state)).toEqual(['an order was completed']);
    const event = pv.pacts.find((p) => p.consumer === 'notifier')!.interactions[0]!;
    expect(event.status).toBe('failed');
    expect(event.mismatches.map((m) => m.message).join('\n')).toMatch(/no provider-state handler for state 'an order was completed'/);
    expect(renderVerification(result)).toContain("missing provider-state handler for 'an order was completed', needed by notifier: an order.completed event");
  });

  it('A2A v0.3 message/send and the agent card, written with the builders, verify against the real planner', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-a2a-'));
    try {
      const c = new AgentContract({ consumer: 'legacy-client', provider: 'planner', dir });
      const card = c.http('the planner agent card').expect(a2aAgentCard({ name: 'planner', skills: ['plan-order'], capabilities: { streaming: false } }));
      const order = { orderId: like('ord-v03'), items: eachLike({ sku: like('sku-1'), qty: integer(1) }), amount: integer(990), currency: 'EUR' };
      const send = c
        .http('an order over A2A v0.3')
        .given(plannerStates.theTeamCanFulfilOrders())
        .expect(a2aSendMessage({ version: '0.3', message: { messageId: like('v03-1'), parts: [a2aDataPart(order, '0.3')] }, result: { task: { artifacts: [a2aArtifact('receipt', { chargeId: like('ch_1') }, '0.3')] } } }));
      await send.run(async (mock) => {
        await fetch(`${mock.url}/.well-known/agent-card.json`);
        await fetch(`${mock.url}/a2a`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { message: { messageId: 'v03-1', role: 'user', kind: 'message', parts: [{ kind: 'data', data: { orderId: 'ord-v03', items: [{ sku: 's', qty: 1 }], amount: 990, currency: 'EUR' } }] } } }),
        });
      }, [card]);
      const result = await verifyContracts({ pactsDir: dir, scenario, stateHandlers: handlers });
      expect(result.status, renderVerification(result)).toBe('passed');
      expect(result.providers[0]!.pacts[0]!.interactions.map((i) => i.status)).toEqual(['passed', 'passed']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a provider that cannot start is an environment failure with its output', async () => {
    const broken = { ...scenario, agents: scenario.agents.map((a) => (a.name === 'inventory' ? { ...a, command: ['node', '-e', 'process.exit(3)'] } : a)) };
    const result = await verifyContracts({ pactsDir: TEAM_PACTS_DIR, provider: 'inventory', scenario: broken, stateHandlers: handlers });
    expect(result.status).toBe('error');
    expect(result.providers[0]!.error).toMatch(/provider 'inventory' could not be started: agent 'inventory' exited with 3/);
    expect(liveProcessGroups()).toEqual([]);
  });
});
