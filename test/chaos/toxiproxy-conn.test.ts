/**
 * Connection behaviours that must match Toxiproxy 2.7.0 (issue #16's side-by-side run), on real
 * loopback connections. Timing: strict lower bounds, loose upper bounds (busy 2-core CI).
 */
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { addToxicVia, createProxyVia, dial, rawRequest, readAll, sleep, startEcho, startUpstream } from './helpers.js';

let server: ProxyServer;
const cleanups: Array<() => unknown> = [];
beforeEach(async () => {
  server = await startProxyServer({ port: 0, seed: 5 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await server.close();
});

const proxyTo = (upstream: string): Promise<number> => createProxyVia(server.url, upstream);
const addToxic = (body: Record<string, unknown>): Promise<void> => addToxicVia(server.url, body);

async function open(port: number): Promise<Socket> {
  const socket = await dial(port);
  cleanups.push(() => socket.destroy());
  return socket;
}

describe('timeout toxic removed', () => {
  // toxics/timeout.go: TimeoutToxic.Cleanup(stub) closes the stub; link.go RemoveToxic calls it, so
  // the link's output ends and dest.Close() closes the connections the toxic was holding.
  it('closes (FIN, no reset) every connection it was holding, for timeout 0 and > 0', async () => {
    const echo = await startEcho();
    cleanups.push(() => echo.close());
    const port = await proxyTo(echo.address);
    await addToxic({ type: 'timeout', name: 'hold', attributes: { timeout: 60_000 } });
    const held = await Promise.all([open(port), open(port)]);
    const results = held.map((s) => readAll(s));
    for (const s of held) s.write('stuck');
    await sleep(100);
    const t0 = performance.now();
    expect((await rawRequest(server.url, 'DELETE', '/proxies/p/toxics/hold')).status).toBe(204);
    for (const r of await Promise.all(results)) {
      expect(r.error).toBeUndefined();
      expect(r.data.length).toBe(0);
      expect(r.endedAt - t0).toBeLessThan(2_000);
    }
  });
});

describe('reset_peer with a timeout, upstream closing after its answer', () => {
  // toxics/reset_peer.go: ResetToxic.Pipe waits time.After(timeout) on the first chunk, and a closed
  // input reads as one more (nil) chunk; then stub.Close() with SetLinger(0) (link.go) sends RST.
  // Toxiproxy measured 502–506 ms for timeout 500 on a `Connection: close` request.
  it('waits the timeout, then RST instead of passing the upstream FIN through', async () => {
    const http = await startUpstream((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    });
    cleanups.push(() => http.close());
    const port = await proxyTo(http.address);
    await addToxic({ type: 'reset_peer', attributes: { timeout: 500 } });
    const socket = await open(port);
    const result = readAll(socket);
    const t0 = performance.now();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const r = await result;
    expect(r.error).toBe('ECONNRESET');
    expect(r.data.length).toBe(0);
    expect(r.endedAt - t0).toBeGreaterThanOrEqual(500);
    expect(r.endedAt - t0).toBeLessThan(2_500);
  });

  it('an upstream that closes without sending anything also gets the RST after the timeout', async () => {
    const silent = await startUpstream((socket) => socket.end());
    cleanups.push(() => silent.close());
    const port = await proxyTo(silent.address);
    await addToxic({ type: 'reset_peer', attributes: { timeout: 300 } });
    const t0 = performance.now();
    const r = await readAll(await open(port));
    expect(r.error).toBe('ECONNRESET');
    expect(r.endedAt - t0).toBeGreaterThanOrEqual(300);
    expect(r.endedAt - t0).toBeLessThan(2_500);
  });
});

describe('slicer with microsecond delays', () => {
  // toxics/slicer.go: one write per piece, then time.After(delay µs). Toxiproxy measured 59–78
  // reads over 29–57 ms for 1 KiB with average_size 8, size_variation 2, delay 10.
  it('1 KiB in ~128 pieces arrives as many small reads, each piece at least the delay apart', async () => {
    const payload = Buffer.alloc(1024, 'x');
    const up = await startUpstream((socket) => socket.end(payload));
    cleanups.push(() => up.close());
    const port = await proxyTo(up.address);
    await addToxic({ type: 'slicer', attributes: { average_size: 8, size_variation: 2, delay: 10 } });
    const r = await readAll(await open(port));
    expect(r.data.equals(payload)).toBe(true);
    const sizes = r.chunks.map((c) => c.size);
    // Toxiproxy's fewest was 59; before the fix agentcheck gave 5–29.
    expect(sizes.length, JSON.stringify(sizes)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...sizes)).toBeLessThan(256);
    const span = r.chunks.at(-1)!.at - r.chunks[0]!.at;
    // At least (reads − 1) × 10 µs between the first and the last read.
    expect(span).toBeGreaterThanOrEqual(((sizes.length - 1) * 10) / 1000);
    expect(span).toBeLessThan(3_000);
  });
});
