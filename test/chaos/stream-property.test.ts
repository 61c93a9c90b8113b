/**
 * Property: random byte streams pushed through random chains of non-dropping toxics, with toxics
 * added, updated and removed mid-stream, arrive byte-exact in both directions.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { dial, portOf, rawRequest, readAll, sleep, startUpstream } from './helpers.js';

let server: ProxyServer;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
const received = new Map<number, Buffer[]>(); // by upstream remote port

beforeAll(async () => {
  server = await startProxyServer({ port: 0, seed: 42 });
  // Records what arrives (the upstream direction) and echoes it back (the downstream direction).
  upstream = await startUpstream((socket) => {
    const chunks: Buffer[] = [];
    received.set(socket.remotePort ?? 0, chunks);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      socket.write(c);
    });
    socket.on('end', () => socket.end());
  });
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

const streamArb = fc.constantFrom('upstream', 'downstream');
const toxicArb = fc.oneof(
  fc.record({ type: fc.constant('latency'), stream: streamArb, attributes: fc.record({ latency: fc.integer({ min: 0, max: 15 }), jitter: fc.integer({ min: 0, max: 10 }) }) }),
  fc.record({ type: fc.constant('bandwidth'), stream: streamArb, attributes: fc.record({ rate: fc.integer({ min: 300, max: 5000 }) }) }),
  fc.record({ type: fc.constant('slicer'), stream: streamArb, attributes: fc.record({ average_size: fc.integer({ min: 50, max: 2000 }), size_variation: fc.integer({ min: 0, max: 40 }), delay: fc.constantFrom(0, 200) }) }),
  fc.record({ type: fc.constant('slow_close'), stream: streamArb, attributes: fc.record({ delay: fc.integer({ min: 0, max: 30 }) }) }),
  fc.record({ type: fc.constant('noop'), stream: streamArb, attributes: fc.constant({}) }),
);
const toxicityArb = fc.constantFrom(1, 1, 0.5, 0);
const opArb = fc.oneof(
  fc.record({ op: fc.constant('add' as const), toxic: toxicArb, toxicity: toxicityArb }),
  fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('toxicity' as const), pick: fc.nat(), toxicity: toxicityArb }),
  fc.record({ op: fc.constant('none' as const) }),
);

let run = 0;

it('bytes arrive exactly, in order, both ways, while toxics change', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ toxic: toxicArb, toxicity: toxicityArb }), { maxLength: 4 }),
      fc.array(fc.record({ data: fc.uint8Array({ minLength: 1, maxLength: 6000 }), op: opArb, pause: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 10 }),
      async (initial, steps) => {
        const name = `prop${++run}`;
        const created = await rawRequest(server.url, 'POST', '/proxies', JSON.stringify({ name, listen: '127.0.0.1:0', upstream: upstream.address }));
        const port = portOf((JSON.parse(created.body) as { listen: string }).listen);
        const live: string[] = [];
        let seq = 0;
        const add = async (toxic: Record<string, unknown>, toxicity: number) => {
          const toxicName = `t${++seq}`;
          const res = await rawRequest(server.url, 'POST', `/proxies/${name}/toxics`, JSON.stringify({ ...toxic, name: toxicName, toxicity }));
          expect(res.status).toBe(200);
          live.push(toxicName);
        };
        for (const t of initial) await add(t.toxic, t.toxicity);

        const socket = await dial(port);
        const localPort = socket.localPort;
        const result = readAll(socket);
        const sent: Buffer[] = [];
        for (const step of steps) {
          const chunk = Buffer.from(step.data);
          sent.push(chunk);
          socket.write(chunk);
          if (step.pause > 0) await sleep(step.pause);
          const op = step.op;
          if (op.op === 'add') await add(op.toxic, op.toxicity);
          else if (op.op === 'remove' && live.length > 0) {
            const [victim] = live.splice(op.pick % live.length, 1);
            expect((await rawRequest(server.url, 'DELETE', `/proxies/${name}/toxics/${victim}`)).status).toBe(204);
          } else if (op.op === 'toxicity' && live.length > 0) {
            const target = live[op.pick % live.length];
            expect((await rawRequest(server.url, 'PATCH', `/proxies/${name}/toxics/${target}`, JSON.stringify({ toxicity: op.toxicity }))).status).toBe(200);
          }
        }
        socket.end();
        const got = await result;
        const expected = Buffer.concat(sent);
        expect(got.error).toBeUndefined();
        expect(got.data.length).toBe(expected.length);
        expect(got.data.equals(expected)).toBe(true);
        // The upstream side saw exactly the same bytes (find its socket by the proxy's connection).
        const upstreamSide = [...received.values()].find((chunks) => Buffer.concat(chunks).equals(expected));
        expect(upstreamSide, `upstream of client port ${localPort}`).toBeDefined();
        await rawRequest(server.url, 'DELETE', `/proxies/${name}`);
      },
    ),
    { numRuns: 25, interruptAfterTimeLimit: 45_000 },
  );
});
