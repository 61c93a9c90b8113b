// planner → inventory: the MCP session the planner opens (initialize, notifications/initialized)
// and its tools/call reserve_stock. The consumer is the real planner; inventory is Pact's mock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatchersV3 } from '../../../src/contracts/consumer.js';
import { mcpInitialize, mcpInitialized, mcpToolsCall } from '../../../src/contracts/mcp.js';
import { postJson, startTeamAgent, stopAllTeamAgents, type StartedTeamAgent } from '../../team/helpers.js';
import { teamContract, type TeamContract } from './helpers.js';
import { inventoryStates } from './states.js';

const { like, integer, eachLike } = MatchersV3;
const MCP_VERSION = '2025-11-25';

let payments: StartedTeamAgent;
let notifier: StartedTeamAgent;
let tc: TeamContract;

beforeAll(async () => {
  [payments, notifier] = await Promise.all([startTeamAgent('payments'), startTeamAgent('notifier')]);
  tc = await teamContract('planner', 'inventory');
});
afterAll(async () => {
  await stopAllTeamAgents();
  await tc?.cleanup();
});

describe('planner → inventory (MCP tools/call)', () => {
  it('opens an MCP session and reserves the order’s items with reserve_stock', async () => {
    const c = tc.contract;
    const initialize = c.http('MCP initialize').expect(mcpInitialize({ clientName: 'planner', protocolVersion: MCP_VERSION, version: MCP_VERSION }));
    const initialized = c.http('MCP initialized notification').expect(mcpInitialized({ protocolVersion: MCP_VERSION }));
    const reserve = c
      .http('reserve the stock of an order')
      .given(inventoryStates.noReservationExistsForOrder({ orderId: 'ord-1' }))
      .expect(
        mcpToolsCall({
          tool: 'reserve_stock',
          id: 2,
          protocolVersion: MCP_VERSION,
          traceparent: true,
          arguments: { orderId: like('ord-1'), items: eachLike({ sku: like('sku-1'), qty: integer(2) }) },
          structuredContent: { reservationId: like('res_1'), orderId: like('ord-1'), reserved: eachLike({ sku: like('sku-1'), qty: integer(2) }) },
        }),
      );
    const answer = await reserve.run(async (mock) => {
      const planner = await startTeamAgent('planner', {
        env: { INVENTORY_URL: mock.url, PAYMENTS_URL: payments.url, NOTIFIER_URL: notifier.url, CALL_RETRIES: '0' },
      });
      try {
        return await postJson(`${planner.url}/a2a`, {
          jsonrpc: '2.0',
          id: 1,
          method: 'SendMessage',
          params: { message: { messageId: 'm-inv-1', role: 'ROLE_USER', parts: [{ data: { orderId: 'ord-3', items: [{ sku: 'sku-9', qty: 1 }], amount: 500, currency: 'EUR' } }] } },
        }, { 'a2a-version': '1.0' });
      } finally {
        await planner.stop();
      }
    }, [initialize, initialized]);
    expect(answer.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(answer.body.result.task.artifacts[0].parts[0].data.reservationId).toBe('res_1');
    await tc.publish();
  });
});
