/**
 * The bounded capture of published messages on a nats proxy: against a reference model (random
 * publishes on random subjects, small limits) it keeps exactly the newest messages each bound
 * allows, in capture order; through a live proxy in front of a real nats-server, the bodies and
 * headers an agent published are served at `GET /proxies/{p}/messages`, filtered by subject, and
 * JetStream acks and API calls are not captured.
 */
import fc from 'fast-check';
import { connect, headers } from 'nats';
import { describe, expect, it } from 'vitest';
import { isControlPublish, PublishedCapture } from '../../../src/chaos/nats/capture.js';
import { fetchPublishedMessages } from '../../../src/chaos/nats/client.js';
import { api, natsSkipReason, startNatsProxy, startNatsServer } from './helpers.js';

describe('PublishedCapture', () => {
  it('keeps the newest messages the per-subject, subject and byte bounds allow, in order', () => {
    const limits = { perSubject: 3, subjects: 4, bodyBytes: 5, totalBytes: 80 };
    const publish = fc.record({ subject: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', '$JS.ACK.S.c.1', '_INBOX.x'), size: fc.integer({ min: 0, max: 9 }) });
    fc.assert(
      fc.property(fc.array(publish, { maxLength: 60 }), (pubs) => {
        const capture = new PublishedCapture('p', limits);
        // Reference: every kept (seq, subject, size) in order, the same rules applied naively.
        let model: Array<{ seq: number; subject: string; size: number; held: number }> = [];
        const subjects = new Set<string>();
        let seq = 0;
        let uncaptured = 0;
        pubs.forEach((p, i) => {
          capture.add(p.subject, Buffer.from(`NATS/1.0\r\nN: ${i}\r\n\r\n`), Buffer.alloc(p.size, 0x61 + (i % 26)));
          if (isControlPublish(p.subject)) return;
          if (!subjects.has(p.subject) && subjects.size >= limits.subjects) return void uncaptured++;
          subjects.add(p.subject);
          model.push({ seq: ++seq, subject: p.subject, size: Math.min(p.size, limits.bodyBytes), held: Math.min(p.size, limits.bodyBytes) + `NATS/1.0\r\nN: ${i}\r\n\r\n`.length });
          const same = model.filter((m) => m.subject === p.subject);
          if (same.length > limits.perSubject) model = model.filter((m) => m !== same[0]);
          while (model.reduce((n, m) => n + m.held, 0) > limits.totalBytes) model.shift();
        });
        const kept = capture.list();
        expect(kept.map((m) => [m.seq, m.subject, m.body.length])).toEqual(model.map((m) => [m.seq, m.subject, m.size]));
        expect(kept.every((m) => m.truncated === m.bytes > limits.bodyBytes)).toBe(true);
        expect(kept.every((m) => m.headers.length === 1 && m.headers[0]![0] === 'N')).toBe(true);
        expect(capture.uncapturedSubjects).toBe(uncaptured);
        expect(capture.list((s) => s === 'a').every((m) => m.subject === 'a')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('holds a bounded list when a chatty subject keeps evicting behind a quiet one', () => {
    const capture = new PublishedCapture('p', { perSubject: 2, subjects: 10, bodyBytes: 16, totalBytes: 1 << 20 });
    capture.add('quiet', null, Buffer.from('first'));
    for (let i = 0; i < 50_000; i++) capture.add('chatty', null, Buffer.from(`m${i}`));
    expect(capture.list().map((m) => m.body)).toEqual(['first', 'm49998', 'm49999']);
    expect((capture as unknown as { order: unknown[] }).order.length).toBeLessThan(2000);
  });
});

const skip = natsSkipReason();
describe.skipIf(skip !== null)('captured publishes through a live nats proxy', { timeout: 60_000 }, () => {
  it('serves what was published, by subject, without acks or JetStream API calls', async () => {
    const server = await startNatsServer();
    const proxy = await startNatsProxy(server.port, 3, 'pub');
    const nc = await connect({ servers: proxy.url, reconnect: false });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'ORDERS', subjects: ['order.*'] });
      const h = headers();
      h.set('Nats-Msg-Id', 'o-1');
      await nc.jetstream().publish('order.placed', new TextEncoder().encode('{"orderId":"o-1"}'), { headers: h });
      nc.publish('audit.log', new TextEncoder().encode('plain'));
      await nc.flush();
      const all = await fetchPublishedMessages(proxy.server.url, proxy.name);
      expect(all.map((m) => m.subject)).toEqual(['order.placed', 'audit.log']);
      expect(all[0]).toMatchObject({ proxy: 'pub', body: '{"orderId":"o-1"}', bytes: 17, truncated: false });
      expect(all[0]!.headers).toContainEqual(['Nats-Msg-Id', 'o-1']);
      expect(all[1]).toMatchObject({ body: 'plain', headers: [] });
      expect((await fetchPublishedMessages(proxy.server.url, proxy.name, { subject: 'order.*' })).map((m) => m.body)).toEqual(['{"orderId":"o-1"}']);
      const bad = await api(proxy.server.url, 'GET', `/proxies/${proxy.name}/messages?subject=${encodeURIComponent('a.>.b')}`);
      expect(bad.status).toBe(400);
      await api(proxy.server.url, 'POST', '/proxies', { name: 'plain', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', protocol: 'http' });
      const http = await api(proxy.server.url, 'GET', '/proxies/plain/messages');
      expect(http.status).toBe(400);
      expect((JSON.parse(http.text) as { error: string }).error).toContain('"protocol":"nats"');
    } finally {
      await nc.close();
      await proxy.server.close();
      await server.stop();
    }
  });
});
