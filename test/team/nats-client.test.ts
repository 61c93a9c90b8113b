/**
 * The reference team's minimal NATS client (scenarios/team/lib/nats.mjs): against a TCP server the
 * test runs, random MSG / HMSG / PING / status frames split at random byte boundaries reach the
 * subscription byte for byte, status messages (heartbeats, flow control) are not handed over, and
 * a PING is answered; against a real nats-server, request-reply and the JetStream API work.
 */
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the reference team, no types
import { ackInfo, connectNats } from '../../scenarios/team/lib/nats.mjs';
import { natsSkipReason, startNatsServer } from '../chaos/nats/helpers.js';

interface Frame {
  kind: 'msg' | 'hmsg' | 'status' | 'ping';
  subject: string;
  reply: string | null;
  payload: Uint8Array;
  header: string;
}

const token = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const frame: fc.Arbitrary<Frame> = fc.record({
  kind: fc.constantFrom('msg', 'hmsg', 'status', 'ping'),
  subject: fc.array(token, { minLength: 1, maxLength: 3 }).map((t) => t.join('.')),
  reply: fc.option(token.map((t) => `$JS.ACK.S.c.1.${t.length}.1.0.0`), { nil: null }),
  payload: fc.uint8Array({ maxLength: 200 }),
  header: fc.stringMatching(/^[A-Za-z]{1,8}$/),
});

function encode(f: Frame, sid: string): Buffer {
  if (f.kind === 'ping') return Buffer.from('PING\r\n');
  const reply = f.reply ? ` ${f.reply}` : '';
  if (f.kind === 'msg') return Buffer.concat([Buffer.from(`MSG ${f.subject} ${sid}${reply} ${f.payload.length}\r\n`), f.payload, Buffer.from('\r\n')]);
  const h = Buffer.from(f.kind === 'status' ? 'NATS/1.0 100 Idle Heartbeat\r\n\r\n' : `NATS/1.0\r\nX-Name: ${f.header}\r\n\r\n`);
  return Buffer.concat([Buffer.from(`HMSG ${f.subject} ${sid}${reply} ${h.length} ${h.length + f.payload.length}\r\n`), h, f.payload, Buffer.from('\r\n')]);
}

/** A server speaking just enough NATS: INFO, PONG to PINGs, then `script` once the client subscribed. */
async function fakeServer(onSubscribed: (socket: net.Socket, sid: string) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.write('INFO {"server_id":"fake","version":"2.9.0","headers":true,"max_payload":1048576}\r\n');
    let text = '';
    socket.on('data', (b) => {
      text += b.toString('latin1');
      let eol: number;
      while ((eol = text.indexOf('\r\n')) >= 0) {
        const line = text.slice(0, eol);
        text = text.slice(eol + 2);
        if (line === 'PING') socket.write('PONG\r\n');
        const sub = /^SUB test\.> (\d+)$/.exec(line);
        if (sub) onSubscribed(socket, sub[1]!);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { url: `nats://127.0.0.1:${port}`, close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))) };
}

describe('the reference team NATS client', () => {
  it('hands every message over byte for byte whatever the read boundaries, and no status message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 25 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), async (frames, cuts) => {
        const got: Array<{ subject: string; reply: string | null; data: Buffer; headers: Record<string, string> | null }> = [];
        let pongs = 0;
        const server = await fakeServer((socket, sid) => {
          const bytes = Buffer.concat(frames.map((f) => encode({ ...f, subject: `test.${f.subject}` }, sid)));
          // Written in pieces of the drawn sizes, each its own write (so its own read, usually).
          let at = 0;
          let i = 0;
          const next = () => {
            if (at >= bytes.length) return;
            const n = cuts[i++ % cuts.length]!;
            socket.write(bytes.subarray(at, at + n));
            at += n;
            setImmediate(next);
          };
          next();
          socket.on('data', (b) => (pongs += (b.toString('latin1').match(/PONG\r\n/g) ?? []).length));
        });
        const nc = await connectNats(server.url, { name: 'prop' });
        try {
          nc.subscribe('test.>', (m: (typeof got)[number]) => got.push(m));
          const want = frames.filter((f) => f.kind === 'msg' || f.kind === 'hmsg');
          const pings = frames.filter((f) => f.kind === 'ping').length;
          const deadline = Date.now() + 20_000;
          while ((got.length < want.length || pongs < pings) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          expect(got.map((m) => [m.subject, m.reply, Buffer.from(m.data).toString('hex'), m.headers?.['x-name'] ?? null])).toEqual(
            want.map((f) => [`test.${f.subject}`, f.reply, Buffer.from(f.payload).toString('hex'), f.kind === 'hmsg' ? f.header : null]),
          );
          expect(pongs).toBe(pings);
        } finally {
          await nc.close();
          await server.close();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('reads JetStream ack subjects and nothing else', () => {
    expect(ackInfo('$JS.ACK.ORDERS.ledger.2.7.9.1796165000000000000.3')).toEqual({ stream: 'ORDERS', consumer: 'ledger', delivered: 2, streamSeq: 7, pending: 3 });
    expect(ackInfo('_INBOX.abc.1')).toBeNull();
    expect(ackInfo(null)).toBeNull();
  });

  const skip = natsSkipReason();
  it.skipIf(skip !== null)('makes JetStream API calls on a real nats-server, and an API error carries its code', async () => {
    const server = await startNatsServer();
    const nc = await connectNats(server.url, { name: 'api' });
    try {
      const created = await nc.jsApi('STREAM.CREATE.T', { name: 'T', subjects: ['t.>'], storage: 'memory' });
      expect(created.config.name).toBe('T');
      const ack = JSON.parse((await nc.request('t.one', 'x', { headers: { 'Nats-Msg-Id': 'a' } })).data.toString());
      expect(ack).toMatchObject({ stream: 'T', seq: 1 });
      const again = JSON.parse((await nc.request('t.one', 'x', { headers: { 'Nats-Msg-Id': 'a' } })).data.toString());
      expect(again).toMatchObject({ seq: 1, duplicate: true });
      await expect(nc.jsApi('STREAM.INFO.NOPE', undefined)).rejects.toMatchObject({ code: 10059 });
      await expect(nc.request('nobody.here', 'x', { timeoutMs: 5000 })).rejects.toThrow('no responders');
    } finally {
      await nc.close();
      await server.stop();
    }
  }, 60_000);
});
