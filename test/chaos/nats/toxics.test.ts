/**
 * The `nats` proxy protocol against a real nats-server 2.9 (JetStream on) and the official
 * `nats` client, every toxic on real subjects, streams and consumers. Timing asserts use a strict
 * lower bound and a loose upper bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, connect, headers, nanos, type NatsConnection } from 'nats';
import type { ProxyServer } from '../../../src/chaos/server.js';
import { fetchSubjectRecords } from '../../../src/chaos/nats/client.js';
import type { NatsJournalEntry } from '../../../src/chaos/nats/state.js';
import { addToxic, api, natsSkipReason, ndjson, startNatsProxy, startNatsServer, until, type NatsServer } from './helpers.js';

const skip = natsSkipReason();
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe.skipIf(skip !== null)('nats proxy against a real nats-server', { timeout: 60_000 }, () => {
  let nats: NatsServer;
  let proxy: { server: ProxyServer; url: string; name: string };
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => {})));
    await nats?.stop();
  });

  /** A fresh proxy server (fresh records, journal and toxics) for one test. */
  async function fresh(seed: number | string = 7) {
    if (proxy) await proxy.server.close();
    proxy = await startNatsProxy(nats.port, seed, 'bus');
    return proxy;
  }
  async function client(url = proxy.url) {
    const nc = await connect({ servers: url, reconnect: false });
    open.push(nc);
    return nc;
  }
  const records = async () => new Map((await fetchSubjectRecords(proxy.server.url, proxy.name)).map((r) => [r.subject, r]));
  const journal = () => ndjson<NatsJournalEntry>(proxy.server.url, proxy.name, 'journal');

  /** Subscribes on `subject` and collects payloads (with arrival times). */
  function collect(nc: NatsConnection, subject: string) {
    const got: Array<{ data: string; at: number }> = [];
    const sub = nc.subscribe(subject);
    void (async () => {
      for await (const m of sub) got.push({ data: dec(m.data), at: Date.now() });
    })();
    return { got, sub };
  }

  it('passes core pub/sub through untouched and counts it per subject', async () => {
    await fresh();
    const sub = await client();
    const pub = await client();
    const { got } = collect(sub, 'orders.*');
    await sub.flush();
    for (let i = 0; i < 20; i++) pub.publish('orders.placed', enc(`m${i}`));
    await pub.flush();
    await until(() => got.length === 20, 10_000, '20 messages');
    expect(got.map((g) => g.data)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    const r = (await records()).get('orders.placed')!;
    expect(r).toMatchObject({ published: 20, delivered: 20, dropped: 0, duplicated: 0 });
    expect(await journal()).toEqual([]);
  });

  it('carries a 1 MiB message (many chunks) intact on the per-frame path', async () => {
    await fresh();
    await addToxic(proxy.server.url, proxy.name, { type: 'drop', attributes: { match: { subject: 'never.this' } } });
    const sub = await client();
    const pub = await client();
    const big = new Uint8Array(1024 * 1024 - 1024).map((_, i) => (i * 31) % 251);
    const got: Uint8Array[] = [];
    sub.subscribe('big.x', { callback: (_e, m) => got.push(m.data) });
    await sub.flush();
    pub.publish('big.x', big);
    pub.publish('big.x', enc('after'));
    await pub.flush();
    await until(() => got.length === 2, 10_000, 'both messages');
    expect(Buffer.from(got[0]!).equals(Buffer.from(big))).toBe(true);
    expect(dec(got[1]!)).toBe('after');
  });

  it('drop on publish: the first matching publish never reaches the server', async () => {
    await fresh();
    await addToxic(proxy.server.url, proxy.name, { type: 'drop', attributes: { first: 1, match: { subject: 'orders.*', direction: 'publish' } } });
    const sub = await client();
    const pub = await client();
    const { got } = collect(sub, 'orders.>');
    await sub.flush();
    for (let i = 0; i < 5; i++) pub.publish('orders.placed', enc(`m${i}`));
    pub.publish('audit.log', enc('not matched'));
    await pub.flush();
    await until(() => got.length === 4, 10_000, '4 messages');
    await sub.flush();
    expect(got.map((g) => g.data)).toEqual(['m1', 'm2', 'm3', 'm4']);
    const r = (await records()).get('orders.placed')!;
    expect(r).toMatchObject({ published: 5, delivered: 4, dropped: 1 });
    const fired = (await journal()).filter((e) => e.fired);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ type: 'drop', outcome: 'drop', direction: 'publish', subject: 'orders.placed', method: 'PUB', ordinal: 1 });
  });

  it('duplicate on deliver: each matching delivery arrives 1 + copies times; other subjects once', async () => {
    await fresh();
    await addToxic(proxy.server.url, proxy.name, { type: 'duplicate', attributes: { copies: 2, match: { subject: 'orders.placed', direction: 'deliver' } } });
    const sub = await client();
    const pub = await client(nats.url); // straight to the server: only the delivery hop is faulted
    const placed = collect(sub, 'orders.placed');
    const other = collect(sub, 'orders.other');
    await sub.flush();
    pub.publish('orders.placed', enc('a'));
    pub.publish('orders.other', enc('b'));
    await pub.flush();
    await until(() => placed.got.length === 3 && other.got.length === 1, 10_000, 'copies');
    await sub.flush();
    expect(placed.got.map((g) => g.data)).toEqual(['a', 'a', 'a']);
    expect(other.got.map((g) => g.data)).toEqual(['b']);
    expect((await records()).get('orders.placed')).toMatchObject({ delivered: 1, duplicated: 2 });
  });

  it('delay on publish: the delayed message arrives at least `latency` later, after messages sent behind it', async () => {
    await fresh();
    const h = headers();
    h.set('Nats-Msg-Id', 'slow-1');
    await addToxic(proxy.server.url, proxy.name, { type: 'delay', attributes: { latency: 300, match: { header: { 'Nats-Msg-Id': 'slow-*' } } } });
    const sub = await client(nats.url);
    const pub = await client();
    const { got } = collect(sub, 'orders.placed');
    await sub.flush();
    const sent = Date.now();
    pub.publish('orders.placed', enc('slow'), { headers: h });
    pub.publish('orders.placed', enc('fast'));
    await pub.flush();
    await until(() => got.length === 2, 10_000, 'both messages');
    expect(got.map((g) => g.data)).toEqual(['fast', 'slow']);
    expect(got[1]!.at - sent).toBeGreaterThanOrEqual(295);
    expect(got[1]!.at - sent).toBeLessThan(5_000);
    const fired = (await journal()).filter((e) => e.fired);
    expect(fired).toEqual([expect.objectContaining({ outcome: 'delay:300ms', value: { delayMs: 300 }, identity: 'publish orders.placed msgid=slow-1', method: 'HPUB' })]);
    expect((await records()).get('orders.placed')).toMatchObject({ published: 2, delayed: 1 });
  });

  it('delay draws from a distribution, seeded: the same seed gives the same delays', async () => {
    const draws: number[][] = [];
    for (let run = 0; run < 2; run++) {
      await fresh('dist-seed');
      await addToxic(proxy.server.url, proxy.name, { type: 'delay', attributes: { distribution: 'lognormal', latency: 20, sigma: 0.8, max: 200, match: { subject: 'jobs.*' } } });
      const pub = await client();
      for (let i = 0; i < 5; i++) {
        const h = headers();
        h.set('Nats-Msg-Id', `job-${i}`);
        pub.publish('jobs.run', enc(String(i)), { headers: h });
      }
      await pub.flush();
      await until(async () => (await journal()).length === 5, 10_000, '5 decisions');
      const entries = await journal();
      draws.push(entries.map((e) => e.value!.delayMs!));
      expect(entries.every((e) => e.value!.delayMs! >= 0 && e.value!.delayMs! <= 200)).toBe(true);
    }
    expect(draws[0]).toEqual(draws[1]);
    expect(new Set(draws[0]).size).toBeGreaterThan(1);
  });

  it('reorder: a window of 4 is released in a seeded order that differs from the arrival order', async () => {
    const orders: string[][] = [];
    for (let run = 0; run < 2; run++) {
      await fresh('reorder-seed');
      await addToxic(proxy.server.url, proxy.name, { type: 'reorder', attributes: { window: 4, match: { subject: 'seq.*', direction: 'deliver' } } });
      const sub = await client();
      const pub = await client(nats.url);
      const { got } = collect(sub, 'seq.n');
      await sub.flush();
      for (let i = 0; i < 4; i++) pub.publish('seq.n', enc(String(i)));
      await pub.flush();
      await until(() => got.length === 4, 10_000, '4 messages');
      orders.push(got.map((g) => g.data));
      expect([...got.map((g) => g.data)].sort()).toEqual(['0', '1', '2', '3']);
      expect(got.map((g) => g.data)).not.toEqual(['0', '1', '2', '3']);
      expect((await records()).get('seq.n')).toMatchObject({ delivered: 4, reordered: 4 });
    }
    expect(orders[0]).toEqual(orders[1]);
  });

  it('reorder: a window that does not fill is released after window_ms', async () => {
    await fresh();
    await addToxic(proxy.server.url, proxy.name, { type: 'reorder', attributes: { window: 10, window_ms: 200, match: { subject: 'seq.*' } } });
    const sub = await client(nats.url);
    const pub = await client();
    const { got } = collect(sub, 'seq.n');
    await sub.flush();
    const sent = Date.now();
    pub.publish('seq.n', enc('0'));
    pub.publish('seq.n', enc('1'));
    await pub.flush();
    await until(() => got.length === 2, 10_000, 'the window to be released');
    expect(got[0]!.at - sent).toBeGreaterThanOrEqual(195);
    expect(got.map((g) => g.data)).toEqual(['1', '0']);
  });

  describe('JetStream', () => {
    async function stream(nc: NatsConnection, name: string, subject: string, consumer: string, extra: Record<string, unknown> = {}) {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name, subjects: [subject] });
      await jsm.consumers.add(name, { durable_name: consumer, ack_policy: AckPolicy.Explicit, ack_wait: nanos(600), max_deliver: 5, ...extra });
      return jsm;
    }
    /** Consumes through `nc`, acking every message; returns what arrived (data, redelivery count). */
    async function consume(nc: NatsConnection, name: string, consumer: string) {
      const got: Array<{ data: string; deliveries: number; at: number }> = [];
      const c = await nc.jetstream().consumers.get(name, consumer);
      const messages = await c.consume({ max_messages: 10 });
      void (async () => {
        for await (const m of messages) {
          got.push({ data: dec(m.data), deliveries: m.info.redeliveryCount, at: Date.now() });
          m.ack();
        }
      })();
      return { got, stop: () => messages.stop() };
    }

    it('drop_ack: the lost ack makes JetStream redeliver after AckWait, seen on the consumer', async () => {
      await fresh();
      await addToxic(proxy.server.url, proxy.name, { type: 'drop_ack', attributes: { first: 1, match: { subject: 'orders.placed' } } });
      const admin = await client(nats.url);
      await stream(admin, 'ORDERS', 'orders.>', 'notifier');
      await admin.jetstream().publish('orders.placed', enc('order-1'), { msgID: 'order-1' });
      const nc = await client();
      const started = Date.now();
      const { got, stop } = await consume(nc, 'ORDERS', 'notifier');
      await until(() => got.length >= 2, 15_000, 'a redelivery');
      await new Promise((r) => setTimeout(r, 1_000)); // the second ack got through: no third delivery
      stop();
      expect(got.map((g) => [g.data, g.deliveries])).toEqual([
        ['order-1', 1],
        ['order-1', 2],
      ]);
      expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(550);
      expect(got[1]!.at - started).toBeLessThan(10_000);
      const r = (await records()).get('orders.placed')!;
      expect(r).toMatchObject({ delivered: 2, redeliveries: 1, acks: 2, acksDropped: 1 });
      const fired = (await journal()).filter((e) => e.fired);
      expect(fired).toEqual([expect.objectContaining({ type: 'drop_ack', outcome: 'drop_ack:ack', identity: 'ack ORDERS notifier 1', attempt: 0, direction: 'publish' })]);
      const info = await (await admin.jetstreamManager()).consumers.info('ORDERS', 'notifier');
      expect(info.num_ack_pending).toBe(0);
    });

    it('drop on deliver: the consumer first sees the message as a redelivery', async () => {
      await fresh();
      await addToxic(proxy.server.url, proxy.name, { type: 'drop', attributes: { first: 1, match: { subject: 'tasks.*', direction: 'deliver', stream: 'TASKS' } } });
      const admin = await client(nats.url);
      await stream(admin, 'TASKS', 'tasks.*', 'worker');
      await admin.jetstream().publish('tasks.run', enc('t1'));
      const nc = await client();
      const { got, stop } = await consume(nc, 'TASKS', 'worker');
      await until(() => got.length >= 1, 15_000, 'the redelivery');
      stop();
      expect(got[0]).toMatchObject({ data: 't1', deliveries: 2 });
      const r = (await records()).get('tasks.run')!;
      expect(r).toMatchObject({ delivered: 2, dropped: 1, redeliveries: 1 });
      const fired = (await journal()).filter((e) => e.fired);
      expect(fired).toEqual([expect.objectContaining({ outcome: 'drop', identity: 'js TASKS worker 1', attempt: 0, method: 'MSG' })]);
    });

    it('duplicate on publish: the stream keeps one copy when Nats-Msg-Id is set, two when not', async () => {
      await fresh();
      await addToxic(proxy.server.url, proxy.name, { type: 'duplicate', attributes: { match: { subject: 'events.*', direction: 'publish' } } });
      const admin = await client(nats.url);
      const jsm = await stream(admin, 'EVENTS', 'events.*', 'reader');
      const nc = await client();
      const js = nc.jetstream();
      await js.publish('events.a', enc('with id'), { msgID: 'e-1' });
      await js.publish('events.b', enc('without id'));
      await until(async () => (await jsm.streams.info('EVENTS')).state.messages === 3, 10_000, 'three stored messages');
      const rec = await records();
      expect(rec.get('events.a')).toMatchObject({ published: 1, duplicated: 1 });
      expect(rec.get('events.b')).toMatchObject({ published: 1, duplicated: 1 });
      const sa = await jsm.streams.getMessage('EVENTS', { last_by_subj: 'events.a' });
      expect(sa.seq).toBe(1); // the copy of e-1 was de-duplicated
    });

    it('records consumer lag (pending) from the ack subjects of deliveries', async () => {
      await fresh();
      const admin = await client(nats.url);
      await stream(admin, 'LAG', 'lag.*', 'slow');
      for (let i = 0; i < 5; i++) await admin.jetstream().publish('lag.x', enc(String(i)));
      const nc = await client();
      const { got, stop } = await consume(nc, 'LAG', 'slow');
      await until(() => got.length === 5, 10_000, '5 messages');
      stop();
      const r = (await records()).get('lag.x')!;
      expect(r.maxPending).toBe(4);
      expect(r.pending).toBe(0);
      expect(r.acks).toBe(5);
    });
  });

  it('keeps serving other connections after malformed client bytes, and the server judges them', async () => {
    await fresh();
    const { connect: tcp } = await import('node:net');
    /** Sends `bytes` on a raw connection through the proxy; resolves with what came back once the server closed it. */
    const raw = (bytes: string) =>
      new Promise<string>((resolve) => {
        const socket = tcp({ host: '127.0.0.1', port: Number(proxy.url.split(':').pop()) });
        const seen: Buffer[] = [];
        socket.on('data', (c: Buffer) => seen.push(c));
        socket.on('error', () => {});
        socket.on('close', () => resolve(Buffer.concat(seen).toString('latin1')));
        socket.write(Buffer.from(bytes, 'latin1'));
        setTimeout(() => socket.destroy(), 8_000).unref();
      });
    const unknown = await raw('CONNECT {"verbose":false}\r\nGARBAGE\x00\xff\r\n');
    expect(unknown).toMatch(/^INFO /);
    expect(unknown).toContain("-ERR 'Unknown Protocol Operation'");
    const badPub = await raw('CONNECT {"verbose":false}\r\nPUB orders.x notanumber\r\n');
    expect(badPub).toMatch(/^INFO /);
    const nc = await client();
    const { got } = collect(nc, 'ok.*');
    await nc.flush();
    nc.publish('ok.1', enc('fine'));
    await until(() => got.length === 1, 10_000, 'a message on a new connection');
  });

  it('API: validates attributes and refuses toxics of another protocol', async () => {
    await fresh();
    const base = proxy.server.url;
    const bad = async (toxic: unknown) => {
      const res = await api(base, 'POST', `/proxies/${proxy.name}/toxics`, toxic);
      expect(res.status).toBe(400);
      return JSON.parse(res.text).error as string;
    };
    expect(await bad({ type: 'drop', attributes: { match: { path: '/x' } } })).toContain("unknown key 'path'");
    expect(await bad({ type: 'drop', attributes: { match: { subject: 'a.>.b' } } })).toContain("'>' before its last token");
    expect(await bad({ type: 'drop', attributes: { match: { direction: 'sideways' } } })).toContain("'publish' or 'deliver'");
    expect(await bad({ type: 'drop_ack', attributes: { kind: 'maybe' } })).toContain("attribute 'kind'");
    expect(await bad({ type: 'drop_ack', attributes: { match: { direction: 'publish' } } })).toContain("unknown key 'direction'");
    expect(await bad({ type: 'reorder', attributes: { window: 1 } })).toContain("'window'");
    expect(await bad({ type: 'delay', attributes: { distribution: 'cauchy' } })).toContain("'distribution'");
    expect(await bad({ type: 'http_error' })).toBe(`toxic type 'http_error' acts on HTTP messages: it needs a proxy created with "protocol":"http"`);
    const ok = await api(base, 'POST', `/proxies/${proxy.name}/toxics`, { type: 'drop_ack', toxicity: 0.5 });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({
      attributes: { kind: '', match: null, first: 0, every: 0, only: null, replay: null },
      name: 'drop_ack_downstream',
      type: 'drop_ack',
      stream: 'downstream',
      toxicity: 0.5,
    });
    // A tcp proxy names the protocol a NATS-only type needs.
    await api(base, 'POST', '/proxies', { name: 'plain', listen: '127.0.0.1:0', upstream: `127.0.0.1:${nats.port}` });
    const tcp = await api(base, 'POST', '/proxies/plain/toxics', { type: 'reorder' });
    expect(tcp.status).toBe(400);
    expect(JSON.parse(tcp.text).error).toBe(`toxic type 'reorder' acts on NATS messages: it needs a proxy created with "protocol":"nats"`);
    expect((await api(base, 'GET', `/proxies/${proxy.name}/records?since=3`)).status).toBe(400);
  });

  afterAll(async () => {
    await proxy?.server.close();
  });
});
