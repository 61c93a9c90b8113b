/**
 * Same seed ⇒ same fault decisions (toxicity rolls, slicer sizes, jitter draws); a different seed
 * gives different ones. Decisions are forked per proxy and connection, so they replay.
 */
import { afterEach, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { dial, portOf, rawRequest, readAll, startEcho, startUpstream } from './helpers.js';

const servers: ProxyServer[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const c of closers.splice(0)) await c();
});

async function serverWith(seed: number, upstream: string, toxic: Record<string, unknown>): Promise<number> {
  const server = await startProxyServer({ port: 0, seed });
  servers.push(server);
  const res = await rawRequest(server.url, 'POST', '/proxies', JSON.stringify({ name: 'edge', listen: '127.0.0.1:0', upstream }));
  const add = await rawRequest(server.url, 'POST', '/proxies/edge/toxics', JSON.stringify(toxic));
  expect(add.status).toBe(200);
  return portOf((JSON.parse(res.body) as { listen: string }).listen);
}

/** For each of `n` sequential connections: did limit_data(0) cut it (true) or did the echo come back? */
async function toxicityPattern(seed: number, n: number): Promise<boolean[]> {
  const echo = await startEcho();
  closers.push(() => echo.close());
  const port = await serverWith(seed, echo.address, { type: 'limit_data', toxicity: 0.5, attributes: { bytes: 0 } });
  const pattern: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const socket = await dial(port);
    const r = readAll(socket);
    socket.end('x');
    pattern.push((await r).data.length === 0);
  }
  return pattern;
}

it('toxicity 0.5: same seed, same connections hit; another seed, another pattern', async () => {
  const a = await toxicityPattern(7, 40);
  const b = await toxicityPattern(7, 40);
  const c = await toxicityPattern(8, 40);
  expect(a).toEqual(b);
  expect(c).not.toEqual(a);
  const hits = a.filter(Boolean).length;
  expect(hits).toBeGreaterThan(8);
  expect(hits).toBeLessThan(32);
});

async function slicerSizes(seed: number): Promise<number[]> {
  const payload = Buffer.alloc(240, 1);
  const up = await startUpstream((s) => s.end(payload));
  closers.push(() => up.close());
  const port = await serverWith(seed, up.address, { type: 'slicer', attributes: { average_size: 24, size_variation: 16, delay: 15_000 } });
  const r = await readAll(await dial(port));
  expect(r.data.length).toBe(240);
  return r.chunks.map((c) => c.size);
}

it('slicer sizes replay for the same seed', async () => {
  const a = await slicerSizes(11);
  const b = await slicerSizes(11);
  const c = await slicerSizes(12);
  expect(a.length).toBeGreaterThan(4);
  expect(a).toEqual(b);
  expect(c).not.toEqual(a);
});

async function jitterDelays(seed: number): Promise<number[]> {
  const echo = await startEcho();
  closers.push(() => echo.close());
  const port = await serverWith(seed, echo.address, { type: 'latency', attributes: { latency: 300, jitter: 250 } });
  const socket = await dial(port);
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write(`m${i}`);
    });
    delays.push(performance.now() - start);
  }
  socket.destroy();
  return delays;
}

it('jitter draws replay for the same seed (within timer noise)', async () => {
  const [a, b, c] = await Promise.all([jitterDelays(21), jitterDelays(21), jitterDelays(22)]);
  for (let i = 0; i < a.length; i++) {
    expect(a[i]!).toBeGreaterThanOrEqual(50);
    expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(40);
  }
  expect(a.some((d, i) => Math.abs(d - c[i]!) > 60)).toBe(true);
});
