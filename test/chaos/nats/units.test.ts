/**
 * Units of the NATS layer without a server: subject wildcards (property-tested against a
 * token-by-token reference), JetStream ack subjects, header blocks, and the per-connection flow
 * fed with real protocol bytes: decisions keyed by identity whatever the arrival order, reorder
 * windows, delays released before the end, status messages never faulted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NatsFlow, type FlowOutput } from '../../../src/chaos/nats/exchange.js';
import { messageHeaders, NatsParser, type NatsMessageFrame } from '../../../src/chaos/nats/parser.js';
import { natsStateFor, type NatsProxyState } from '../../../src/chaos/nats/state.js';
import { ackKind, compileSubject, parseJetStreamAck, subjectPatternError } from '../../../src/chaos/nats/subject.js';
import { natsToxicTypes } from '../../../src/chaos/nats/toxics/index.js';
import { createRng } from '../../../src/chaos/rng.js';
import { ToxicCollection } from '../../../src/chaos/toxic-set.js';
import type { ToxicAttributes } from '../../../src/chaos/toxic.js';

describe('subjects', () => {
  it('matches * and > like NATS (reference: token by token)', () => {
    const tok = fc.constantFrom('a', 'b', 'orders', 'x1');
    const reference = (pattern: string, subject: string) => {
      const p = pattern.split('.');
      const s = subject.split('.');
      for (let i = 0; i < p.length; i++) {
        if (p[i] === '>') return s.length > i;
        if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
      }
      return p.length === s.length;
    };
    const pattern = fc
      .tuple(fc.array(fc.oneof(tok, fc.constant('*')), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([ts, tail]) => (tail ? [...ts, '>'] : ts).join('.'));
    const subject = fc.array(tok, { minLength: 1, maxLength: 6 }).map((t) => t.join('.'));
    fc.assert(fc.property(pattern, subject, (p, s) => compileSubject(p)(s) === reference(p, s)), { numRuns: 2000 });
  });

  it('rejects malformed patterns', () => {
    expect(subjectPatternError('a..b')).toBe('has an empty token');
    expect(subjectPatternError('a.>.b')).toContain("'>' before");
    expect(subjectPatternError('a.b*')).toContain('wildcard inside');
    expect(subjectPatternError('orders.>')).toBeUndefined();
  });

  it('reads JetStream ack subjects in both forms, and ack payloads', () => {
    expect(parseJetStreamAck('$JS.ACK.ORDERS.notifier.2.17.9.1796166134930095597.4')).toEqual({ stream: 'ORDERS', consumer: 'notifier', delivered: 2, streamSeq: 17, consumerSeq: 9, pending: 4 });
    expect(parseJetStreamAck('$JS.ACK.hub.ACCHASH.ORDERS.notifier.1.5.5.1796166134930095597.0.rnd')).toMatchObject({ stream: 'ORDERS', delivered: 1, streamSeq: 5, pending: 0 });
    expect(parseJetStreamAck('$JS.ACK.ORDERS.notifier.x.1.1.1.0')).toBeNull();
    expect(parseJetStreamAck('orders.placed')).toBeNull();
    expect(parseJetStreamAck(null)).toBeNull();
    expect(['+ACK', '', '-NAK', '+WPI', '+TERM reason', '+NXT'].map((p) => ackKind(Buffer.from(p)))).toEqual(['ack', 'ack', 'nak', 'wpi', 'term', 'next']);
  });

  it('reads header blocks and their status line', () => {
    const frame = (h: string) => new NatsParser('deliver').push(Buffer.from(`HMSG s 1 ${h.length} ${h.length}\r\n${h}\r\n`)).frames[0] as NatsMessageFrame;
    expect(messageHeaders(frame('NATS/1.0\r\nNats-Msg-Id: o-1\r\ntraceparent: 00-ab-cd-01\r\n\r\n'))).toEqual({ status: null, headers: [['Nats-Msg-Id', 'o-1'], ['traceparent', '00-ab-cd-01']] });
    expect(messageHeaders(frame('NATS/1.0 100 Idle Heartbeat\r\n\r\n')).status).toBe('100');
  });
});

/** A deliver or publish flow over an in-memory output, with toxics on an in-memory proxy. */
function harness(direction: 'publish' | 'deliver', seed = 'units') {
  const toxics = new ToxicCollection();
  const owner = { name: 'unit', toxics, rng: createRng(seed) };
  const state: NatsProxyState = natsStateFor(owner);
  const written: Buffer[] = [];
  let ended = false;
  const out: FlowOutput = { write: (c) => (written.push(Buffer.from(c)), true), end: () => (ended = true), onDrain: () => {}, closed: false };
  let n = 0;
  const flow = new NatsFlow(direction, { state, connectionId: 1, nextMessage: () => ++n, goOpaque: () => {}, fail: (e) => { throw e; } }, out);
  const add = (type: string, attributes: ToxicAttributes, toxicity = 1) => {
    const definition = natsToxicTypes.get(type)!;
    const full: ToxicAttributes = {};
    for (const a of definition.attributes) full[a.name] = attributes[a.name] ?? (a.type === 'json' ? null : a.type === 'string' ? '' : 0);
    toxics.add({ name: `${type}_${toxics.size}`, type, stream: 'downstream', toxicity, attributes: full, definition });
  };
  const payloads = () =>
    new NatsParser(direction)
      .push(Buffer.concat(written))
      .frames.filter((f): f is NatsMessageFrame => f.kind === 'message')
      .map((f) => f.raw.subarray(f.bodyOffset + f.headerBytes, f.raw.length - 2).toString());
  return { flow, state, toxics, add, written, payloads, ended: () => ended };
}

const hpub = (subject: string, id: string, body: string) => {
  const h = `NATS/1.0\r\nNats-Msg-Id: ${id}\r\n\r\n`;
  return `HPUB ${subject} ${h.length} ${h.length + body.length}\r\n${h}${body}\r\n`;
};

describe('NatsFlow', () => {
  it('decides by message identity, so two arrival orders drop the same messages', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `m-${i}`);
    const dropped = (order: string[]) => {
      const h = harness('publish', 'same-seed');
      h.add('drop', {}, 0.5);
      for (const id of order) h.flow.write(Buffer.from(hpub('orders.placed', id, id)));
      const kept = new Set(h.payloads());
      return ids.filter((id) => !kept.has(id));
    };
    const forward = dropped(ids);
    const backward = dropped([...ids].reverse());
    expect(forward).toEqual(backward);
    expect(forward.length).toBeGreaterThan(5);
    expect(forward.length).toBeLessThan(35);
  });

  it('replays a journaled schedule exactly: the listed identities and attempts, with their values', () => {
    const h = harness('publish');
    h.add('duplicate', { replay: [{ id: 'publish jobs.run msgid=j-2', attempt: 1, value: { copies: 3 } }, { id: null, attempt: 0, ordinal: 4 }] });
    for (const id of ['j-1', 'j-2', 'j-2']) h.flow.write(Buffer.from(hpub('jobs.run', id, id)));
    h.flow.write(Buffer.from('PUB jobs.run 2\r\nno\r\n'));
    expect(h.payloads()).toEqual(['j-1', 'j-2', 'j-2', 'j-2', 'j-2', 'j-2', 'no', 'no']);
    const fired = h.state.journal.list().filter((e) => e.fired);
    expect(fired.map((e) => [e.identity, e.attempt, e.ordinal, e.value])).toEqual([
      ['publish jobs.run msgid=j-2', 1, 3, { copies: 3 }],
      [null, 0, 4, { copies: 1 }],
    ]);
  });

  it('releases a full reorder window in a different order, and non-matching messages pass it', () => {
    const h = harness('deliver');
    h.add('reorder', { window: 3, match: { subject: 'seq.*' } });
    for (const [i, s] of [[0, 'seq.n'], [1, 'other'], [2, 'seq.n'], [3, 'seq.n']] as const) h.flow.write(Buffer.from(`MSG ${s} 1 1\r\n${i}\r\n`));
    const got = h.payloads();
    expect(got[0]).toBe('1');
    expect(got.slice(1).sort()).toEqual(['0', '2', '3']);
    expect(got.slice(1)).not.toEqual(['0', '2', '3']);
  });

  it('ends its output only after delayed messages went out', async () => {
    const h = harness('publish');
    h.add('delay', { latency: 40 });
    const started = Date.now();
    h.flow.write(Buffer.from('PUB a 1\r\nx\r\nPING\r\n'));
    h.flow.end();
    expect(h.payloads()).toEqual([]);
    expect(Buffer.concat(h.written).toString()).toBe('PING\r\n');
    expect(h.ended()).toBe(false);
    while (!h.ended() && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 5));
    expect(Date.now() - started).toBeGreaterThanOrEqual(38);
    expect(h.payloads()).toEqual(['x']);
  });

  it('follows toxic updates and removals on an open connection', () => {
    const h = harness('publish');
    h.add('drop', { match: { subject: 'a' } });
    const toxic = h.state.active()[0]!.toxic;
    h.flow.write(Buffer.from('PUB a 1\r\n1\r\nPUB b 1\r\n2\r\n'));
    h.toxics.update(toxic.name, { ...toxic.attributes, match: { subject: 'b' } }, 1);
    h.flow.write(Buffer.from('PUB a 1\r\n3\r\nPUB b 1\r\n4\r\n'));
    h.toxics.remove(toxic.name);
    h.flow.write(Buffer.from('PUB a 1\r\n5\r\nPUB b 1\r\n6\r\n'));
    expect(h.payloads()).toEqual(['2', '3', '5', '6']);
  });

  it('never faults JetStream status messages (heartbeats, flow control)', () => {
    const h = harness('deliver');
    h.add('drop', {});
    const hb = 'NATS/1.0 100 Idle Heartbeat\r\n\r\n';
    h.flow.write(Buffer.from(`HMSG _INBOX.x 1 ${hb.length} ${hb.length}\r\n${hb}\r\nMSG a 1 1\r\nz\r\n`));
    expect(Buffer.concat(h.written).toString()).toBe(`HMSG _INBOX.x 1 ${hb.length} ${hb.length}\r\n${hb}\r\n`);
    expect(h.state.records.list().map((r) => [r.subject, r.delivered, r.dropped])).toEqual([['a', 1, 1]]);
  });
});
