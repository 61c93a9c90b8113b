/**
 * Event steps against a real nats-server (JetStream on): a publish reaches the broker with its
 * templated subject, headers and body plus the driver's traceparent and Idempotency-Key; an event
 * that arrives before its workflow's wait began still completes it; a missing event is a timeout
 * at the wait's timeout; a JetStream publish is judged by its PubAck (a refusing stream is an
 * error outcome, its err_code the class); an unreachable broker is an environment error.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { runLoad, type HistoryEvent } from '../../src/load/driver.js';
import { NatsBus, type ReceivedEvent } from '../../src/workflow/nats.js';
import { parsePath } from '../../src/workflow/path.js';
import { natsSkipReason, startNatsServer, until, type NatsServer } from '../chaos/nats/helpers.js';

const skip = natsSkipReason();
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const dec = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8')) as Record<string, unknown>;

describe.skipIf(skip !== null)('event steps on a real nats-server', { timeout: 60_000 }, () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let slow: http.Server;
  let slowUrl = '';

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: `127.0.0.1:${server.port}` });
    // An HTTP step that takes 200 ms: whatever a responder publishes meanwhile arrives before the wait.
    slow = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 200));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    slowUrl = `http://127.0.0.1:${(slow.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    await nc?.close();
    await new Promise<void>((r) => (slow ? slow.close(() => r()) : r()));
    await server?.stop();
  });

  it('publishes the templated message, and completes on an event that came before the wait began', async () => {
    const received: Array<{ subject: string; body: Record<string, unknown>; headers: Record<string, string> }> = [];
    const sub = nc.subscribe('early.*.req', {
      callback: (_e, m) => {
        const body = dec(m.data);
        received.push({ subject: m.subject, body, headers: Object.fromEntries([...(m.headers?.keys() ?? [])].map((k) => [k, m.headers!.get(k)])) });
        // The completion event at once, and one for another workflow's id that must not match.
        nc.publish('early.done', enc({ order: { id: body.id }, n: 1 }));
        nc.publish('early.done', enc({ order: { id: `not-${String(body.id)}` } }));
      },
    });
    await nc.flush();
    const history: HistoryEvent[] = [];
    const url = `nats://127.0.0.1:${server.port}`;
    const r = await runLoad({
      workflows: [
        {
          name: 'order',
          steps: [
            { name: 'place', url, publish: { subject: 'early.${seq}.req', headers: { 'X-Order': 'o-${seq}' }, body: { id: '${uuid}', phase: '${phase}' } } },
            { name: 'busy', url: `${slowUrl}/busy` },
            { name: 'done', url, awaitEvent: { subject: 'early.done', match: { path: 'order.id', equals: '${uuid}' } }, extract: { n: 'n' }, timeoutMs: 3000 },
          ],
        },
      ],
      phases: [{ name: 'p', durationMs: 600, rate: 20 }],
      timeoutMs: 2000,
      workflowTimeoutMs: 5000,
      seed: 'early',
      history: (e) => history.push(e),
    });
    await sub.drain();
    const ends = history.filter((e) => e.type !== 'invoke');
    expect(ends.length).toBe(r.generator.sent);
    expect(ends.length).toBeGreaterThanOrEqual(8);
    for (const e of ends) {
      expect(e.outcome, JSON.stringify(e)).toBe('completed');
      expect(e.type).toBe('ok');
      expect(e.extracted).toEqual({ n: '1' });
      expect(e.steps).toBe(3);
      // The event was there 200 ms before the wait; the workflow's latency includes the busy step
      // (less the 1 ms that the server's timer and performance.now() round apart).
      expect(e.latencyMs!).toBeGreaterThanOrEqual(199);
    }
    // The message on the broker: rendered subject, body and headers, the workflow's trace and key.
    const invokes = new Map(history.filter((e) => e.type === 'invoke').map((e) => [e.workflowId, e]));
    expect(received.length).toBe(ends.length);
    for (const m of received) {
      const inv = invokes.get(String(m.body.id))!;
      expect(inv).toBeDefined();
      expect(m.subject).toBe(`early.${inv.seq}.req`);
      expect(m.body.phase).toBe('p');
      expect(m.headers['X-Order']).toBe(`o-${inv.seq}`);
      expect(m.headers['Idempotency-Key']).toBe(inv.workflowId);
      expect(m.headers['traceparent']!.slice(0, 36)).toBe(inv.traceparent.slice(0, 36));
    }
    // Per-step figures exist for the event steps, as for HTTP steps.
    expect(r.seriesByName['workflow{step=place}']!.phases[0]!.requests).toBe(ends.length);
    expect(r.seriesByName['workflow{step=done}']!.phases[0]!.errors).toBe(0);
    // The workflow latency runs to the awaited event: at least the busy step.
    expect(r.workflow.phases[0]!.latency!.p50!).toBeGreaterThanOrEqual(199);
  });

  it('drives event workflows in the closed model too: each loop starts its next workflow at the event', async () => {
    const sub = nc.subscribe('closed.req', { callback: (_e, m) => setTimeout(() => nc.publish('closed.done', m.data), 20) });
    await nc.flush();
    const history: HistoryEvent[] = [];
    const url = `nats://127.0.0.1:${server.port}`;
    const r = await runLoad({
      model: 'closed',
      connections: 2,
      workflows: [
        {
          name: 'c',
          steps: [
            { name: 'place', url, publish: { subject: 'closed.req', body: { id: '${uuid}' } } },
            { name: 'done', url, awaitEvent: { subject: 'closed.done', match: { path: 'id', equals: '${uuid}' } }, timeoutMs: 2000 },
          ],
        },
      ],
      phases: [{ name: 'p', durationMs: 500 }],
      timeoutMs: 2000,
      seed: 'closed',
      history: (e) => history.push(e),
    });
    await sub.drain();
    const ends = history.filter((e) => e.type !== 'invoke');
    // Two loops, each waiting >= 20 ms for its event: at most 2 × 500 / 20 workflows, at least a few.
    expect(ends.length).toBeGreaterThanOrEqual(4);
    expect(ends.length).toBeLessThanOrEqual(52);
    for (const e of ends) {
      expect(e.outcome).toBe('completed');
      // The responder's 20 ms timer, less the 1 ms that Node timers and performance.now() round apart.
      expect(e.latencyMs!).toBeGreaterThanOrEqual(19);
    }
    expect(r.model).toBe('closed');
  });

  it('ends a workflow whose event never comes as a timeout at the wait’s timeout', async () => {
    const history: HistoryEvent[] = [];
    const url = `nats://127.0.0.1:${server.port}`;
    // Events for other ids keep coming; none is this workflow's.
    const noise = setInterval(() => nc.publish('never.done', enc({ id: 'someone-else' })), 20);
    try {
      const r = await runLoad({
        workflows: [
          {
            name: 'lost',
            steps: [
              { name: 'place', url, publish: { subject: 'never.req', body: { id: '${uuid}' } } },
              { name: 'done', url, awaitEvent: { subject: 'never.done', match: { path: 'id', equals: '${uuid}' } }, timeoutMs: 300 },
            ],
          },
        ],
        phases: [{ name: 'p', durationMs: 400, rate: 20 }],
        timeoutMs: 2000,
        workflowTimeoutMs: 5000,
        seed: 'never',
        history: (e) => history.push(e),
      });
      const ends = history.filter((e) => e.type !== 'invoke');
      expect(ends.length).toBeGreaterThanOrEqual(4);
      for (const e of ends) {
        expect(e.outcome).toBe('timeout');
        // After the publish succeeded, the effect may have happened: unknown, not failed.
        expect(e.type).toBe('info');
        expect(e.latencyMs!).toBeGreaterThanOrEqual(300);
        expect(e.latencyMs!).toBeLessThan(4000);
      }
      expect(r.outcomes.filter((o) => o.class === 'timeout').reduce((n, o) => n + o.count, 0)).toBe(ends.length);
      const done = r.seriesByName['workflow{step=done}']!.phases[0]!;
      expect(done.timeouts).toBe(ends.length);
    } finally {
      clearInterval(noise);
    }
  });

  it('judges a JetStream publish by its PubAck: the ack can be extracted, a refusing stream is an error outcome', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'EVOK', subjects: ['evjs.ok'] });
    // One message at most, new ones refused: every publish after the first is rejected.
    await jsm.streams.add({ name: 'EVLIM', subjects: ['evjs.lim'], max_msgs: 1, discard: 'new' as never });
    const history: HistoryEvent[] = [];
    const url = `nats://127.0.0.1:${server.port}`;
    const r = await runLoad({
      workflows: [
        { name: 'ok', steps: [{ name: 'put', url, publish: { subject: 'evjs.ok', body: { id: '${uuid}' } }, extract: { seq: 'seq', stream: 'stream' } }] },
        { name: 'lim', steps: [{ name: 'full', url, publish: { subject: 'evjs.lim', body: '${uuid}' } }] },
      ],
      phases: [{ name: 'p', durationMs: 600, rate: 30 }],
      timeoutMs: 2000,
      seed: 'js',
      history: (e) => history.push(e),
    });
    const ends = history.filter((e) => e.type !== 'invoke');
    const ok = ends.filter((e) => e.workflow === 'ok');
    const lim = ends.filter((e) => e.workflow === 'lim');
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(lim.length).toBeGreaterThanOrEqual(3);
    for (const e of ok) {
      expect(e.outcome).toBe('completed');
      expect(e.extracted!.stream).toBe('EVOK');
    }
    // Stream sequence numbers: one per message stored.
    expect(new Set(ok.map((e) => e.extracted!.seq)).size).toBe(ok.length);
    expect(lim.filter((e) => e.outcome === 'completed').length).toBe(1);
    const refused = lim.filter((e) => e.outcome !== 'completed');
    expect(refused.length).toBe(lim.length - 1);
    for (const e of refused) {
      // JetStream's err_code 10077: maximum messages exceeded; the message was not stored.
      expect(e.outcome).toBe('nats:10077');
      expect(e.type).toBe('fail');
      expect(e.error).toMatch(/maximum messages/i);
    }
    expect((await jsm.streams.info('EVLIM')).state.messages).toBe(1);
    expect(r.seriesByName['workflow{workflow=lim}']!.phases[0]!.errors).toBe(refused.length);
  });

  it('a JetStream publish nobody answers any more (its stream deleted mid-run) is nats:no-responders, not stored', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'EVGONE', subjects: ['evjs.gone'] });
    const history: HistoryEvent[] = [];
    let deleted: Promise<unknown> | undefined;
    await runLoad({
      workflows: [{ name: 'gone', steps: [{ name: 'put', url: `nats://127.0.0.1:${server.port}`, publish: { subject: 'evjs.gone', body: '${uuid}' } }] }],
      phases: [{ name: 'p', durationMs: 800, rate: 20 }],
      timeoutMs: 2000,
      seed: 'gone',
      history: (e) => {
        history.push(e);
        // The driver looked the binding up before the first workflow; the stream goes away now.
        if (e.type === 'invoke' && !deleted) deleted = jsm.streams.delete('EVGONE');
      },
    });
    await deleted;
    const ends = history.filter((e) => e.type !== 'invoke');
    const refused = ends.filter((e) => e.outcome === 'nats:no-responders');
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const e of ends) expect(['completed', 'nats:no-responders']).toContain(e.outcome);
    for (const e of refused) expect(e.type).toBe('fail');
  });

  it('keeps early events for a later wait, and forgets them after the keep time', async () => {
    let now = 0;
    const bus = new NatsBus(() => now, 1000);
    const url = `nats://127.0.0.1:${server.port}`;
    const path = parsePath('id');
    try {
      await bus.prepare([{ url, await: { subject: 'keep.x', path } }]);
      const h = natsHeaders();
      h.set('x', '1');
      nc.publish('keep.x', enc({ id: 'a' }), { headers: h });
      nc.publish('keep.x', Buffer.from('not json'));
      await nc.flush();
      await until(() => bus.dropped.unreadable === 1, 5000, 'the unreadable event');
      const got: ReceivedEvent[] = [];
      bus.wait(url, 'keep.x', path, 'a', (e) => got.push(e));
      expect(got.map((e) => e.json)).toEqual([{ id: 'a' }]);
      // Resolves once `id` has come (events of one publisher arrive in order: what came before it did too).
      const arrived = (id: string) => new Promise<void>((resolve) => bus.wait(url, 'keep.x', path, id, () => resolve()));
      // 'b' arrives at 0 and is kept; 'c' arrives 5 s later and pushes the stale 'b' out.
      nc.publish('keep.x', enc({ id: 'b' }));
      nc.publish('keep.x', enc({ id: 'm1' }));
      await arrived('m1');
      now = 5000;
      nc.publish('keep.x', enc({ id: 'c' }));
      nc.publish('keep.x', enc({ id: 'm2' }));
      await arrived('m2');
      const late: string[] = [];
      const cancel = bus.wait(url, 'keep.x', path, 'b', (e) => late.push(String((e.json as { id: string }).id)));
      bus.wait(url, 'keep.x', path, 'c', (e) => late.push(String((e.json as { id: string }).id)));
      expect(late).toEqual(['c']);
      // A wait that is cancelled gets nothing when its event comes after all.
      cancel();
      nc.publish('keep.x', enc({ id: 'b' }));
      nc.publish('keep.x', enc({ id: 'm3' }));
      await arrived('m3');
      expect(late).toEqual(['c']);
    } finally {
      await bus.close();
    }
  });

  it('an unreachable broker is an environment error before the first workflow', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const err = await runLoad({
      workflows: [{ name: 'w', steps: [{ url: `nats://127.0.0.1:${port}`, publish: { subject: 'x' } }] }],
      phases: [{ name: 'p', durationMs: 200, rate: 10 }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).code).toBe('environment');
    expect((err as Error).message).toMatch(/broker nats:\/\/127\.0\.0\.1:\d+ is unreachable/);
  });
});
