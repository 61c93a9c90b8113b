/**
 * The collect stage on a nats edge, against a real nats-server and the embedded proxy: the edge's
 * report row carries per-subject figures (control subjects left out), fired NATS faults, and the
 * copies and JetStream redeliveries count as duplicates delivered; the Markdown and HTML reports
 * render the subjects table.
 */
import { describe, expect, it } from 'vitest';
import { AckPolicy, connect, nanos, type NatsConnection } from 'nats';
import { collectEdges } from '../../src/scenario/edges.js';
import { isControlSubject } from '../../src/scenario/subject-figures.js';
import type { ChaosBackend } from '../../src/scenario/chaos-backend.js';
import type { StartedTeam } from '../../src/scenario/team.js';
import type { ScenarioEdge } from '../../src/scenario/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { passingReport } from '../report/fixtures.js';
import { addToxic, natsSkipReason, startNatsProxy, startNatsServer, until } from '../chaos/nats/helpers.js';

const skip = natsSkipReason();
const enc = (s: string) => new TextEncoder().encode(s);

describe.skipIf(skip !== null)('collect on a nats edge', { timeout: 90_000 }, () => {
  it('reports per-subject figures, and counts copies and redeliveries as duplicates delivered', async () => {
    const nats = await startNatsServer();
    const proxy = await startNatsProxy(nats.port, 11, 'consumer_to_broker');
    const open: NatsConnection[] = [];
    try {
      const direct = await connect({ servers: nats.url, reconnect: false });
      const viaProxy = await connect({ servers: proxy.url, reconnect: false });
      open.push(direct, viaProxy);
      const jsm = await direct.jetstreamManager();
      await jsm.streams.add({ name: 'ORDERS', subjects: ['order.*'] });
      await jsm.consumers.add('ORDERS', { durable_name: 'ledger', ack_policy: AckPolicy.Explicit, ack_wait: nanos(1000) });
      // One lost ack (JetStream redelivers after 1 s) and one extra copy of the second delivery.
      await addToxic(proxy.server.url, proxy.name, { name: 'lose_ack', type: 'drop_ack', attributes: { first: 1, match: { subject: 'order.placed' } } });
      await addToxic(proxy.server.url, proxy.name, { name: 'twice', type: 'duplicate', attributes: { only: [2], match: { subject: 'order.placed', direction: 'deliver' } } });
      const js = direct.jetstream();
      for (let i = 0; i < 3; i++) await js.publish('order.placed', enc(`{"orderId":"o${i}"}`));
      const consumer = await viaProxy.jetstream().consumers.get('ORDERS', 'ledger');
      const seen: string[] = [];
      const messages = await consumer.consume({ max_messages: 10 });
      void (async () => {
        for await (const m of messages) {
          seen.push(new TextDecoder().decode(m.data));
          m.ack();
        }
      })();
      // 3 messages + 1 copy + 1 redelivery.
      await until(() => seen.length >= 5, 30_000, 'five deliveries');
      await viaProxy.flush();
      messages.stop();

      const edge: ScenarioEdge = { id: 'consumer->broker', from: 'consumer', to: 'broker', env: 'NATS_URL', protocol: 'nats' } as ScenarioEdge;
      const backend = { url: proxy.server.url, embedded: true } as ChaosBackend;
      const team = { proxies: new Map([[edge.id, { edge, proxyName: proxy.name, listen: `127.0.0.1:${proxy.port}` }]]) } as unknown as StartedTeam;
      const collected = await collectEdges(backend, team, undefined);
      const row = collected.reports[0]!;
      expect(row).toMatchObject({ edge: 'consumer->broker', protocol: 'nats', faultsFired: { drop_ack: 1, duplicate: 1 } });
      const placed = row.subjects!.find((s) => s.subject === 'order.placed')!;
      expect(placed).toMatchObject({ delivered: 4, duplicated: 1, redeliveries: 1, acksDropped: 1 });
      expect(placed.acks).toBeGreaterThanOrEqual(4);
      expect(placed.maxPending).not.toBeNull();
      expect(row.subjects!.some((s) => isControlSubject(s.subject))).toBe(false);
      // One copy (the duplicate toxic) + one redelivery (after the lost ack).
      expect(collected.duplicatesDelivered).toBe(2);
      expect(collected.journal.filter((e) => e.fired).map((e) => e.type).sort()).toEqual(['drop_ack', 'duplicate']);

      const report = { ...passingReport(), edges: [row] };
      const md = renderMarkdown(report);
      expect(md).toContain('Subjects');
      expect(md).toMatch(/\| `consumer->broker` \| `order\.placed` \| 0 \| 4 \| 0 \| 1 \| 1 \| \d+ \| 1 \|/);
      expect(renderHtml(report)).toContain('<h2>Subjects</h2>');
    } finally {
      await Promise.all(open.map((c) => c.close().catch(() => {})));
      await proxy.server.close();
      await nats.stop();
    }
  });

  it('leaves control subjects out and keeps application and fallback ack subjects', () => {
    expect(isControlSubject('$JS.API.CONSUMER.INFO.ORDERS.ledger')).toBe(true);
    expect(isControlSubject('_INBOX.>')).toBe(true);
    expect(isControlSubject('$JS.ACK.ORDERS.ledger')).toBe(false);
    expect(isControlSubject('order.placed')).toBe(false);
  });
});
