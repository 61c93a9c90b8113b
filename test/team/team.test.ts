import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  postJson,
  sampleOrder,
  startFaultProxy,
  startTeam,
  stopAllTeamAgents,
  waitFor,
  sleep,
  type FaultProxy,
  type PaymentsMode,
  type StartedTeam,
  type StartedTeamAgent,
} from './helpers.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceIdOf = (traceparent: string) => traceparent.split('-')[1];

/** Log lines of `agent` whose trace id is `traceId`. */
const linesInTrace = (agent: StartedTeamAgent, traceId: string) =>
  agent.requests().filter((l) => traceIdOf(l.traceparent) === traceId);

let proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});
afterAll(stopAllTeamAgents);

describe('the whole team', () => {
  let team: StartedTeam;
  beforeAll(async () => {
    team = await startTeam();
  });
  afterAll(async () => team?.stop());

  it('fulfils an order through all five agents and carries one trace id through every hop', async () => {
    const order = sampleOrder('order-1');
    const r = await postJson(`${team.intake.url}/orders`, order, {
      'idempotency-key': 'order-1-key',
      traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ orderId: 'order-1', status: 'completed', chargeId: expect.stringMatching(/^ch_/) });

    // Every agent did its part exactly once.
    const effects = (await getJson(`${team.payments.url}/ledger`)).body.effects;
    expect(effects).toEqual([{ key: 'charge-order-1', orderId: 'order-1', amount: 1250, currency: 'EUR', chargeId: r.body.chargeId }]);
    const reservations = (await getJson(`${team.inventory.url}/reservations`)).body.reservations;
    expect(reservations).toEqual([{ reservationId: expect.stringMatching(/^res_/), orderId: 'order-1', reserved: [{ sku: 'sku-1', qty: 2 }] }]);
    const sent = (await getJson(`${team.notifier.url}/sent`)).body.notifications;
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ eventId: 'order-completed-order-1', type: 'order.completed', orderId: 'order-1', chargeId: r.body.chargeId });
    expect(Date.parse(sent[0].occurredAt)).not.toBeNaN();
    const stored = await getJson(`${team.intake.url}/orders/order-1`);
    expect(stored.body).toMatchObject({ ...order, status: 'completed', chargeId: r.body.chargeId });

    // The trace: the same trace id in every agent's log line for this request, a new span per hop.
    const expected = [
      [team.intake, 'POST', '/orders'],
      [team.planner, 'POST', '/a2a'],
      [team.inventory, 'POST', '/mcp'],
      [team.payments, 'POST', '/charges'],
      [team.notifier, 'POST', '/events'],
    ] as const;
    for (const [agent, method, path] of expected) {
      const lines = await waitFor(() => {
        const l = linesInTrace(agent, TRACE_ID);
        return l.length > 0 ? l : undefined;
      }, 3000, `${agent.name} log line`);
      expect(lines.some((l) => l.method === method && l.path === path && l.agent === agent.name)).toBe(true);
    }
    const spans = expected.flatMap(([agent]) => linesInTrace(agent, TRACE_ID).map((l) => l.traceparent.split('-')[2]));
    expect(new Set(spans).size).toBe(spans.length);
    expect(spans).not.toContain('00f067aa0ba902b7'); // the caller's span is the parent, not ours
  });

  it('starts a trace when the client sends none, and every agent continues it', async () => {
    const r = await postJson(`${team.intake.url}/orders`, sampleOrder('order-2'), { 'idempotency-key': 'order-2-key' });
    expect(r.status).toBe(201);
    const intakeLine = await waitFor(
      () => team.intake.requests().find((l) => l.path === '/orders' && traceIdOf(l.traceparent) !== TRACE_ID),
      3000,
      'intake log line',
    );
    expect(intakeLine.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = traceIdOf(intakeLine.traceparent)!;
    for (const agent of [team.planner, team.payments, team.notifier, team.inventory]) {
      await waitFor(() => linesInTrace(agent, traceId).length > 0, 3000, `${agent.name} in trace ${traceId}`);
    }
  });

  it('replays a repeated Idempotency-Key at intake without a second order', async () => {
    const order = sampleOrder('order-3');
    const [a, b] = await Promise.all([
      postJson(`${team.intake.url}/orders`, order, { 'idempotency-key': 'order-3-key' }),
      postJson(`${team.intake.url}/orders`, order, { 'idempotency-key': 'order-3-key' }),
    ]);
    const c = await postJson(`${team.intake.url}/orders`, order, { 'idempotency-key': 'order-3-key' });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(b.body).toEqual(a.body);
    expect(c.body).toEqual(a.body);
    expect(c.headers.get('idempotent-replayed')).toBe('true');
    const effects = (await getJson(`${team.payments.url}/ledger`)).body.effects.filter((e: any) => e.orderId === 'order-3');
    expect(effects).toHaveLength(1);
    const planned = team.planner.requests().filter((l) => l.path === '/a2a');
    expect(planned).toHaveLength(3); // one per order so far: the duplicates never left intake
  });

  it('rejects bad orders at intake with 400 / 422 and a clear message', async () => {
    const url = `${team.intake.url}/orders`;
    const noKey = await postJson(url, sampleOrder('bad-1'));
    expect(noKey).toMatchObject({ status: 400, body: { error: 'missing Idempotency-Key' } });
    const badQty = await postJson(url, sampleOrder('bad-2', { items: [{ sku: 'a', qty: 0 }] }), { 'idempotency-key': 'bad-2' });
    expect(badQty).toMatchObject({ status: 400, body: { error: 'items[0].qty must be an integer > 0' } });
    const noCustomer = await postJson(url, sampleOrder('bad-3', { customerId: undefined }), { 'idempotency-key': 'bad-3' });
    expect(noCustomer).toMatchObject({ status: 400, body: { error: 'customerId must be a non-empty string' } });
    const reused = await postJson(url, sampleOrder('order-1', { amount: 1 }), { 'idempotency-key': 'order-1-key' });
    expect(reused).toMatchObject({ status: 422, body: { error: 'Idempotency-Key reused with a different payload' } });
    expect((await getJson(`${team.intake.url}/orders/nope`)).status).toBe(404);
    expect((await getJson(`${team.intake.url}/orders/bad-2`)).status).toBe(404);
  });

  it('answers /healthz and an ok /invariants on every agent', async () => {
    for (const agent of team.all()) {
      expect((await getJson(`${agent.url}/healthz`)).body).toEqual({ ok: true, agent: agent.name });
      const inv = await getJson(`${agent.url}/invariants`);
      expect(inv.status).toBe(200);
      expect(inv.body.ok).toBe(true);
      expect(typeof inv.body.details).toBe('object');
    }
  });

  it('exits 0 on SIGTERM', async () => {
    const codes = await Promise.all(team.all().map((a) => a.stop()));
    expect(codes).toEqual([0, 0, 0, 0, 0]);
  });
});

/** Start a team whose planner → payments edge goes through a fault proxy. */
async function teamWithFaultyPaymentsEdge(mode: PaymentsMode, fault: 'duplicate' | 'commit_then_drop') {
  let proxy: FaultProxy | undefined;
  const team = await startTeam({
    paymentsMode: mode,
    env: { planner: { CALL_TIMEOUT_MS: '2000', CALL_RETRIES: '2', CALL_BACKOFF_MS: '20' } },
    via: {
      payments: async (url) => {
        proxy = await startFaultProxy(url, { fault, match: (m, p) => m === 'POST' && p === '/charges' });
        proxies.push(proxy);
        return proxy.url;
      },
    },
  });
  return { team, proxy: proxy! };
}

describe('lost and duplicated messages on the planner → payments edge', () => {
  it.each(['correct', 'no-dedup'] as const)('commit_then_drop: payments --mode %s', async (mode) => {
    const { team, proxy } = await teamWithFaultyPaymentsEdge(mode, 'commit_then_drop');
    try {
      const r = await postJson(`${team.intake.url}/orders`, sampleOrder('drop-1'), { 'idempotency-key': 'drop-1' });
      expect(r.status).toBe(201);
      // The planner retried with the very same key after the answer was lost.
      expect(proxy.requests.map((q) => q.action)).toEqual(['commit_then_drop', 'forward']);
      expect(proxy.requests.map((q) => q.headers['idempotency-key'])).toEqual(['charge-drop-1', 'charge-drop-1']);
      expect(proxy.requests[1]!.body).toBe(proxy.requests[0]!.body);
      const effects = (await getJson(`${team.payments.url}/ledger`)).body.effects;
      const inv = (await getJson(`${team.payments.url}/invariants`)).body;
      if (mode === 'correct') {
        expect(effects).toHaveLength(1);
        expect(proxy.requests[1]!.replayed).toBe('true');
        expect(effects[0].chargeId).toBe(r.body.chargeId);
        expect(inv).toEqual({ ok: true, details: { charges: 1, doubleCharged: [] } });
      } else {
        expect(effects).toHaveLength(2);
        expect(inv).toEqual({ ok: false, details: { charges: 2, doubleCharged: ['drop-1'] } });
      }
    } finally {
      await team.stop();
    }
  });

  it.each(['correct', 'no-dedup'] as const)('duplicate delivery: payments --mode %s', async (mode) => {
    const { team, proxy } = await teamWithFaultyPaymentsEdge(mode, 'duplicate');
    try {
      const r = await postJson(`${team.intake.url}/orders`, sampleOrder('dup-1'), { 'idempotency-key': 'dup-1' });
      expect(r.status).toBe(201);
      expect(proxy.requests[0]!.upstreamStatuses).toHaveLength(2);
      const effects = (await getJson(`${team.payments.url}/ledger`)).body.effects;
      if (mode === 'correct') {
        expect(proxy.requests[0]!.upstreamStatuses.sort()).toEqual([201, 409]);
        expect(effects).toHaveLength(1);
      } else {
        expect(proxy.requests[0]!.upstreamStatuses).toEqual([201, 201]);
        expect(effects).toHaveLength(2);
        expect((await getJson(`${team.payments.url}/invariants`)).body.details.doubleCharged).toEqual(['dup-1']);
      }
    } finally {
      await team.stop();
    }
  });
});

describe('planner retries a timed-out payments call with the same key', () => {
  // Payments takes longer than the planner waits: the first attempt times out while the charge
  // is still in flight, the retries meet 409 (in progress), and the last one gets the replay.
  const env = (delay: number) => ({
    payments: { PAYMENTS_DELAY_MS: String(delay) },
    planner: { CALL_TIMEOUT_MS: '150', CALL_RETRIES: '4', CALL_BACKOFF_MS: '50' },
    intake: { CALL_TIMEOUT_MS: '10000' },
  });

  it('charges once with a de-duplicating payments', async () => {
    const team = await startTeam({ env: env(400) });
    try {
      const started = Date.now();
      const r = await postJson(`${team.intake.url}/orders`, sampleOrder('slow-1'), { 'idempotency-key': 'slow-1' });
      expect(r.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400); // it really waited for the slow charge
      const charges = team.payments.requests().filter((l) => l.path === '/charges');
      expect(charges.length).toBeGreaterThanOrEqual(2);
      expect(charges[0]).toMatchObject({ aborted: true, status: 0 }); // the planner gave up on the first attempt
      expect(charges.at(-1)!.status).toBe(201);
      const effects = (await getJson(`${team.payments.url}/ledger`)).body.effects;
      expect(effects).toEqual([expect.objectContaining({ key: 'charge-slow-1', orderId: 'slow-1', chargeId: r.body.chargeId })]);
      expect(team.planner.stderr.some((l) => l.includes('"event":"retry"') && l.includes('timed out'))).toBe(true);
    } finally {
      await team.stop();
    }
  });

  it('charges again on every retry with a no-dedup payments', async () => {
    const team = await startTeam({ env: env(400), paymentsMode: 'no-dedup' });
    try {
      const r = await postJson(`${team.intake.url}/orders`, sampleOrder('slow-2'), { 'idempotency-key': 'slow-2' });
      // Every attempt times out (each one is a fresh 400 ms charge), so the order fails...
      expect(r.status).toBe(502);
      expect(r.body.error).toMatch(/payments: .*timed out/);
      // ...and yet the customer was charged once per attempt.
      const effects = await waitFor(async () => {
        const e = (await getJson(`${team.payments.url}/ledger`)).body.effects;
        return e.length >= 5 ? e : undefined;
      }, 3000, 'five charges');
      expect(effects.every((e: any) => e.key === 'charge-slow-2')).toBe(true);
      expect((await getJson(`${team.payments.url}/invariants`)).body).toMatchObject({ ok: false, details: { doubleCharged: ['slow-2'] } });
      expect((await getJson(`${team.intake.url}/orders/slow-2`)).body).toMatchObject({ status: 'failed' });
    } finally {
      await team.stop();
    }
  });

  it('fails the task with the reason when payments breaks its contract (renamed-field)', async () => {
    const team = await startTeam({ paymentsMode: 'renamed-field' });
    try {
      const r = await postJson(`${team.intake.url}/orders`, sampleOrder('renamed-1'), { 'idempotency-key': 'renamed-1' });
      expect(r.status).toBe(502);
      expect(r.body.error).toBe('planner failed the order: payments: POST /charges answer has no string chargeId');
      await sleep(0);
      expect((await getJson(`${team.notifier.url}/sent`)).body.notifications).toEqual([]);
    } finally {
      await team.stop();
    }
  });
});
