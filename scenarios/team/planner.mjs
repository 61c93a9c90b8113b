#!/usr/bin/env node
// planner: an A2A agent (JSON-RPC 2.0; v1.0 SendMessage and v0.3 message/send) that turns one
// order into three calls: MCP reserve_stock on inventory, POST /charges on payments, and an
// order.completed event to notifier. Every call is retried with the same key, so a lost response
// becomes a duplicate delivery downstream: the de-duplication there is what keeps one charge.
import { randomUUID } from 'node:crypto';
import { startAgent } from './lib/server.mjs';
import { RpcError, RPC } from './lib/jsonrpc.mjs';
import { a2aEndpoint, agentCardRoute, getTaskFrom, messageWithData, renderTask } from './lib/a2a.mjs';
import { callJson } from './lib/call.mjs';
import { callSettings, envInt, envUrl } from './lib/config.mjs';
import { orderError } from './lib/order.mjs';
import { logEvent } from './lib/log.mjs';

const NAME = 'planner';
const INVENTORY_URL = envUrl(NAME, 'INVENTORY_URL');
const PAYMENTS_URL = envUrl(NAME, 'PAYMENTS_URL');
const NOTIFIER_URL = envUrl(NAME, 'NOTIFIER_URL');
const CALL = callSettings(NAME);
const STUCK_TASK_MS = envInt(NAME, 'STUCK_TASK_MS', 30_000, 1);
const MCP_PROTOCOL_VERSION = '2025-11-25';

/** taskId → {id, contextId, state: 'working'|'completed'|'failed', reason?, receipt?, version, startedAt, updatedAt} */
const tasks = new Map();
/** messageId → Promise<task record>; completed ones stay (replay), failed ones are dropped (retry re-runs). */
const byMessageId = new Map();

class StepError extends Error {}

// ---- outgoing calls ----------------------------------------------------------------------

let mcpSession; // Promise<{sessionId?}> for the current MCP session, reset when it fails
let rpcIds = 0;

async function mcpRequest(method, params, trace, sessionId) {
  const headers = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': MCP_PROTOCOL_VERSION };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  const payload = { jsonrpc: '2.0', method, params };
  if (!method.startsWith('notifications/')) payload.id = ++rpcIds;
  return callJson(`${INVENTORY_URL}/mcp`, { payload, headers, traceparent: trace.child, agent: NAME, ...CALL });
}

function ensureMcpSession(trace) {
  mcpSession ??= (async () => {
    const init = await mcpRequest('initialize', {
      protocolVersion: MCP_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: NAME, version: '1.0.0' },
    }, trace);
    if (init.status !== 200 || !init.json?.result) throw new StepError(`inventory: initialize answered ${init.status} ${init.text.slice(0, 200)}`);
    const sessionId = init.headers['mcp-session-id'];
    await mcpRequest('notifications/initialized', {}, trace, sessionId);
    return { sessionId };
  })();
  return mcpSession.catch((err) => {
    mcpSession = undefined;
    throw err;
  });
}

async function reserveStock(order, trace) {
  const { sessionId } = await ensureMcpSession(trace);
  const answer = await mcpRequest('tools/call', {
    name: 'reserve_stock',
    arguments: { orderId: order.orderId, items: order.items },
  }, trace, sessionId);
  const rpc = answer.json;
  if (answer.status !== 200 || !rpc) throw new StepError(`inventory: tools/call answered HTTP ${answer.status}`);
  if (rpc.error) throw new StepError(`inventory: reserve_stock error ${rpc.error.code}: ${rpc.error.message}`);
  const result = rpc.result;
  if (result?.isError) throw new StepError(`inventory: reserve_stock failed: ${result.content?.[0]?.text ?? 'no detail'}`);
  const reservationId = result?.structuredContent?.reservationId;
  if (typeof reservationId !== 'string') throw new StepError('inventory: reserve_stock result has no structuredContent.reservationId');
  return reservationId;
}

async function charge(order, trace) {
  const answer = await callJson(`${PAYMENTS_URL}/charges`, {
    payload: { orderId: order.orderId, amount: order.amount, currency: order.currency },
    headers: { 'idempotency-key': `charge-${order.orderId}` },
    traceparent: trace.child,
    agent: NAME,
    ...CALL,
  });
  if (answer.status !== 201 && answer.status !== 200) {
    throw new StepError(`payments: POST /charges answered ${answer.status} ${answer.json?.error ?? answer.text.slice(0, 200)}`);
  }
  const chargeId = answer.json?.chargeId;
  if (typeof chargeId !== 'string') throw new StepError('payments: POST /charges answer has no string chargeId');
  return chargeId;
}

async function notify(order, chargeId, trace) {
  const answer = await callJson(`${NOTIFIER_URL}/events`, {
    payload: {
      eventId: `order-completed-${order.orderId}`,
      type: 'order.completed',
      orderId: order.orderId,
      chargeId,
      occurredAt: new Date().toISOString(),
    },
    traceparent: trace.child,
    agent: NAME,
    ...CALL,
  });
  if (answer.status !== 202) throw new StepError(`notifier: POST /events answered ${answer.status} ${answer.text.slice(0, 200)}`);
}

// Name the callee in a transport failure's reason ("payments: … timed out after 1000 ms").
async function step(callee, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err?.name === 'CallError') throw new StepError(`${callee}: ${err.message} (${err.attempts} attempts)`);
    throw err;
  }
}

async function runOrder(task, order, trace) {
  try {
    const reservationId = await step('inventory', () => reserveStock(order, trace));
    const chargeId = await step('payments', () => charge(order, trace));
    await step('notifier', () => notify(order, chargeId, trace));
    Object.assign(task, { state: 'completed', receipt: { orderId: order.orderId, chargeId, reservationId } });
  } catch (err) {
    if (!(err instanceof StepError)) throw err;
    logEvent(NAME, 'task-failed', { taskId: task.id, orderId: order.orderId, reason: err.message });
    Object.assign(task, { state: 'failed', reason: err.message });
  }
  task.updatedAt = new Date().toISOString();
  return task;
}

// ---- A2A surface -------------------------------------------------------------------------

/** The message and the validated order in its data part. */
function orderFromMessage(params) {
  const { message, data } = messageWithData(params);
  const invalid = orderError(data);
  if (invalid) throw new RpcError(RPC.INVALID_PARAMS, 'Invalid params', `order: ${invalid}`);
  return { message, order: data };
}

async function sendMessage(params, ctx, version) {
  const { message, order } = orderFromMessage(params);
  let pending = byMessageId.get(message.messageId);
  if (!pending) {
    const now = new Date().toISOString();
    const task = {
      id: randomUUID(),
      contextId: typeof message.contextId === 'string' ? message.contextId : randomUUID(),
      state: 'working',
      startedAt: Date.now(),
      updatedAt: now,
    };
    tasks.set(task.id, task);
    pending = runOrder(task, order, ctx.trace);
    byMessageId.set(message.messageId, pending);
    pending.then((t) => {
      if (t.state === 'failed') byMessageId.delete(message.messageId);
    }, () => byMessageId.delete(message.messageId));
  }
  const task = await pending;
  return version === '1.0' ? { task: renderTask(task, '1.0') } : renderTask(task, '0.3');
}

const methods = {
  SendMessage: (params, ctx) => sendMessage(params, ctx, '1.0'),
  'message/send': (params, ctx) => sendMessage(params, ctx, '0.3'),
  GetTask: (params) => getTaskFrom(tasks, params, '1.0'),
  'tasks/get': (params) => getTaskFrom(tasks, params, '0.3'),
};

const agentCard = agentCardRoute({
  name: NAME,
  description: 'Plans an order: reserves stock (MCP), charges it once (Idempotency-Key) and announces it.',
  skill: {
    id: 'plan-order',
    name: 'Plan order',
    description: 'Reserve stock, charge payment and notify for one order given as a data part.',
    tags: ['orders', 'payments', 'inventory'],
  },
});

function invariants() {
  let working = 0, completed = 0, failed = 0;
  const stuck = [];
  const now = Date.now();
  for (const t of tasks.values()) {
    if (t.state === 'working') {
      working++;
      if (now - t.startedAt > STUCK_TASK_MS) stuck.push(t.id);
    } else if (t.state === 'completed') completed++;
    else failed++;
  }
  return { ok: stuck.length === 0, details: { tasks: tasks.size, working, completed, failed, stuck } };
}

await startAgent({
  name: NAME,
  routes: [
    { method: 'POST', path: '/a2a', handler: a2aEndpoint(methods) },
    { method: 'GET', path: '/.well-known/agent-card.json', handler: agentCard },
    { method: 'GET', path: '/invariants', handler: (ctx) => ctx.send(200, invariants()) },
    {
      method: 'POST',
      path: '/reset',
      handler: (ctx) => {
        tasks.clear();
        byMessageId.clear();
        ctx.send(200, { ok: true });
      },
    },
  ],
});
