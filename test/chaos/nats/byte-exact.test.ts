/**
 * Byte-exact framing of the NATS client protocol, property-based: random PUB/HPUB/MSG/HMSG and
 * control sequences (payloads with CRLF inside, random operation case, spaces or tabs), split
 * at random byte boundaries, through the parser and through a live `nats` proxy between two raw
 * TCP peers, with no toxic and with a toxic that matches nothing (the per-frame path).
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageHeaders, messagePayload, NatsParser, type NatsDirection, type NatsFrame } from '../../../src/chaos/nats/parser.js';
import { startProxyServer, type ProxyServer } from '../../../src/chaos/server.js';
import { startUpstream } from '../helpers.js';
import { api } from './helpers.js';

interface Spec {
  bytes: Buffer;
  /** What the parser must report: op and, for messages, subject, reply, sid, headers and payload. */
  expect: { op: string; subject?: string; reply?: string | null; sid?: string | null; headerBytes?: number; payload?: Buffer };
}

const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const subject = fc.array(token, { minLength: 1, maxLength: 4 }).map((t) => t.join('.'));
const sep = fc.constantFrom(' ', '\t', '  ', ' \t');
const opCase = (op: string) => fc.constantFrom(op, op.toLowerCase(), op[0] + op.slice(1).toLowerCase());
const payload = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(new Uint8Array(0), Buffer.from('a\r\nb\r\n'), Buffer.from('PUB x 1\r\n'))).map((b) => Buffer.from(b));
const headerBlock = fc
  .array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/), fc.stringMatching(/^[ -~]{0,20}$/)), { maxLength: 4 })
  .map((hs) => Buffer.from(`NATS/1.0\r\n${hs.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`));

function message(direction: NatsDirection): fc.Arbitrary<Spec> {
  return fc
    .record({
      withHeaders: fc.boolean(),
      subject,
      reply: fc.option(subject, { nil: null }),
      sid: fc.integer({ min: 1, max: 99999 }).map(String),
      headers: headerBlock,
      payload,
      s: sep,
      op: fc.constant(0),
    })
    .chain((r) => {
      const base = direction === 'publish' ? (r.withHeaders ? 'HPUB' : 'PUB') : r.withHeaders ? 'HMSG' : 'MSG';
      return opCase(base).map((op) => {
        const h = r.withHeaders ? r.headers : Buffer.alloc(0);
        const sizes = r.withHeaders ? [h.length, h.length + r.payload.length] : [r.payload.length];
        const args = [r.subject, ...(direction === 'deliver' ? [r.sid] : []), ...(r.reply ? [r.reply] : []), ...sizes.map(String)];
        const bytes = Buffer.concat([Buffer.from(`${op}${r.s}${args.join(r.s)}\r\n`), h, r.payload, Buffer.from('\r\n')]);
        return {
          bytes,
          expect: { op: base, subject: r.subject, reply: r.reply, sid: direction === 'deliver' ? r.sid : null, headerBytes: h.length, payload: r.payload },
        };
      });
    });
}

function control(direction: NatsDirection): fc.Arbitrary<Spec> {
  const lines =
    direction === 'publish'
      ? ['PING', 'PONG', 'SUB orders.* 1', 'SUB orders.> workers 22', 'UNSUB 1', 'UNSUB 2 10', 'CONNECT {"verbose":false,"headers":true}']
      : ['PING', 'PONG', '+OK', "-ERR 'Stale Connection'", 'INFO {"server_id":"x","headers":true,"max_payload":1048576}'];
  return fc.tuple(fc.constantFrom(...lines), fc.constantFrom('\r\n', '\n')).map(([line, eol]) => ({
    bytes: Buffer.from(line + eol),
    expect: { op: line.split(' ')[0]!.toUpperCase() },
  }));
}

const sequence = (direction: NatsDirection) => fc.array(fc.oneof({ weight: 3, arbitrary: message(direction) }, { weight: 1, arbitrary: control(direction) }), { maxLength: 25 });

/** Cuts `bytes` at the given fractions (sorted, deduplicated). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    if (c > prev) out.push(bytes.subarray(prev, c));
    prev = Math.max(prev, c);
  }
  return out;
}
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('NatsParser (property-based)', () => {
  for (const direction of ['publish', 'deliver'] as const) {
    it(`frames random ${direction} sequences split anywhere, keeping every byte`, () => {
      fc.assert(
        fc.property(sequence(direction), cuts, (specs, cutAt) => {
          const input = Buffer.concat(specs.map((s) => s.bytes));
          const parser = new NatsParser(direction);
          const frames: NatsFrame[] = [];
          const forwarded: Buffer[] = [];
          for (const piece of split(input, cutAt)) {
            const r = parser.push(piece);
            frames.push(...r.frames);
            forwarded.push(r.bytes);
            expect(r.opaque).toBeNull();
            expect(Buffer.concat(r.frames.map((f) => f.raw)).equals(r.bytes)).toBe(true);
          }
          expect(parser.opaque).toBeNull();
          expect(parser.heldBytes).toBe(0);
          expect(Buffer.concat(forwarded).equals(input)).toBe(true);
          expect(frames).toHaveLength(specs.length);
          frames.forEach((f, i) => {
            const want = specs[i]!.expect;
            expect(f.op).toBe(want.op);
            if (f.kind !== 'message') return;
            expect(f).toMatchObject({ subject: want.subject, reply: want.reply, sid: want.sid, headerBytes: want.headerBytes });
            expect(messagePayload(f).equals(want.payload!)).toBe(true);
            if (f.headerBytes > 0) expect(messageHeaders(f).status).toBeNull();
          });
        }),
        { numRuns: 300 },
      );
    });
  }

  it('turns opaque on what it cannot frame, and still returns every byte', () => {
    const bad = fc.constantFrom('GARBAGE\r\n', 'PUB a notanumber\r\n', 'PUB a 3\r\nabcXY', 'HPUB a 9 3\r\n', '\x16\x03\x01\x02\x00', 'MSG a 1 2\r\nhi\r\n');
    fc.assert(
      fc.property(sequence('publish'), bad, sequence('publish'), cuts, (before, junk, after, cutAt) => {
        const input = Buffer.concat([...before.map((s) => s.bytes), Buffer.from(junk, 'latin1'), ...after.map((s) => s.bytes)]);
        const parser = new NatsParser('publish');
        const out: Buffer[] = [];
        for (const piece of split(input, cutAt)) {
          const r = parser.push(piece);
          out.push(r.bytes);
          if (r.opaque) out.push(r.opaque);
        }
        out.push(parser.goOpaque('end'));
        expect(Buffer.concat(out).equals(input)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('goes opaque on a control line over its limit instead of holding it', () => {
    const parser = new NatsParser('publish', { maxControlLine: 64 });
    const r = parser.push(Buffer.from('PUB ' + 'a'.repeat(100)));
    expect(parser.opaque).toContain('control line');
    expect(r.opaque!.length).toBe(104);
  });
});

describe('a live nats proxy between raw TCP peers (property-based)', { timeout: 120_000 }, () => {
  let server: ProxyServer;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let proxyPort = 0;
  /** What the upstream sends on the next connection, and how it reports what it received. */
  let script: { pieces: Buffer[]; received: Buffer[]; done: (got: Buffer) => void } | null = null;

  beforeAll(async () => {
    upstream = await startUpstream((socket) => {
      const s = script!;
      socket.on('data', (c: Buffer) => s.received.push(c));
      socket.on('end', () => s.done(Buffer.concat(s.received)));
      void (async () => {
        for (const p of s.pieces) {
          socket.write(p);
          await new Promise((r) => setImmediate(r));
        }
        socket.end();
      })();
    });
    server = await startProxyServer({ port: 0, seed: 1 });
    const res = await api(server.url, 'POST', '/proxies', { name: 'raw', listen: '127.0.0.1:0', upstream: upstream.address, protocol: 'nats' });
    proxyPort = Number(/:(\d+)"/.exec(res.text)![1]);
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  async function roundTrip(toServer: Buffer[], toClient: Buffer[]): Promise<{ atServer: Buffer; atClient: Buffer }> {
    let resolveServer!: (b: Buffer) => void;
    const atServer = new Promise<Buffer>((r) => (resolveServer = r));
    script = { pieces: toClient, received: [], done: resolveServer };
    const socket: Socket = connect({ host: '127.0.0.1', port: proxyPort });
    const got: Buffer[] = [];
    const atClient = new Promise<Buffer>((resolve, reject) => {
      socket.on('data', (c: Buffer) => got.push(c));
      socket.on('end', () => resolve(Buffer.concat(got)));
      socket.on('error', reject);
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    for (const p of toServer) {
      socket.write(p);
      await new Promise((r) => setImmediate(r));
    }
    socket.end();
    const [a, b] = await Promise.all([atServer, atClient]);
    socket.destroy();
    return { atServer: a, atClient: b };
  }

  it('turns a connection opaque when the server requires TLS: nothing after INFO is framed or faulted', async () => {
    const res = await api(server.url, 'POST', '/proxies/raw/toxics', { name: 'drop_all', type: 'drop' });
    expect(res.status).toBe(200);
    const down = Buffer.from('INFO {"server_id":"x","tls_required":true}\r\nMSG a 1 1\r\nx\r\n\x16\x03\x01garbage');
    const up = Buffer.from('\x16\x03\x01\x00\x05hello PUB a 1\r\ny\r\n', 'latin1');
    try {
      const { atServer, atClient } = await roundTrip([up], [down]);
      expect(atServer.equals(up)).toBe(true);
      expect(atClient.equals(down)).toBe(true);
    } finally {
      expect((await api(server.url, 'DELETE', '/proxies/raw/toxics/drop_all')).status).toBe(204);
    }
  });

  for (const withToxic of [false, true]) {
    it(`forwards both directions byte for byte (${withToxic ? 'a toxic that matches nothing' : 'no toxic'})`, async () => {
      if (withToxic) {
        const res = await api(server.url, 'POST', '/proxies/raw/toxics', { type: 'drop', attributes: { match: { subject: 'never.matches.this' } } });
        expect(res.status).toBe(200);
      }
      await fc.assert(
        fc.asyncProperty(sequence('publish'), sequence('deliver'), cuts, cuts, async (pub, del, cutsUp, cutsDown) => {
          const up = Buffer.concat(pub.map((s) => s.bytes));
          const down = Buffer.concat(del.map((s) => s.bytes));
          const { atServer, atClient } = await roundTrip(split(up, cutsUp), split(down, cutsDown));
          expect(atServer.equals(up)).toBe(true);
          expect(atClient.equals(down)).toBe(true);
        }),
        { numRuns: 40 },
      );
    });
  }
});
