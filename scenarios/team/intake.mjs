#!/usr/bin/env node
// intake: the entry agent. Takes an order over plain HTTP with an Idempotency-Key and asks the
// planner (A2A SendMessage, messageId = the key) to fulfil it. A repeated key replays the stored
// answer, so a client retry never becomes a second order.
import { startAgent } from './lib/server.mjs';
import { callJson } from './lib/call.mjs';
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
let rpcIds = 0;

/** Ask the planner for one order; resolves the HTTP answer intake gives its client. */
async function fulfil(key, order, ctx) {
  const record = { ...order, status: 'pending' };
  orders.set(order.orderId, record);
  const fail = (error) => {
    Object.assign(record, { status: 'failed', error });
    return { status: 502, body: { error } };
  };
  let answer;
  try {
    answer = await callJson(`${PLANNER_URL}/a2a`, {
      payload: {
        jsonrpc: '2.0',
        id: ++rpcIds,
        method: 'SendMessage',
        params: { message: { messageId: key, role: 'ROLE_USER', parts: [{ data: order, mediaType: 'application/json' }] } },
      },
      headers: { 'a2a-version': '1.0' },
      traceparent: ctx.trace.child,
      agent: NAME,
      ...CALL,
    });
  } catch (err) {
    return fail(`planner unreachable: ${err.message}`);
  }
  const rpc = answer.json;
  if (answer.status !== 200 || !rpc) return fail(`planner answered HTTP ${answer.status}`);
  if (rpc.error) return fail(`planner rejected the order: ${rpc.error.code} ${rpc.error.message}${rpc.error.data ? `: ${JSON.stringify(rpc.error.data)}` : ''}`);
  const task = rpc.result?.task;
  const state = task?.status?.state;
  if (state !== 'TASK_STATE_COMPLETED') {
    const reason = task?.status?.message?.parts?.[0]?.text ?? `task state ${state ?? 'missing'}`;
    return fail(`planner failed the order: ${reason}`);
  }
  const chargeId = task.artifacts?.[0]?.parts?.[0]?.data?.chargeId;
  if (typeof chargeId !== 'string') return fail('planner receipt has no chargeId');
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
