// planner → payments: the charge the planner sends (Idempotency-Key charge-<orderId>, traceparent)
// and the answer it relies on. The consumer is the real planner process; payments is Pact's mock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractTestError, MatchersV3 } from '../../../src/contracts/consumer.js';
import { postJson, startTeamAgent, stopAllTeamAgents, type StartedTeamAgent } from '../../team/helpers.js';
import { scratchContract, teamContract, type TeamContract } from './helpers.js';
import { paymentsStates } from './states.js';

const { like, integer, regex } = MatchersV3;

function sendOrder(orderId: string) {
  return {
    jsonrpc: '2.0',
    id: 1,
    method: 'SendMessage',
    params: { message: { messageId: `m-${orderId}`, role: 'ROLE_USER', parts: [{ data: { orderId, items: [{ sku: 'sku-1', qty: 2 }], amount: 1250, currency: 'EUR' } }] } },
  };
}

const chargeRequest = {
  method: 'POST',
  path: '/charges',
  idempotencyKey: { pattern: '^charge-.+$', example: 'charge-ord-1' },
  traceparent: true,
  body: { orderId: like('ord-1'), amount: integer(1250), currency: regex('^[A-Z]{3}$', 'EUR') },
} as const;

let inventory: StartedTeamAgent;
let notifier: StartedTeamAgent;
let tc: TeamContract;

beforeAll(async () => {
  [inventory, notifier] = await Promise.all([startTeamAgent('inventory'), startTeamAgent('notifier')]);
  tc = await teamContract('planner', 'payments');
});
afterAll(async () => {
  await stopAllTeamAgents();
  await tc?.cleanup();
});

/** Runs the real planner against the mock payments and places one order through it. */
async function plannerOrder(paymentsUrl: string, orderId: string) {
  const planner = await startTeamAgent('planner', {
    env: { INVENTORY_URL: inventory.url, PAYMENTS_URL: paymentsUrl, NOTIFIER_URL: notifier.url, CALL_RETRIES: '0' },
  });
  try {
    return await postJson(`${planner.url}/a2a`, sendOrder(orderId), { 'a2a-version': '1.0' });
  } finally {
    await planner.stop();
  }
}

describe('planner → payments (HTTP with Idempotency-Key)', () => {
  it('charges a new order once, keyed charge-<orderId>, and completes with the chargeId', async () => {
    const answer = await tc.contract
      .http('a charge for a new order')
      .given(paymentsStates.noChargeExistsForOrder({ orderId: 'ord-1' }))
      .withRequest(chargeRequest)
      .willRespondWith({
        status: 201,
        body: { chargeId: like('ch_1'), orderId: like('ord-1'), amount: integer(1250), currency: like('EUR'), status: 'captured' },
      })
      .run((mock) => plannerOrder(mock.url, 'ord-7'));
    expect(answer.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(answer.body.result.task.artifacts[0].parts[0].data.chargeId).toBe('ch_1');
    await tc.publish();
  });

  it('a contract the planner no longer keeps (another key format) fails the consumer test', async () => {
    const drifted = await scratchContract('planner', 'payments');
    try {
      const run = drifted.contract
        .http('a charge for a new order')
        .withRequest({ ...chargeRequest, idempotencyKey: { pattern: '^pay-.+$', example: 'pay-ord-1' } })
        .willRespondWith({ status: 201, body: { chargeId: like('ch_1') } })
        .run((mock) => plannerOrder(mock.url, 'ord-8'));
      await expect(run).rejects.toBeInstanceOf(ContractTestError);
      await expect(run).rejects.toThrow(/Idempotency-Key/);
    } finally {
      await drifted.cleanup();
    }
  });
});
