/**
 * Each toxic's effect measured on real loopback connections. Timing asserts use a strict lower
 * bound and a loose upper bound (the CI machine has two busy cores).
 */
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { addToxicVia, createProxyVia, dial, portOf, rawRequest, readAll, sleep, startEcho, startUpstream } from './helpers.js';

let server: ProxyServer;
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  server = await startProxyServer({ port: 0, seed: 1 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await server.close();
});

const proxyTo = (upstream: string, name = 'p'): Promise<number> => createProxyVia(server.url, upstream, name);
const addToxic = (body: Record<string, unknown>, proxy = 'p'): Promise<void> => addToxicVia(server.url, body, proxy);

async function echoProxy(): Promise<number> {
  const echo = await startEcho();
  cleanups.push(() => echo.close());
  return proxyTo(echo.address);
}

/** A client socket whose next data arrival can be awaited. */
async function client(port: number): Promise<{ socket: Socket; rtt(text: string): Promise<{ ms: number; data: string }> }> {
  const socket = await dial(port);
  cleanups.push(() => void socket.destroy());
  return {
    socket,
    rtt: (text) =>
      new Promise((resolve) => {
        const start = performance.now();
        let got = '';
        const onData = (c: Buffer) => {
          got += c.toString();
          if (got.length >= text.length) {
            socket.off('data', onData);
            resolve({ ms: performance.now() - start, data: got });
          }
        };
        socket.on('data', onData);
        socket.write(text);
      }),
  };
}

/** An upstream that writes `payload` on connect, then ends. */
async function sender(payload: Buffer): Promise<string> {
  const up = await startUpstream((s) => {
    s.end(payload);
  });
  cleanups.push(() => up.close());
  return up.address;
}

describe('latency', () => {
  it('delays each direction by the requested latency (downstream + upstream add up)', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'latency', attributes: { latency: 100 } });
    const c = await client(port);
    const first = await c.rtt('ping');
    expect(first.data).toBe('ping');
    expect(first.ms).toBeGreaterThanOrEqual(100);
    expect(first.ms).toBeLessThan(400);
    await addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 50 } });
    const both = await c.rtt('pong');
    expect(both.ms).toBeGreaterThanOrEqual(150);
    expect(both.ms).toBeLessThan(500);
  });

  it('jitter stays within latency ± jitter', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'latency', attributes: { latency: 60, jitter: 30 } });
    const c = await client(port);
    for (let i = 0; i < 5; i++) {
      const r = await c.rtt(`j${i}`);
      expect(r.ms).toBeGreaterThanOrEqual(30);
      expect(r.ms).toBeLessThan(400);
    }
  });

  it('takes effect on an open connection when added, and stops when removed', async () => {
    const port = await echoProxy();
    const c = await client(port);
    expect((await c.rtt('a')).ms).toBeLessThan(250);
    await addToxic({ type: 'latency', name: 'lag', attributes: { latency: 400 } });
    expect((await c.rtt('b')).ms).toBeGreaterThanOrEqual(400);
    await rawRequest(server.url, 'DELETE', '/proxies/p/toxics/lag');
    expect((await c.rtt('c')).ms).toBeLessThan(250);
  });

  it('removing the toxic delivers the bytes it was holding at once, none lost', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'latency', name: 'lag', attributes: { latency: 5000 } });
    const c = await client(port);
    const pending = c.rtt('held-back-bytes');
    await sleep(100);
    const t0 = performance.now();
    await rawRequest(server.url, 'DELETE', '/proxies/p/toxics/lag');
    const r = await pending;
    expect(r.data).toBe('held-back-bytes');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('toxicity 0 never applies', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'latency', toxicity: 0, attributes: { latency: 1000 } });
    const c = await client(port);
    expect((await c.rtt('fast')).ms).toBeLessThan(500);
  });
});

describe('bandwidth', () => {
  it('limits throughput to the rate within 10 %', async () => {
    const size = 200_000;
    const port = await proxyTo(await sender(Buffer.alloc(size, 7)));
    await addToxic({ type: 'bandwidth', attributes: { rate: 200 } }); // 200 KB/s → 1 s
    const socket = await dial(port);
    const start = performance.now();
    const r = await readAll(socket);
    expect(r.data.length).toBe(size);
    const last = r.chunks[r.chunks.length - 1]!.at;
    const rate = size / ((last - start) / 1000);
    expect(rate).toBeGreaterThan(200_000 * 0.9);
    expect(rate).toBeLessThan(200_000 * 1.1);
  });
});

describe('limit_data', () => {
  it('cuts the downstream at exactly the limit, then closes', async () => {
    const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const port = await proxyTo(await sender(payload));
    await addToxic({ type: 'limit_data', attributes: { bytes: 1234 } });
    const r = await readAll(await dial(port));
    expect(r.data.length).toBe(1234);
    expect(r.data.equals(payload.subarray(0, 1234))).toBe(true);
  });

  it('cuts the upstream at exactly the limit', async () => {
    let received = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      void startUpstream((s) => {
        s.on('data', (c: Buffer) => (received = Buffer.concat([received, c])));
        s.on('end', () => resolve());
      }).then(async (up) => {
        cleanups.push(() => up.close());
        await proxyTo(up.address);
        await addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 10 } });
        const socket = await dial(portOf(JSON.parse((await rawRequest(server.url, 'GET', '/proxies/p')).body).listen));
        socket.on('error', () => {});
        socket.write('0123456789abcdefghij');
      });
    });
    await done;
    expect(received.toString()).toBe('0123456789');
  });
});

describe('reset_peer', () => {
  it('resets the connection on the first data: the client sees ECONNRESET', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'reset_peer', attributes: { timeout: 0 } });
    const socket = await dial(port);
    const r = readAll(socket);
    socket.write('trigger');
    const result = await r;
    expect(result.error).toBe('ECONNRESET');
    expect(result.data.length).toBe(0);
  });

  it('waits the timeout before resetting', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'reset_peer', attributes: { timeout: 150 } });
    const socket = await dial(port);
    const r = readAll(socket);
    const start = performance.now();
    socket.write('trigger');
    const result = await r;
    expect(result.error).toBe('ECONNRESET');
    expect(result.endedAt - start).toBeGreaterThanOrEqual(150);
  });
});

describe('timeout', () => {
  it('lets nothing through, then closes after the timeout', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'timeout', attributes: { timeout: 200 } });
    const socket = await dial(port);
    const r = readAll(socket);
    const start = performance.now();
    socket.write('anyone there?');
    const result = await r;
    expect(result.data.length).toBe(0);
    expect(result.error).toBeUndefined();
    expect(result.endedAt - start).toBeGreaterThanOrEqual(200);
    expect(result.endedAt - start).toBeLessThan(1500);
  });

  it('timeout 0 stalls until removed; removing it closes the connection it held (FIN)', async () => {
    const port = await echoProxy();
    await addToxic({ type: 'timeout', name: 'stall', attributes: { timeout: 0 } });
    const c = await client(port);
    const r = readAll(c.socket);
    c.socket.write('dropped on the floor');
    await sleep(300);
    expect(c.socket.destroyed).toBe(false);
    await rawRequest(server.url, 'DELETE', '/proxies/p/toxics/stall');
    const result = await r;
    expect(result.data.length).toBe(0);
    expect(result.error).toBeUndefined();
    // New connections are not affected.
    const again = await client(port);
    expect((await again.rtt('later')).data).toBe('later');
  });
});

describe('slow_close', () => {
  it('delivers data promptly but delays the close', async () => {
    const port = await proxyTo(await sender(Buffer.from('bye')));
    await addToxic({ type: 'slow_close', attributes: { delay: 600 } });
    const socket = await dial(port);
    const start = performance.now();
    const r = await readAll(socket);
    expect(r.data.toString()).toBe('bye');
    expect(r.chunks[0]!.at - start).toBeLessThan(400);
    expect(r.endedAt - start).toBeGreaterThanOrEqual(600);
  });
});

describe('slicer', () => {
  it('splits data into small delayed pieces, byte-exact', async () => {
    const payload = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3));
    const port = await proxyTo(await sender(payload));
    await addToxic({ type: 'slicer', attributes: { average_size: 10, size_variation: 4, delay: 20_000 } });
    const start = performance.now();
    const r = await readAll(await dial(port));
    expect(r.data.toString()).toBe(payload.toString());
    // A busy client may read two pieces at once; most reads still see a single small piece.
    expect(r.chunks.length).toBeGreaterThanOrEqual(5);
    expect(r.chunks.filter((c) => c.size <= 14).length, JSON.stringify(r.chunks.map((c) => c.size))).toBeGreaterThanOrEqual(4);
    expect(r.endedAt - start).toBeGreaterThanOrEqual(100);
  });
});

describe('enabled:false (down)', () => {
  it('refuses new connections and closes open ones; re-enabling serves again', async () => {
    const port = await echoProxy();
    const c = await client(port);
    expect((await c.rtt('up')).data).toBe('up');
    const closed = new Promise<void>((r) => c.socket.once('close', () => r()));
    await rawRequest(server.url, 'POST', '/proxies/p', JSON.stringify({ enabled: false }));
    await closed;
    await expect(dial(port)).rejects.toThrow(/ECONNREFUSED/);
    await rawRequest(server.url, 'POST', '/proxies/p', JSON.stringify({ enabled: true }));
    const again = await client(port);
    expect((await again.rtt('again')).data).toBe('again');
  });
});
