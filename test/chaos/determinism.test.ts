/**
 * Same seed ⇒ same fault decisions (toxicity rolls, slicer sizes, jitter draws); a different seed
 * gives different ones. Decisions are forked per proxy and connection, so they replay.
 */
import { afterEach, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { createRng } from '../../src/chaos/rng.js';
import { slicePieces } from '../../src/chaos/toxics/slicer.js';
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

/**
 * The random source a toxic gets on connection `conn` (the documented fork path
 * `proxy:<name>` → `conn:<n>` → `toxic:<name>`), after its toxicity roll.
 */
function toxicRng(seed: number, toxic: string, conn = 1) {
  const rng = createRng(seed).fork('proxy:edge').fork(`conn:${conn}`).fork(`toxic:${toxic}`);
  rng.next(); // the toxicity roll
  return rng;
}

/** Byte offsets where the client's reads ended. */
async function slicerReadBoundaries(seed: number): Promise<number[]> {
  const payload = Buffer.alloc(240, 1);
  const up = await startUpstream((s) => s.end(payload));
  closers.push(() => up.close());
  const port = await serverWith(seed, up.address, { type: 'slicer', attributes: { average_size: 24, size_variation: 16, delay: 15_000 } });
  const r = await readAll(await dial(port));
  expect(r.data.length).toBe(240);
  let at = 0;
  return r.chunks.map((c) => (at += c.size));
}

function predictedBoundaries(seed: number): number[] {
  let at = 0;
  return slicePieces(240, 24, 16, toxicRng(seed, 'slicer_downstream')).map((n) => (at += n));
}

it('slicer sizes follow the seed: every read ends on a piece boundary drawn from it', async () => {
  const predicted = predictedBoundaries(11);
  expect(predicted.length).toBeGreaterThan(5);
  expect(predictedBoundaries(11)).toEqual(predicted);
  expect(predictedBoundaries(12)).not.toEqual(predicted);
  for (const seed of [11, 11]) {
    const seen = await slicerReadBoundaries(seed);
    // A busy client may merge two pieces into one read, never split one: reads end on boundaries.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const b of seen) expect(predicted, `read ending at ${b}`).toContain(b);
  }
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

it('jitter draws follow the seed: each delay is at least the seeded draw, and close to it', async () => {
  const draws = (seed: number) => {
    const rng = toxicRng(seed, 'latency_downstream');
    return Array.from({ length: 5 }, () => 300 + rng.int(-250, 249));
  };
  const predicted = draws(21);
  expect(draws(21)).toEqual(predicted);
  expect(draws(22)).not.toEqual(predicted);
  const [a, b] = await Promise.all([jitterDelays(21), jitterDelays(21)]);
  for (const seen of [a, b]) {
    for (let i = 0; i < predicted.length; i++) {
      expect(seen[i]!).toBeGreaterThanOrEqual(predicted[i]!);
      expect(seen[i]!).toBeLessThan(predicted[i]! + 150);
    }
  }
});
