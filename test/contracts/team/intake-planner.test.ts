// intake → planner: the A2A v1.0 SendMessage intake sends for an order (messageId = the client's
// Idempotency-Key) and the completed task it needs. The consumer is the real intake process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatchersV3 } from '../../../src/contracts/consumer.js';
import { a2aArtifact, a2aSendMessage } from '../../../src/contracts/a2a.js';
import { isoTimestamp } from '../../../src/contracts/conventions.js';
import { postJson, sampleOrder, startTeamAgent, stopAllTeamAgents } from '../../team/helpers.js';
import { scratchContract, teamContract, type TeamContract } from './helpers.js';
import { plannerStates } from './states.js';

const { like, integer, eachLike, regex } = MatchersV3;

const order = {
  orderId: like('ord-1'),
  customerId: like('cust-1'),
  items: eachLike({ sku: like('sku-1'), qty: integer(2) }),
  amount: integer(1250),
  currency: regex('^[A-Z]{3}$', 'EUR'),
};

function sendOrder(version: '1.0' | '0.3' = '1.0') {
  return a2aSendMessage({
    version,
    traceparent: true,
    message: { messageId: like('order-key-1'), parts: [{ data: order, mediaType: 'application/json' }] },
    result: {
      task: {
        status: { timestamp: isoTimestamp() },
        artifacts: [a2aArtifact('receipt', { orderId: like('ord-1'), chargeId: like('ch_1'), reservationId: like('res_1') })],
      },
    },
  });
}

let tc: TeamContract;
beforeAll(async () => {
  tc = await teamContract('intake', 'planner');
});
afterAll(async () => {
  await stopAllTeamAgents();
  await tc?.cleanup();
});

async function placeOrder(plannerUrl: string, key: string) {
  const intake = await startTeamAgent('intake', { env: { PLANNER_URL: plannerUrl, CALL_RETRIES: '0' } });
  try {
    return await postJson(`${intake.url}/orders`, sampleOrder('ord-42'), { 'Idempotency-Key': key });
  } finally {
    await intake.stop();
  }
}

describe('intake → planner (A2A v1.0 SendMessage)', () => {
  it('sends the order as a data part with messageId = Idempotency-Key and reads the receipt', async () => {
    const answer = await tc.contract
      .http('an order to plan')
      .given(plannerStates.theTeamCanFulfilOrders())
      .expect(sendOrder())
      .run((mock) => placeOrder(mock.url, 'order-key-42'));
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ orderId: 'ord-42', status: 'completed', chargeId: 'ch_1' });
    await tc.publish();
  });

  it('a contract pinned to A2A v0.3 (message/send) does not match what intake sends', async () => {
    const old = await scratchContract('intake', 'planner');
    try {
      const run = old.contract.http('an order to plan').expect(sendOrder('0.3')).run((mock) => placeOrder(mock.url, 'order-key-43'));
      await expect(run).rejects.toThrow(/message\/send|SendMessage/);
    } finally {
      await old.cleanup();
    }
  });
});
