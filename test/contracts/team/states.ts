/**
 * The reference team's provider states, declared once: the consumer tests reference them
 * (`.given(plannerStates.anOrderWasCompleted({ orderId }))`) and the provider handlers below
 * implement them, so a missing handler or a wrong parameter does not compile. The default export
 * is what `agentcheck contracts verify --state-handlers test/contracts/team/states.ts` loads.
 */
import { defineProviderStates, type StateContext } from '../../../src/contracts/states.js';

/** The planner's states (provider of intake's A2A calls and of the order.completed event). */
export const plannerStates = defineProviderStates({
  'the team can fulfil orders': {},
  'an order was completed': { orderId: 'string' },
});

/** The inventory's states (provider of the planner's MCP calls). */
export const inventoryStates = defineProviderStates({
  'no reservation exists for order': { orderId: 'string' },
});

/** The payments agent's states (provider of the planner's charges). */
export const paymentsStates = defineProviderStates({
  'no charge exists for order': { orderId: 'string' },
});

async function expectOk(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} answered ${res.status} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function allHealthy(ctx: StateContext): Promise<void> {
  await Promise.all(
    Object.entries(ctx.agents).map(async ([name, url]) => expectOk(await fetch(`${url}/healthz`), `${name} GET /healthz`)),
  );
}

/** Makes the planner complete an order (so it emits order.completed), through its own A2A endpoint. */
async function completeOrder(orderId: string, ctx: StateContext): Promise<void> {
  const answer = (await expectOk(
    await fetch(`${ctx.providerUrl}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: {
          message: {
            messageId: `state-${orderId}-${Date.now()}`,
            role: 'ROLE_USER',
            parts: [{ data: { orderId, customerId: 'cust-1', items: [{ sku: 'sku-1', qty: 1 }], amount: 1250, currency: 'EUR' } }],
          },
        },
      }),
    }),
    'planner SendMessage',
  )) as { result?: { task?: { status?: { state?: string } } } };
  const state = answer.result?.task?.status?.state;
  if (state !== 'TASK_STATE_COMPLETED') throw new Error(`the planner did not complete order ${orderId}: task state ${state ?? 'missing'}`);
}

async function reset(ctx: StateContext): Promise<void> {
  await expectOk(await fetch(`${ctx.providerUrl}/reset`, { method: 'POST' }), `${ctx.provider} POST /reset`);
}

/** Handlers by provider name. */
export default {
  planner: plannerStates.handlers({
    'the team can fulfil orders': (_params, ctx) => allHealthy(ctx),
    'an order was completed': ({ orderId }, ctx) => completeOrder(orderId, ctx),
  }),
  inventory: inventoryStates.handlers({
    'no reservation exists for order': (_params, ctx) => reset(ctx),
  }),
  payments: paymentsStates.handlers({
    'no charge exists for order': (_params, ctx) => reset(ctx),
  }),
};
