#!/usr/bin/env node
// coordinator: an asynchronous A2A agent. `message/send` (v0.3) / `SendMessage` (v1.0) answers at
// once with a Task in state `submitted`; the work then runs in the background through the planner
// (which reserves stock, charges payments and notifies), moving the task to `working` and then to
// `completed` or `failed`. `tasks/get` / `GetTask` read it back. This is the shape where the entry's
// instant 200 says nothing about the outcome: only following the task tells whether it worked.
//
// The order's id is the task id, and the task id is the Idempotency-Key and messageId of the
// downstream call, so every effect downstream (payments' ledger: orderId = task id) can be joined
// back to the task the client was given.
//
// --mode / COORDINATOR_MODE:
//   correct              a failed downstream call fails the task
//   complete-on-failure  marks the task completed although the downstream call failed (the lie)
import { randomUUID } from 'node:crypto';
import { startAgent } from './lib/server.mjs';
import { RpcError, RPC } from './lib/jsonrpc.mjs';
import { a2aEndpoint, agentCardRoute, getTaskFrom, messageWithData, renderTask, TERMINAL_STATES } from './lib/a2a.mjs';
import { askPlanner } from './lib/planner-client.mjs';
import { argValue, callSettings, envInt, envUrl, usageError } from './lib/config.mjs';
import { orderError } from './lib/order.mjs';
import { logEvent } from './lib/log.mjs';

const NAME = 'coordinator';
const MODES = ['correct', 'complete-on-failure'];
const mode = argValue('--mode') ?? process.env.COORDINATOR_MODE ?? 'correct';
if (!MODES.includes(mode)) usageError(NAME, `unknown mode "${mode}"; valid modes: ${MODES.join(', ')}`);
const PLANNER_URL = envUrl(NAME, 'PLANNER_URL');
const CALL = callSettings(NAME);
const STUCK_TASK_MS = envInt(NAME, 'STUCK_TASK_MS', 30_000, 1);
const WORK_DELAY_MS = envInt(NAME, 'WORK_DELAY_MS', 0, 0);

/** taskId → {id, contextId, state: submitted|working|completed|failed, reason?, receipt?, startedAt, updatedAt} */
let tasks = new Map();
/** messageId → taskId; a failed task is forgotten here, so a resent message starts a new task. */
let byMessageId = new Map();
// Bumped by POST /reset so work that was in flight during a reset updates nothing visible.
let generation = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function move(task, state, fields = {}) {
  Object.assign(task, { state, ...fields, updatedAt: new Date().toISOString() });
}

/** The background part of a task: planner call, then the terminal state. */
async function work(task, messageId, order, trace) {
  const gen = generation;
  if (WORK_DELAY_MS > 0) await sleep(WORK_DELAY_MS);
  if (gen !== generation) return;
  move(task, 'working');
  const answer = await askPlanner(PLANNER_URL, {
    messageId: task.id,
    order,
    trace,
    headers: { 'idempotency-key': task.id },
    agent: NAME,
    call: CALL,
  });
  if (gen !== generation) return;
  if (answer.ok) return move(task, 'completed', { receipt: { taskId: task.id, ...answer.receipt } });
  if (mode === 'complete-on-failure') return move(task, 'completed', { receipt: { taskId: task.id, orderId: order.orderId } });
  logEvent(NAME, 'task-failed', { taskId: task.id, reason: answer.error });
  move(task, 'failed', { reason: answer.error });
  if (byMessageId.get(messageId) === task.id) byMessageId.delete(messageId);
}

function sendMessage(params, ctx, version) {
  const { message, data } = messageWithData(params);
  const render = (task) => (version === '1.0' ? { task: renderTask(task, '1.0') } : renderTask(task, '0.3'));
  const existing = tasks.get(byMessageId.get(message.messageId));
  if (existing) return render(existing);

  if (data.orderId !== undefined) {
    throw new RpcError(RPC.INVALID_PARAMS, 'Invalid params', 'order: orderId is assigned by the coordinator (it is the task id); leave it out');
  }
  const id = randomUUID();
  const order = { ...data, orderId: id };
  const invalid = orderError(order);
  if (invalid) throw new RpcError(RPC.INVALID_PARAMS, 'Invalid params', `order: ${invalid}`);
  const task = {
    id,
    contextId: typeof message.contextId === 'string' ? message.contextId : randomUUID(),
    state: 'submitted',
    startedAt: Date.now(),
    updatedAt: new Date().toISOString(),
  };
  tasks.set(id, task);
  byMessageId.set(message.messageId, id);
  // Rendered now, answered now: the client gets `submitted` and has to follow the task.
  const answer = render(task);
  work(task, message.messageId, order, ctx.trace).catch((err) => {
    logEvent(NAME, 'task-crashed', { taskId: id, error: String(err?.stack ?? err) });
    move(task, 'failed', { reason: `coordinator error: ${err?.message ?? err}` });
  });
  return answer;
}

const methods = {
  SendMessage: (params, ctx) => sendMessage(params, ctx, '1.0'),
  'message/send': (params, ctx) => sendMessage(params, ctx, '0.3'),
  GetTask: (params) => getTaskFrom(tasks, params, '1.0'),
  'tasks/get': (params) => getTaskFrom(tasks, params, '0.3'),
};

function invariants() {
  const counts = { submitted: 0, working: 0, completed: 0, failed: 0 };
  const stuck = [];
  const now = Date.now();
  for (const t of tasks.values()) {
    counts[t.state]++;
    if (!TERMINAL_STATES.has(t.state) && now - t.startedAt > STUCK_TASK_MS) stuck.push(t.id);
  }
  return { ok: stuck.length === 0, details: { tasks: tasks.size, ...counts, stuck } };
}

await startAgent({
  name: NAME,
  routes: [
    { method: 'POST', path: '/a2a', handler: a2aEndpoint(methods) },
    {
      method: 'GET',
      path: '/.well-known/agent-card.json',
      handler: agentCardRoute({
        name: NAME,
        description: 'Takes an order as an A2A task, answers at once (submitted) and fulfils it in the background through the planner.',
        skill: {
          id: 'fulfil-order',
          name: 'Fulfil order',
          description: 'Reserve, charge and notify for one order given as a data part (without orderId: the task id is the order id); poll tasks/get for the outcome.',
          tags: ['orders', 'async'],
        },
      }),
    },
    { method: 'GET', path: '/invariants', handler: (ctx) => ctx.send(200, invariants()) },
    {
      method: 'POST',
      path: '/reset',
      handler: (ctx) => {
        tasks = new Map();
        byMessageId = new Map();
        generation++;
        ctx.send(200, { ok: true });
      },
    },
  ],
});
