import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  getJson,
  postJson,
  startFaultProxy,
  startTeam,
  startTeamAgent,
  stopAllTeamAgents,
  waitFor,
  type CoordinatorMode,
  type FaultProxy,
  type StartedTeam,
  type StartTeamOptions,
} from './helpers.js';

// The coordinator: the async A2A path (submitted at once, completed or failed later through the
// planner → inventory / payments / notifier), on real agent processes with a real proxy on the
// coordinator → planner edge (to see what the coordinator sends) and on planner → payments (to
// make payments answer 503).

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const order = { customerId: 'c-1', items: [{ sku: 'sku-1', qty: 1 }], amount: 700, currency: 'EUR' };

interface AsyncTeam {
  team: StartedTeam;
  /** On coordinator → planner (and intake → planner): records every request, never faults. */
  toPlanner: FaultProxy;
  /** On planner → payments: disarmed, armed per test to answer 503. */
  toPayments: FaultProxy;
  a2a(body: unknown, headers?: Record<string, string>): ReturnType<typeof postJson>;
  send(messageId: string, method?: string, data?: unknown, headers?: Record<string, string>): ReturnType<typeof postJson>;
  /** tasks/get (v0.3) until the task is terminal; the task. */
  settled(taskId: string): Promise<any>;
  stop(): Promise<void>;
}

async function startAsyncTeam(mode: CoordinatorMode, env: StartTeamOptions['env'] = {}): Promise<AsyncTeam> {
  let toPlanner!: FaultProxy;
  let toPayments!: FaultProxy;
  const team = await startTeam({
    coordinator: { mode },
    env: { ...env, planner: { CALL_BACKOFF_MS: '1', ...env.planner } },
    via: {
      planner: async (url) => (toPlanner = await startFaultProxy(url, { fault: 'duplicate', times: 0 })).url,
      payments: async (url) => (toPayments = await startFaultProxy(url, { fault: 'http_error', times: 0, status: 503 })).url,
    },
  });
  const a2a = (body: unknown, headers: Record<string, string> = {}) => postJson(`${team.coordinator!.url}/a2a`, body, headers);
  const send = (messageId: string, method = 'message/send', data: unknown = order, headers: Record<string, string> = {}) => {
    const part = method === 'message/send' ? { kind: 'data', data } : { data };
    const role = method === 'message/send' ? 'user' : 'ROLE_USER';
    return a2a({ jsonrpc: '2.0', id: messageId, method, params: { message: { messageId, role, parts: [part] } } }, headers);
  };
  const settled = (taskId: string) =>
    waitFor(async () => {
      const r = await a2a({ jsonrpc: '2.0', id: 'poll', method: 'tasks/get', params: { id: taskId } });
      const state = r.body.result?.status?.state;
      return state === 'completed' || state === 'failed' ? r.body.result : undefined;
    }, 8000, `task ${taskId} to end`);
  const stop = async () => {
    await team.stop();
    await Promise.all([toPlanner.close(), toPayments.close()]);
  };
  return { team, toPlanner, toPayments, a2a, send, settled, stop };
}

afterAll(stopAllTeamAgents);

describe('coordinator (correct)', () => {
  let t: AsyncTeam;
  beforeAll(async () => {
    t = await startAsyncTeam('correct');
  });
  afterAll(async () => t?.stop());
  beforeEach(() => t.toPayments.arm(0));

  it('answers message/send at once with a submitted task, and tasks/get later shows it completed', async () => {
    const sent = await t.send('m-1', 'message/send', order, { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ jsonrpc: '2.0', id: 'm-1', result: { kind: 'task', id: expect.any(String), status: { state: 'submitted' } } });
    const taskId: string = sent.body.result.id;
    const done = await t.settled(taskId);
    expect(done.status.state).toBe('completed');
    expect(done.artifacts[0].parts[0]).toEqual({
      kind: 'data',
      data: { taskId, orderId: taskId, chargeId: expect.stringMatching(/^ch_/), reservationId: expect.stringMatching(/^res_/) },
    });

    // The downstream call: the task id is its Idempotency-Key and messageId, in the caller's trace.
    const call = t.toPlanner.requests.find((r) => r.headers['idempotency-key'] === taskId);
    expect(call).toBeDefined();
    expect(JSON.parse(call!.body).params.message.messageId).toBe(taskId);
    expect(call!.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(call!.headers.traceparent).not.toContain('00f067aa0ba902b7');
    // The effect downstream joins back on the task id.
    const effects = (await getJson(`${t.team.payments.url}/ledger`)).body.effects.filter((e: any) => e.orderId === taskId);
    expect(effects).toEqual([{ key: `charge-${taskId}`, orderId: taskId, amount: 700, currency: 'EUR', chargeId: done.artifacts[0].parts[0].data.chargeId }]);
    const paymentsLine = await waitFor(
      () => t.team.payments.requests().find((l) => l.path === '/charges' && l.traceparent.split('-')[1] === TRACE_ID),
      3000,
      'payments log line in the trace',
    );
    expect(paymentsLine.status).toBe(201);
  });

  it('answers SendMessage (v1.0) with TASK_STATE_SUBMITTED and GetTask in v1.0 spelling', async () => {
    const sent = await t.send('m-v1', 'SendMessage');
    expect(sent.body.result.task).toMatchObject({ id: expect.any(String), contextId: expect.any(String), status: { state: 'TASK_STATE_SUBMITTED' } });
    expect(sent.body.result.task.kind).toBeUndefined();
    const taskId: string = sent.body.result.task.id;
    await t.settled(taskId);
    const got = await t.a2a({ jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: taskId } });
    expect(got.body.result).toMatchObject({ id: taskId, status: { state: 'TASK_STATE_COMPLETED' } });
    expect(got.body.result.artifacts[0].parts[0]).toEqual({ data: expect.objectContaining({ orderId: taskId }) });
  });

  it('moves through working: a task read while the planner is slow is working, not terminal', async () => {
    // A slow payments (600 ms per charge) keeps the task in `working` long enough to be read.
    const slow = await startAsyncTeam('correct', { payments: { PAYMENTS_DELAY_MS: '600' } });
    try {
      const sent = await slow.send('m-slow');
      const taskId: string = sent.body.result.id;
      const seen = await waitFor(async () => {
        const r = await slow.a2a({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: taskId } });
        return r.body.result.status.state === 'working' ? r.body.result : undefined;
      }, 5000, 'state working');
      expect(seen.status.state).toBe('working');
      expect((await slow.settled(taskId)).status.state).toBe('completed');
    } finally {
      await slow.stop();
    }
  });

  it('returns the same task for a repeated messageId and charges once', async () => {
    const [a, b] = await Promise.all([t.send('m-dup'), t.send('m-dup')]);
    expect(b.body.result.id).toBe(a.body.result.id);
    const taskId: string = a.body.result.id;
    await t.settled(taskId);
    expect((await t.send('m-dup')).body.result).toMatchObject({ id: taskId, status: { state: 'completed' } });
    const effects = (await getJson(`${t.team.payments.url}/ledger`)).body.effects.filter((e: any) => e.orderId === taskId);
    expect(effects).toHaveLength(1);
  });

  it('fails the task when payments answers 503 to every retry, while message/send still answered 200 submitted', async () => {
    t.toPayments.arm(Infinity);
    const sent = await t.send('m-503');
    expect(sent.status).toBe(200);
    expect(sent.body.result.status.state).toBe('submitted');
    const taskId: string = sent.body.result.id;
    const done = await t.settled(taskId);
    expect(done.status.state).toBe('failed');
    expect(done.status.message.parts[0].text).toBe('planner failed the order: payments: POST /charges answered 503 injected 503');
    expect(done.artifacts).toBeUndefined();
    // The planner retried (CALL_RETRIES=2): three deliveries, all answered by the proxy.
    const charges = t.toPayments.requests.filter((r) => r.path === '/charges' && JSON.parse(r.body).orderId === taskId);
    expect(charges.map((r) => r.action)).toEqual(['http_error', 'http_error', 'http_error']);
    const effects = (await getJson(`${t.team.payments.url}/ledger`)).body.effects.filter((e: any) => e.orderId === taskId);
    expect(effects).toEqual([]);
    expect(t.team.coordinator!.stderr.some((l) => l.includes('"task-failed"') && l.includes(taskId))).toBe(true);
    // A resent message after the failure is a new attempt (a new task), which now succeeds.
    t.toPayments.arm(0);
    const again = await t.send('m-503');
    expect(again.body.result.id).not.toBe(taskId);
    expect((await t.settled(again.body.result.id)).status.state).toBe('completed');
  });

  it('counts tasks by state in /invariants', async () => {
    const { body } = await getJson(`${t.team.coordinator!.url}/invariants`);
    expect(body.ok).toBe(true);
    expect(body.details).toMatchObject({ submitted: 0, working: 0, stuck: [] });
    expect(body.details.completed).toBeGreaterThanOrEqual(4);
    expect(body.details.failed).toBeGreaterThanOrEqual(1);
    expect(body.details.tasks).toBe(body.details.completed + body.details.failed);
  });

  it.each([
    ['no data part', { message: { messageId: 'x1', role: 'user', parts: [{ kind: 'text', text: 'hi' }] } }, -32602, /data part/],
    ['an orderId of its own', { message: { messageId: 'x2', role: 'user', parts: [{ kind: 'data', data: { ...order, orderId: 'o-1' } }] } }, -32602, /orderId is assigned/],
    ['an invalid order', { message: { messageId: 'x3', role: 'user', parts: [{ kind: 'data', data: { ...order, amount: 0 } }] } }, -32602, /amount/],
    ['no messageId', { message: { role: 'user', parts: [{ kind: 'data', data: order }] } }, -32602, /messageId/],
  ])('rejects a message with %s (%i)', async (_what, params, code, data) => {
    const { status, body } = await t.a2a({ jsonrpc: '2.0', id: 5, method: 'message/send', params });
    expect(status).toBe(200);
    expect(body.error.code).toBe(code);
    expect(body.error.data).toMatch(data);
  });

  it('answers an unknown task with -32001 and an unsupported A2A-Version with -32009', async () => {
    const unknown = await t.a2a({ jsonrpc: '2.0', id: 6, method: 'tasks/get', params: { id: 'nope' } });
    expect(unknown.body.error.code).toBe(-32001);
    const version = await t.a2a({ jsonrpc: '2.0', id: 7, method: 'tasks/get', params: { id: 'nope' } }, { 'a2a-version': '2.0' });
    expect(version.body.error.code).toBe(-32009);
  });

  it('serves an agent card naming its skill', async () => {
    const { body } = await getJson(`${t.team.coordinator!.url}/.well-known/agent-card.json`);
    expect(body).toMatchObject({ name: 'coordinator', skills: [{ id: 'fulfil-order' }] });
  });
});

describe('coordinator --mode complete-on-failure (the lie)', () => {
  let t: AsyncTeam;
  beforeAll(async () => {
    t = await startAsyncTeam('complete-on-failure');
  });
  afterAll(async () => t?.stop());

  it('marks the task completed although payments refused every charge: no effect behind it', async () => {
    t.toPayments.arm(Infinity);
    const sent = await t.send('lie-1');
    const taskId: string = sent.body.result.id;
    const done = await t.settled(taskId);
    expect(done.status.state).toBe('completed');
    const effects = (await getJson(`${t.team.payments.url}/ledger`)).body.effects.filter((e: any) => e.orderId === taskId);
    expect(effects).toEqual([]);
  });

  it('behaves like the correct one when nothing fails', async () => {
    t.toPayments.arm(0);
    const taskId: string = (await t.send('lie-2')).body.result.id;
    expect((await t.settled(taskId)).artifacts[0].parts[0].data.chargeId).toMatch(/^ch_/);
  });
});

describe('coordinator configuration', () => {
  it('exits 2 naming the valid modes for an unknown --mode', async () => {
    await expect(startTeamAgent('coordinator', { env: { PLANNER_URL: 'http://127.0.0.1:9' }, args: ['--mode', 'optimistic'] })).rejects.toThrow(
      /exited with 2[\s\S]*unknown mode "optimistic"; valid modes: correct, complete-on-failure/,
    );
  });

  it('exits 2 without PLANNER_URL', async () => {
    await expect(startTeamAgent('coordinator', { env: { PLANNER_URL: '' } })).rejects.toThrow(/exited with 2[\s\S]*PLANNER_URL is required/);
  });

  it('fails the task, not the server, when the planner is unreachable', async () => {
    const c = await startTeamAgent('coordinator', { env: { PLANNER_URL: 'http://127.0.0.1:9', CALL_RETRIES: '0' } });
    try {
      const sent = await postJson(`${c.url}/a2a`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'message/send',
        params: { message: { messageId: 'u-1', role: 'user', parts: [{ kind: 'data', data: order }] } },
      });
      const taskId: string = sent.body.result.id;
      const done = await waitFor(async () => {
        const r = await postJson(`${c.url}/a2a`, { jsonrpc: '2.0', id: 2, method: 'tasks/get', params: { id: taskId } });
        return r.body.result.status.state === 'failed' ? r.body.result : undefined;
      }, 5000, 'task failed');
      expect(done.status.message.parts[0].text).toMatch(/^planner unreachable: POST http:\/\/127\.0\.0\.1:9\/a2a failed: ECONNREFUSED/);
    } finally {
      await c.stop();
    }
  });
});
