#!/usr/bin/env node
// intake: the entry agent. Takes an order over plain HTTP with an Idempotency-Key and asks the
// planner (A2A SendMessage, messageId = the key) to fulfil it. A repeated key replays the stored
// answer, so a client retry never becomes a second order.
import { startAgent } from './lib/server.mjs';
import { askPlanner } from './lib/planner-client.mjs';
import { callSettings, envUrl } from './lib/config.mjs';
import { canonicalJson } from './lib/canonical.mjs';
import { orderError } from './lib/order.mjs';

const NAME = 'intake';
const PLANNER_URL = envUrl(NAME, 'PLANNER_URL');
const CALL = callSettings(NAME);

/** Idempotency-Key → {fingerprint, promise: Promise<{status, body}>, done} */
let keys = new Map();
/** orderId → {orderId, customerId, items, amount, currency, status: pending|completed|failed, chargeId?, error?} */
let orders = new Map();

/** Ask the planner for one order; resolves the HTTP answer intake gives its client. */
async function fulfil(key, order, ctx) {
  const record = { ...order, status: 'pending' };
  orders.set(order.orderId, record);
  const answer = await askPlanner(PLANNER_URL, { messageId: key, order, trace: ctx.trace, agent: NAME, call: CALL });
  if (!answer.ok) {
    Object.assign(record, { status: 'failed', error: answer.error });
    return { status: 502, body: { error: answer.error } };
  }
  const { chargeId } = answer.receipt;
  Object.assign(record, { status: 'completed', chargeId });
  return { status: 201, body: { orderId: order.orderId, status: 'completed', chargeId } };
}

async function postOrder(ctx) {
  const key = ctx.req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') return ctx.send(400, { error: 'missing Idempotency-Key' });
  const parsed = await ctx.json();
  if (!parsed) return;
  const order = parsed.value;
  const invalid = orderError(order, { requireCustomer: true });
  if (invalid) return ctx.send(400, { error: invalid });

  const fingerprint = canonicalJson(order);
  const existing = keys.get(key);
  if (existing) {
    if (existing.fingerprint !== fingerprint) return ctx.send(422, { error: 'Idempotency-Key reused with a different payload' });
    // A duplicate of an order still in flight waits for the same outcome instead of starting another.
    const { status, body } = await existing.promise;
    return ctx.send(status, body, { 'idempotent-replayed': 'true' });
  }
  const entry = { fingerprint, promise: fulfil(key, order, ctx) };
  keys.set(key, entry);
  const { status, body } = await entry.promise;
  // A failure is not remembered: the client's retry with the same key gets a fresh attempt.
  if (status >= 500 && keys.get(key) === entry) keys.delete(key);
  ctx.send(status, body);
}

function getOrder(ctx) {
  const order = orders.get(ctx.params[0]);
  if (!order) return ctx.send(404, { error: `no order ${ctx.params[0]}` });
  ctx.send(200, order);
}

function invariants() {
  let pending = 0, completed = 0, failed = 0;
  const completedWithoutCharge = [];
  for (const o of orders.values()) {
    if (o.status === 'pending') pending++;
    else if (o.status === 'failed') failed++;
    else {
      completed++;
      if (typeof o.chargeId !== 'string') completedWithoutCharge.push(o.orderId);
    }
  }
  return { ok: completedWithoutCharge.length === 0, details: { orders: orders.size, pending, completed, failed, completedWithoutCharge } };
}

await startAgent({
  name: NAME,
  routes: [
    { method: 'POST', path: '/orders', handler: postOrder },
    { method: 'GET', path: /^\/orders\/([^/]+)$/, handler: getOrder },
    { method: 'GET', path: '/invariants', handler: (ctx) => ctx.send(200, invariants()) },
    {
      method: 'POST',
      path: '/reset',
      handler: (ctx) => {
        keys = new Map();
        orders = new Map();
        ctx.send(200, { ok: true });
      },
    },
  ],
});
