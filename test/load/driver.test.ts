import { afterEach, describe, expect, it } from 'vitest';
import { createLoadDriver, runLoad, type HistoryEvent } from '../../src/load/driver.js';
import { startServer, freePort, type TestServer } from './servers.js';
import { AgentcheckError } from '../../src/errors.js';

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}

describe('load driver', () => {
  it('open model: a 2 s stall shows in p99 (≥ 1.5 s) while the closed model hides it', async () => {
    // Each server stalls every request between 1.5 s and 3.5 s after it started, then answers.
    const stall = (t: number) => (t >= 1500 && t < 3500 ? { holdUntilMs: 3500 } : { delayMs: 5 });
    const openTarget = await server(stall);
    const open = await runLoad({ target: { url: `${openTarget.url}/` }, model: 'open', phases: [{ name: 'load', durationMs: 5000, rate: 200 }], timeoutMs: 5000 });
    const closedTarget = await server(stall);
    const closed = await runLoad({ target: { url: `${closedTarget.url}/` }, model: 'closed', connections: 10, phases: [{ name: 'load', durationMs: 5000 }], timeoutMs: 5000 });
    const o = open.phases[0]!.latency!;
    const c = closed.phases[0]!.latency!;
    expect(open.generator.arrivals).toBeGreaterThanOrEqual(950);
    // Validity is not asserted: on a busy CI machine the generator may be descheduled and say so.
    expect(open.generator.dropped).toBe(0);
    expect(o.p99).toBeGreaterThanOrEqual(1500);
    // Several hundred requests queued behind the stall: even the median of the run sees some of it.
    expect(o.p90).toBeGreaterThanOrEqual(500);
    // The closed model saw the stall (its max) but only on its 10 in-flight requests.
    expect(c.max).toBeGreaterThanOrEqual(1500);
    expect(c.p99).toBeLessThan(500);
    expect(c.count).toBeGreaterThan(500);
  });

  it('sends a unique Idempotency-Key and a W3C traceparent per request and reports a full history', async () => {
    const target = await server(() => ({ status: 201 }));
    const history: HistoryEvent[] = [];
    const result = await runLoad({
      target: { url: `${target.url}/orders/\${seq}`, method: 'POST', body: '{"id":"${uuid}"}', headers: { 'x-run': '${phase}' } },
      phases: [{ name: 'warm', durationMs: 600, rate: 50 }],
      seed: 'fixed',
      history: (e) => history.push(e),
    });
    const invokes = history.filter((e) => e.type === 'invoke');
    const oks = history.filter((e) => e.type === 'ok');
    expect(invokes.length).toBe(result.generator.sent);
    expect(oks.length).toBe(invokes.length);
    expect(new Set(invokes.map((e) => e.key)).size).toBe(invokes.length);
    const h = target.lastHeaders()[0]!;
    expect(h['idempotency-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(h['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(h['x-run']).toBe('warm');
    expect(invokes[0]!.traceparent).toBe(h['traceparent']);
  });

  it('closed model: templated path and body, unique keys and traceparents, invoke/ok pairs in the history', async () => {
    const target = await server(() => ({ delayMs: 1 }));
    const history: HistoryEvent[] = [];
    const result = await runLoad({
      target: { url: `${target.url}/orders/\${seq}?p=\${phase}`, body: '{"order":"${uuid}"}' },
      model: 'closed',
      connections: 3,
      phases: [{ name: 'closed', durationMs: 800 }],
      history: (e) => history.push(e),
    });
    const invokes = history.filter((e) => e.type === 'invoke');
    const done = history.filter((e) => e.type !== 'invoke');
    expect(invokes.length).toBeGreaterThan(30);
    expect(done.length).toBe(invokes.length);
    expect(done.filter((e) => e.type === 'ok').length).toBe(invokes.length - result.generator.abandoned);
    expect(new Set(invokes.map((e) => e.key)).size).toBe(invokes.length);
    expect(new Set(invokes.map((e) => e.traceparent)).size).toBe(invokes.length);
    const first = target.lastRequests()[0]!;
    expect(first.method).toBe('POST');
    expect(first.url).toMatch(/^\/orders\/\d+\?p=closed$/);
    expect(JSON.parse(first.body).order).toMatch(/^[0-9a-f-]{36}$/);
    const h = target.lastHeaders()[0]!;
    expect(h['idempotency-key']).toBe(JSON.parse(first.body).order);
    expect(h['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(result.phases[0]!.requests).toBeGreaterThan(30);
    expect(result.phases[0]!.errors).toBe(0);
  });

  it('records timeouts at the timeout value as errors, and history says unknown (info)', async () => {
    const target = await server(() => ({ delayMs: 10_000 }));
    const history: HistoryEvent[] = [];
    const result = await runLoad({ target: { url: target.url }, phases: [{ name: 'p', durationMs: 500, rate: 20 }], timeoutMs: 300, history: (e) => history.push(e) });
    const p = result.phases[0]!;
    expect(p.requests).toBeGreaterThanOrEqual(8);
    expect(p.timeouts).toBe(p.requests);
    expect(p.errors).toBe(p.requests);
    expect(p.latency!.min).toBeGreaterThanOrEqual(299);
    expect(p.latency!.max).toBeLessThanOrEqual(301);
    expect(history.filter((e) => e.type === 'info').length).toBe(p.requests);
  });

  it('closed model: timeouts are recorded at the timeout value', async () => {
    const target = await server(() => ({ delayMs: 10_000 }));
    const result = await runLoad({ target: { url: target.url }, model: 'closed', connections: 2, phases: [{ name: 'p', durationMs: 2600 }], timeoutMs: 1000 });
    const p = result.phases[0]!;
    expect(p.timeouts).toBeGreaterThanOrEqual(4);
    expect(p.latency!.min).toBeGreaterThanOrEqual(999);
    expect(p.latency!.max).toBeLessThanOrEqual(1001);
    expect(() => createLoadDriver({ target: { url: target.url }, model: 'closed', timeoutMs: 300 })).toThrow(/at least 1s/);
  });

  it('changes rate per phase and files requests under their phase', async () => {
    const target = await server(() => ({}));
    const result = await runLoad({ target: { url: target.url }, phases: [{ name: 'slow', durationMs: 1000, rate: 20 }, { name: 'fast', durationMs: 1000, rate: 100 }] });
    const [slow, fast] = result.phases;
    expect(slow!.name).toBe('slow');
    expect(fast!.name).toBe('fast');
    expect(slow!.requests).toBeGreaterThanOrEqual(18);
    expect(slow!.requests).toBeLessThanOrEqual(22);
    expect(fast!.requests).toBeGreaterThanOrEqual(90);
    expect(fast!.requests).toBeLessThanOrEqual(110);
    expect(result.series.phases[1]!.windows.length).toBe(12);
  });

  it('marks the run invalid when arrivals are dropped at the in-flight cap', async () => {
    const target = await server(() => ({ delayMs: 2000 }));
    const result = await runLoad({ target: { url: target.url }, phases: [{ name: 'p', durationMs: 500, rate: 100 }], maxInFlight: 5, timeoutMs: 3000 });
    expect(result.generator.dropped).toBeGreaterThan(0);
    expect(result.validity.valid).toBe(false);
    expect(result.validity.reasons.join(' ')).toMatch(/dropped/);
    // Dropped arrivals are bad events at the timeout value, not gaps.
    expect(result.phases[0]!.requests).toBe(result.generator.arrivals);
  });

  it('marks the run invalid when the generator falls behind its schedule', async () => {
    const target = await server(() => ({}));
    const driver = createLoadDriver({ target: { url: target.url }, rate: 200, phaseDurationMs: 1000 });
    await driver.start();
    await new Promise((r) => setTimeout(r, 200));
    // Block the event loop: every arrival due meanwhile goes out late.
    const until = performance.now() + 300;
    while (performance.now() < until) {
      /* busy */
    }
    await new Promise((r) => setTimeout(r, 200));
    const result = await driver.stop();
    expect(result.generator.late).toBeGreaterThanOrEqual(40);
    expect(result.validity.valid).toBe(false);
    expect(result.validity.reasons[0]).toMatch(/fell behind/);
  });

  it('refuses an unreachable target with an environment error (exit 3)', async () => {
    const port = await freePort();
    const driver = createLoadDriver({ target: { url: `http://127.0.0.1:${port}/` }, rate: 10 });
    const err = await driver.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(3);
  });

  it('rejects an unknown template variable as a usage error', () => {
    expect(() => createLoadDriver({ target: { url: 'http://127.0.0.1:1/${nope}' } })).toThrow(/unknown template variable/);
  });
});

describe('phase marks with a time (several generators mark ahead)', () => {
  const invokes = () => {
    const list: HistoryEvent[] = [];
    return { list, history: (e: HistoryEvent) => void (e.type === 'invoke' && list.push(e)) };
  };
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a mark given ahead of its time switches rate and phase at that time, not when it was given', async () => {
    const target = await server(() => ({}));
    const h = invokes();
    const driver = createLoadDriver({ target: { url: target.url }, rate: 20, seed: 's', history: h.history });
    await driver.start();
    await wait(50);
    driver.markPhase('fast', { rate: 100, atMs: 400 });
    await wait(700);
    const result = await driver.stop();
    const before = h.list.filter((e) => e.tMs < 400);
    const after = h.list.filter((e) => e.tMs >= 400);
    // 0, 50, …, 350 at the old rate and phase; from 400 on every 10 ms in the new one.
    expect(before.map((e) => e.tMs)).toEqual([0, 50, 100, 150, 200, 250, 300, 350]);
    expect(new Set(before.map((e) => e.phase))).toEqual(new Set(['load']));
    expect(after.length).toBeGreaterThanOrEqual(20);
    expect(after.slice(0, 3).map((e) => e.tMs)).toEqual([400, 410, 420]);
    expect(new Set(after.map((e) => e.phase))).toEqual(new Set(['fast']));
    expect(result.schedule.map((p) => [p.name, p.startMs, p.rate])).toEqual([['load', 0, 20], ['fast', 400, 100]]);
  });

  it('two segments that get the same mark at different moments (both before it is due) send one schedule', async () => {
    const target = await server(() => ({}));
    const one = invokes();
    const parts = [invokes(), invokes()];
    const drivers = [
      createLoadDriver({ target: { url: target.url }, rate: 50, seed: 'x', history: one.history }),
      ...parts.map((p, index) => createLoadDriver({ target: { url: target.url }, rate: 50, seed: 'x', history: p.history, segment: { index, count: 2 } })),
    ];
    await Promise.all(drivers.map((d) => d.start()));
    drivers[0]!.markPhase('fast', { rate: 200, atMs: 500 });
    drivers[1]!.markPhase('fast', { rate: 200, atMs: 500 });
    await wait(300);
    // The third gets it 300 ms later than the others, still before it is due.
    drivers[2]!.markPhase('fast', { rate: 200, atMs: 500 });
    await wait(600);
    await Promise.all(drivers.map((d) => d.stop()));
    // Up to 700 ms on each driver's clock: all three ran well past it before they were stopped.
    const byStart = (list: HistoryEvent[]) => list.filter((e) => e.tMs < 700).map((e) => ({ seq: e.seq, tMs: e.tMs, phase: e.phase, traceparent: e.traceparent, workflowId: e.workflowId }));
    const union = byStart([...parts[0]!.list, ...parts[1]!.list]).sort((a, b) => a.seq - b.seq);
    // 25 arrivals at 50/s before the mark, 40 at 200/s after it.
    expect(union.length).toBe(65);
    expect(union).toEqual(byStart(one.list));
    expect(union.map((e) => e.seq)).toEqual(union.map((_e, i) => i));
  });

  it('a mark that arrives after arrivals past its time were drawn counts those arrivals as late', async () => {
    const target = await server(() => ({}));
    const driver = createLoadDriver({ target: { url: target.url }, rate: 100 });
    await driver.start();
    await wait(400);
    // Due at 100 ms: the ~30 arrivals drawn since at the old schedule cannot be taken back.
    driver.markPhase('late', { rate: 100, atMs: 100 });
    await wait(100);
    const result = await driver.stop();
    expect(result.generator.late).toBeGreaterThanOrEqual(20);
    expect(result.generator.late).toBeLessThanOrEqual(result.generator.arrivals);
  });
});
