/**
 * Issue #13 item 3: no API request can hold up another. Bodies are read concurrently and only the
 * state change is serialised; a stalled client (slow headers, or headers then half a body) is closed
 * after the header or body timeout, unanswered, without touching anyone else.
 */
import type { Socket } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { dial, rawRequest, readAll } from './helpers.js';

const HEADERS_TIMEOUT = 400;
const BODY_TIMEOUT = 700;
let server: ProxyServer;
const sockets: Socket[] = [];
beforeEach(async () => {
  server = await startProxyServer({ port: 0, headersTimeoutMs: HEADERS_TIMEOUT, bodyTimeoutMs: BODY_TIMEOUT });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server.close();
});

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

it('twenty stalled clients delay neither GET /version nor POST /proxies; they are closed after their timeouts', async () => {
  const t0 = performance.now();
  const slowHeaders: Array<ReturnType<typeof readAll>> = [];
  const halfBodies: Array<{ result: ReturnType<typeof readAll>; sentAt: number }> = [];
  for (let i = 0; i < 10; i++) {
    const s = await dial(server.port);
    sockets.push(s);
    slowHeaders.push(readAll(s));
    s.write('POST /proxies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le');
  }
  for (let i = 0; i < 10; i++) {
    const s = await dial(server.port);
    sockets.push(s);
    const result = readAll(s);
    const body = JSON.stringify({ name: `stalled${i}`, listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
    // Before the write: the server sees the headers (and starts the body clock) only after it.
    halfBodies.push({ result, sentAt: performance.now() });
    s.write(`POST /proxies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, body.length >> 1)}`);
  }

  const versions: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await timed(() => rawRequest(server.url, 'GET', '/version'));
    expect(r.value.status).toBe(200);
    versions.push(r.ms);
  }
  versions.sort((a, b) => a - b);
  expect(versions[2], JSON.stringify(versions)).toBeLessThan(100);
  const create = await timed(() =>
    rawRequest(server.url, 'POST', '/proxies', JSON.stringify({ name: 'meanwhile', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' })),
  );
  expect(create.value.status, create.value.body).toBe(201);
  expect(create.ms).toBeLessThan(HEADERS_TIMEOUT);

  for (const r of await Promise.all(slowHeaders)) {
    expect(r.data.length).toBe(0);
    // Node's timers and performance.now() round differently: a millisecond of slack, no more.
    expect(r.endedAt - t0).toBeGreaterThanOrEqual(HEADERS_TIMEOUT - 1);
    expect(r.endedAt - t0).toBeLessThan(HEADERS_TIMEOUT + 4_000);
  }
  for (const { result, sentAt } of halfBodies) {
    const r = await result;
    expect(r.data.length).toBe(0);
    expect(r.endedAt - sentAt).toBeGreaterThanOrEqual(BODY_TIMEOUT - 1);
    expect(r.endedAt - t0).toBeLessThan(BODY_TIMEOUT + 4_000);
  }
  // None of the stalled requests changed anything; the server still answers.
  expect(Object.keys(JSON.parse((await rawRequest(server.url, 'GET', '/proxies')).body) as object)).toEqual(['meanwhile']);
});

it('a client that sends its body slowly but within the timeout is served', async () => {
  const s = await dial(server.port);
  sockets.push(s);
  const got = readAll(s);
  const body = JSON.stringify({ name: 'slowbody', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
  s.write(`POST /proxies HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  // Meanwhile another client is answered at once.
  expect((await rawRequest(server.url, 'GET', '/version')).status).toBe(200);
  await new Promise((r) => setTimeout(r, BODY_TIMEOUT / 3));
  s.write(body.slice(10));
  const r = await got;
  expect(r.data.toString()).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
});

it('rejects timeouts that are not whole positive ms', async () => {
  await expect(startProxyServer({ port: 0, headersTimeoutMs: 0 })).rejects.toThrow(/headersTimeoutMs/);
  await expect(startProxyServer({ port: 0, bodyTimeoutMs: 1.5 })).rejects.toThrow(/bodyTimeoutMs/);
});

it('a router answer (404) goes out at once; a stalled body behind it still loses its connection', async () => {
  const s = await dial(server.port);
  sockets.push(s);
  const got = readAll(s);
  const t0 = performance.now();
  s.write('POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"half":');
  const r = await got;
  expect(r.data.toString()).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  expect(r.chunks[0]!.at - t0).toBeLessThan(BODY_TIMEOUT);
  expect(r.endedAt - t0).toBeGreaterThanOrEqual(BODY_TIMEOUT);
  expect(r.endedAt - t0).toBeLessThan(BODY_TIMEOUT + 4_000);
});
