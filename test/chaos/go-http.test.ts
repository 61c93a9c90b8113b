/**
 * Go net/http's framing rules (src/chaos/go-http.ts), as properties over every status, method,
 * protocol version, Connection header and body size, and as byte streams on real sockets: the
 * chunked / Content-Length boundary at 2048 bytes, keep-alive, and bodies arriving intact.
 */
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GO_RESPONSE_BUFFER, goFraming, sendGoAnswer } from '../../src/chaos/go-http.js';
import { dial, RawResponses } from './helpers.js';

const statusArb = fc.constantFrom(200, 201, 204, 301, 304, 400, 404, 405, 500);
const methodArb = fc.constantFrom('GET', 'POST', 'HEAD', 'DELETE');
const versionArb = fc.constantFrom<[number, number]>([1, 0], [1, 1]);
const connectionArb = fc.constantFrom(undefined, 'close', 'keep-alive', 'Keep-Alive, Upgrade', 'CLOSE');
const lengthArb = fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(0, GO_RESPONSE_BUFFER - 1, GO_RESPONSE_BUFFER, GO_RESPONSE_BUFFER + 1));

it('header order, Content-Length, chunking and Connection follow Go for every combination', () => {
  fc.assert(
    fc.property(statusArb, methodArb, versionArb, connectionArb, lengthArb, (status, method, [major, minor], connection, length) => {
      const req = { method, httpVersionMajor: major, httpVersionMinor: minor, headers: connection === undefined ? {} : { connection } };
      const answer = { status, headers: [['X-Toxiproxy-Request-Id', 'id'], ['Content-Type', 'application/json']] as Array<[string, string]>, body: Buffer.alloc(length) };
      const { headers, close, chunked } = goFraming(req, answer, 'D');
      const names = headers.map(([k]) => k);
      const value = (k: string) => headers.find(([n]) => n === k)?.[1];
      const bodyAllowed = status !== 204 && status !== 304;
      const isHead = method === 'HEAD';
      const tokens = (connection ?? '').toLowerCase();
      // Handler headers sorted, then Go's extra headers in their fixed order.
      expect(names.slice(0, 3)).toEqual(['Content-Type', 'X-Toxiproxy-Request-Id', 'Date']);
      const extras = names.slice(2);
      expect(extras).toEqual(['Date', 'Content-Length', 'Connection', 'Transfer-Encoding'].filter((k) => extras.includes(k)));
      const hasLength = bodyAllowed && length <= GO_RESPONSE_BUFFER && (!isHead || length > 0);
      expect(value('Content-Length')).toBe(hasLength ? String(length) : undefined);
      expect(chunked).toBe(minor === 1 && bodyAllowed && !isHead && length > GO_RESPONSE_BUFFER);
      expect(value('Transfer-Encoding')).toBe(chunked ? 'chunked' : undefined);
      const wantsClose = tokens.includes('close') || (minor === 0 && !tokens.includes('keep-alive'));
      const unframed = minor === 0 && bodyAllowed && !isHead && length > GO_RESPONSE_BUFFER;
      expect(close).toBe(wantsClose || unframed);
      if (minor === 1) expect(value('Connection')).toBe(close ? 'close' : undefined);
      else expect(value('Connection')).toBe(!close && tokens.includes('keep-alive') ? 'keep-alive' : undefined);
    }),
    { numRuns: 2000 },
  );
});

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
    sendGoAnswer(req, res, { status: 200, headers: [['Content-Type', 'text/plain']], body: Buffer.alloc(n, 'b') });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it('on a real kept-alive socket: bodies intact, chunked exactly above 2048 bytes, no Keep-Alive header', async () => {
  const socket = await dial(port);
  const responses = new RawResponses(socket);
  try {
    await fc.assert(
      fc.asyncProperty(lengthArb, async (n) => {
        socket.write(`GET /?n=${n} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const raw = await responses.next('GET');
        const [head, ...rest] = raw.split('\r\n\r\n');
        const body = rest.join('\r\n\r\n');
        expect(head).not.toMatch(/keep-alive|connection:/i);
        if (n > GO_RESPONSE_BUFFER) {
          expect(head).toMatch(/\r\nTransfer-Encoding: chunked$/);
          expect(body).toBe(`${n.toString(16)}\r\n${'b'.repeat(n)}\r\n0\r\n\r\n`);
        } else {
          expect(head).toMatch(new RegExp(`\\r\\nContent-Length: ${n}$`));
          expect(body).toBe('b'.repeat(n));
        }
      }),
      { numRuns: 60 },
    );
    expect(responses.isClosed).toBe(false);
  } finally {
    socket.destroy();
  }
});

it('HTTP/1.0: keep-alive answered with Connection: keep-alive; a large body is unframed and closes', async () => {
  const socket = await dial(port);
  const responses = new RawResponses(socket);
  socket.write('GET /?n=10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const first = await responses.next('GET');
  // Go's status line follows the request's version (writeStatusLine(is11 = req.ProtoAtLeast(1, 1))).
  expect(first).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
  expect(first).toMatch(/\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\nb{10}$/);
  socket.write('GET /?n=3000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  const raw = await responses.next('GET');
  expect(raw).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
  expect(raw).not.toMatch(/Content-Length|Transfer-Encoding|Connection:/);
  expect(raw.endsWith(`\r\n\r\n${'b'.repeat(3000)}`)).toBe(true);
  expect(responses.isClosed).toBe(true);
});
