/**
 * Asynchronous message pacts verified against what a provider really published to a NATS broker:
 * `verifyContracts` with the events scenario (scenarios/events.yaml) starts order-events and the
 * broker, taps order-events' nats edge, and the provider state makes it publish an order. The
 * event it publishes passes a pact that matches it, and fails one that expects a field it does not
 * send, naming the path.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentContract, MatchersV3 } from '../../src/contracts/consumer.js';
import { isoTimestamp } from '../../src/contracts/conventions.js';
import { stateHandlers } from '../../src/contracts/states.js';
import { verifyContracts } from '../../src/contracts/verify.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { natsSkipReason } from '../chaos/nats/helpers.js';

process.env.PACT_DO_NOT_TRACK = 'true';
const { like } = MatchersV3;
const skip = natsSkipReason();
const scenarioFile = path.resolve(__dirname, '../../scenarios/events.yaml');

/** Writes a one-interaction message pact ledger ← orders with `content` into a fresh folder. */
async function pactWith(content: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-nats-pact-'));
  const contract = new AgentContract({ consumer: 'ledger', provider: 'orders', dir });
  await contract
    .event('an order.placed event')
    .given('an order was placed', { orderId: 'ord-1' })
    .withContent(content)
    .run(async () => undefined);
  return dir;
}

const handlers = stateHandlers({
  'an order was placed': async (params, ctx) => {
    const res = await fetch(`${ctx.providerUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: (params as { orderId: string }).orderId }) });
    if (res.status !== 201) throw new Error(`orders answered ${res.status}: ${await res.text()}`);
  },
});

describe.skipIf(skip !== null)('message pacts over a NATS broker', { timeout: 180_000 }, () => {
  it('verifies the event the provider published to the broker, and names a field it does not send', async () => {
    const scenario = await loadScenarioFile(scenarioFile);
    const good = await pactWith({ type: 'order.placed', orderId: like('ord-1'), placedAt: isoTimestamp() });
    const bad = await pactWith({ type: 'order.placed', orderId: like('ord-1'), customerId: like('c-1') });
    try {
      const passed = await verifyContracts({ pactsDir: good, scenario, provider: 'orders', stateHandlers: handlers });
      expect(passed.status, JSON.stringify(passed.providers[0], null, 1)).toBe('passed');
      const failed = await verifyContracts({ pactsDir: bad, scenario, provider: 'orders', stateHandlers: handlers });
      expect(failed.status).toBe('failed');
      const mismatches = failed.providers[0]!.pacts[0]!.interactions[0]!.mismatches;
      expect(mismatches.some((m) => m.path === '$.customerId'), JSON.stringify(mismatches)).toBe(true);
    } finally {
      await rm(good, { recursive: true, force: true });
      await rm(bad, { recursive: true, force: true });
    }
  });
});
