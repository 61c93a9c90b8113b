/** HTTP framing corner cases through an http proxy: pipelining with toxics, upgrades, 100-continue, HEAD, close. */
import { request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchEdgeRecords, fetchJournal } from '../../../src/chaos/http/client.js';
import { existingHttpState } from '../../../src/chaos/http/proxy-state.js';
import { addToxic, api, countingUpstream, createProxy, eventually, rpc, send, startServer } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(handler?: Parameters<typeof countingUpstream>[0]) {
  const upstream = await countingUpstream(handler);
  cleanups.push(() => upstream.close());
  const server = await startServer(3);
  cleanups.push(() => server.close());
  const port = await createProxy(server, 'edge', upstream.port);
  return { upstream, server, port };
}

/** Writes `text` on one raw connection and collects what comes back until `until` matches or the socket closes. */
function raw(port: number, text: string | Buffer, until: (s: string) => boolean, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (until(got)) done();
    });
    s.on('close', done);
    s.on('error', () => {});
  });
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('pipelining with message toxics', () => {
  it('answers keep request order when a toxic answers a later request before upstream answers an earlier one', async () => {
    const { server, port } = await setup((req, res) => {
      // /slow takes a while; /fast is answered by the toxic without upstream.
      setTimeout(() => res.end(`upstream:${req.url}`), req.url === '/slow' ? 150 : 0);
    });
    await addToxic(server, 'edge', { type: 'http_error', attributes: { status: 418, body: 'toxic', match: { path: '/fast' } } });
    const got = await raw(
      port,
      'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /last HTTP/1.1\r\nHost: x\r\n\r\n',
      (s) => count(s, /HTTP\/1\.1 \d{3}/g) === 3 && s.endsWith('upstream:/last'),
    );
    const statuses = [...got.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '418', '200']);
    expect(got.indexOf('upstream:/slow')).toBeLessThan(got.indexOf('toxic'));
    expect(got.indexOf('toxic')).toBeLessThan(got.indexOf('upstream:/last'));
  });

  it('a dropped request holds the answers behind it, like a real lost request on one connection', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'drop', attributes: { match: { path: '/lost' } } });
    const got = await raw(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /lost HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n', () => false, 400);
    expect(count(got, /HTTP\/1\.1 200/g)).toBe(1);
    expect(await eventually(() => upstream.received.length === 2)).toBe(true);
    expect(upstream.received.map((q) => q.url)).toEqual(['/a', '/b']);
    // The caller gave up: its hung exchanges are recorded as closed.
    await new Promise((res) => setTimeout(res, 50));
    const records = await fetchEdgeRecords(server.url, 'edge');
    expect(records.map((r) => [r.path, r.outcome])).toEqual([
      ['/a', 'complete'],
      ['/lost', 'closed'],
      ['/b', 'closed'],
    ]);
  });

  it('preempted toxics are journaled, and a drop wins over a duplicate', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'drop', name: 'd', stream: 'upstream', attributes: { mode: 'status', status: 503 } });
    await addToxic(server, 'edge', { type: 'duplicate', name: 'dup', attributes: { copies: 3 } });
    const r = await send(port, { body: '{}' });
    expect('status' in r && r.status).toBe(503);
    await new Promise((res) => setTimeout(res, 50));
    expect(upstream.received).toHaveLength(0);
    expect((await fetchJournal(server.url, 'edge')).map((e) => [e.toxic, e.fired, e.outcome])).toEqual([
      ['d', true, 'drop:status:503'],
      ['dup', false, 'preempted:d'],
    ]);
  });

  it('a drop listed after a duplicate still preempts it: nothing reaches upstream', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'duplicate', name: 'dup', stream: 'upstream', attributes: { copies: 2 } });
    await addToxic(server, 'edge', { type: 'http_latency', name: 'slow', stream: 'upstream', attributes: { latency: 3000 } });
    await addToxic(server, 'edge', { type: 'drop', name: 'd', attributes: { mode: 'status' } });
    const t = Date.now();
    const r = await send(port, { body: '{}' });
    expect('status' in r && r.status).toBe(503);
    expect(Date.now() - t).toBeLessThan(2500);
    await new Promise((res) => setTimeout(res, 100));
    expect(upstream.received).toHaveLength(0);
    expect((await fetchJournal(server.url, 'edge')).map((e) => [e.toxic, e.fired, e.outcome])).toEqual([
      ['dup', false, 'preempted:d'],
      ['slow', false, 'preempted:d'],
      ['d', true, 'drop:status:503'],
    ]);
    expect((await fetchEdgeRecords(server.url, 'edge')).map((x) => x.faults)).toEqual([['d']]);
  });
});

describe('framing corner cases', () => {
  it('HEAD responses with a Content-Length carry no body and keep the connection usable', async () => {
    const { port } = await setup((_req, res) => {
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    });
    const got = await raw(port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.endsWith('hello'));
    expect(count(got, /HTTP\/1\.1 200/g)).toBe(2);
    expect(count(got, /hello/g)).toBe(1);
  });

  it('Expect: 100-continue passes through (body not held back), even with a jsonrpc_method filter', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', attributes: { match: { jsonrpc_method: 'tools/call' } } });
    const body = rpc('tools/call');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/mcp', headers: { expect: '100-continue', 'content-length': Buffer.byteLength(body) }, agent: false });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.setTimeout(3000, () => req.destroy(new Error('timeout')));
    });
    expect(status).toBe(200);
    expect(upstream.received.map((q) => q.body)).toEqual([body]);
  });

  it('answers a caller still waiting for 100 Continue, then closes (no guessing where its next request starts)', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', attributes: { status: 413 } });
    const t = Date.now();
    const got = await raw(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n', () => false, 4000);
    expect(Date.now() - t).toBeLessThan(3500); // closed by the proxy, not by the test's timeout
    expect(got).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(got).toContain('Connection: close');
    expect(upstream.received).toHaveLength(0);
  });

  it('a body over the 1 MiB hold limit streams through and does not match a jsonrpc_method filter', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', attributes: { match: { jsonrpc_method: 'big' } } });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'big', params: { pad: 'x'.repeat(1_200_000) } });
    const r = await send(port, { body, timeoutMs: 10_000 });
    expect('status' in r && r.status).toBe(200);
    expect(upstream.received[0]?.body.length).toBe(body.length);
    const small = await send(port, { body: rpc('big') });
    expect('status' in small && small.status).toBe(500);
  });

  it('responses with Connection: close end the caller connection after the response', async () => {
    const { port } = await setup((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('bye');
    });
    const got = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', () => false, 3000);
    expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*bye$/);
  });

  it('an Upgrade becomes an opaque tunnel after 101', async () => {
    const echo = createServer((s: Socket) => {
      s.once('data', () => {
        s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
        s.on('data', (c) => s.write(Buffer.concat([Buffer.from('echo:'), c])));
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => echo.close(() => r())));
    const server = await startServer(3);
    cleanups.push(() => server.close());
    const port = await createProxy(server, 'ws', (echo.address() as AddressInfo).port);
    const got = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n'));
      let text = '';
      s.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.includes('\r\n\r\n') && !text.includes('echo:')) s.write('GET not-http \x00\x01');
        if (text.includes('echo:GET not-http')) {
          s.destroy();
          resolve(text);
        }
      });
      s.on('error', () => {});
      setTimeout(() => resolve(text), 3000).unref();
    });
    expect(got).toContain('101 Switching Protocols');
    expect(got).toContain('echo:GET not-http \x00\x01');
  });
});

describe('held-back responses', () => {
  it('a large response delayed by http_latency arrives whole (upstream reads pause while it is held)', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024, 97);
    const { server, port } = await setup((_req, res) => {
      res.writeHead(200, { 'content-length': big.length });
      res.end(big);
    });
    await addToxic(server, 'edge', { type: 'http_latency', attributes: { latency: 300 } });
    const t = Date.now();
    const r = await send(port, { timeoutMs: 20_000 });
    expect(Date.now() - t).toBeGreaterThanOrEqual(295);
    expect('status' in r && r.body.length).toBe(big.length);
    expect('status' in r && r.body === big.toString()).toBe(true);
  });
});

describe('errors in the middle of a pipeline', () => {
  it('an upgrade the proxy answers itself does not switch protocols: the next request is served', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', attributes: { status: 403, match: { path: '/ws' } } });
    const got = await raw(
      port,
      'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n',
      (t) => t.includes('"path":"/after"'),
    );
    expect([...got.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1])).toEqual(['403', '200']);
    expect(upstream.received.map((q) => q.url)).toEqual(['/after']);
  });

  it('a malformed request after good ones: the good ones are answered, then 400 and close', async () => {
    const { upstream, port } = await setup((req, res) => setTimeout(() => res.end(`ok:${req.url}`), 30));
    const got = await raw(
      port,
      'GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nXYZ\r\n',
      () => false,
      1500,
    );
    expect(got.indexOf('ok:/one')).toBeGreaterThan(0);
    expect(got).toMatch(/HTTP\/1\.1 400 Bad Request\r\n[\s\S]*invalid chunk size/);
    expect(got.indexOf('ok:/one')).toBeLessThan(got.indexOf('400 Bad Request'));
    expect(upstream.received.map((q) => q.url)).toEqual(['/one']);
  });
});

describe('toxics change while traffic flows', () => {
  it('updating attributes and removing a message toxic take effect on the next request of an open connection', async () => {
    const { server, port } = await setup();
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    await addToxic(server, 'edge', { type: 'http_error', name: 'e', attributes: { status: 500 } });
    const status = async () => {
      const r = await send(port, { agent });
      return 'status' in r ? r.status : 0;
    };
    expect(await status()).toBe(500);
    expect((await api(server, 'POST', '/proxies/edge/toxics/e', { attributes: { status: 502 } })).status).toBe(200);
    expect(await status()).toBe(502);
    expect((await api(server, 'DELETE', '/proxies/edge/toxics/e')).status).toBe(204);
    expect(await status()).toBe(200);
    const records = await fetchEdgeRecords(server.url, 'edge');
    expect(new Set(records.map((r) => r.requestId.split('.')[0])).size).toBe(1);
  });
});

describe('connection lifetime', () => {
  async function openThenGiveUp(port: number, text: string): Promise<void> {
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(text);
        setTimeout(() => {
          s.end();
          resolve();
        }, 100);
      });
      s.on('error', () => {});
      s.resume();
    });
  }

  it.each([
    ['a hung request (drop hang)', 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'],
    ['a request cut mid-body while held for matching', 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"jsonrpc"'],
  ])('releases the connection when the caller gives up on %s', async (_label, text) => {
    const { server, port } = await setup();
    await addToxic(server, 'edge', { type: 'drop', attributes: { mode: 'hang', match: { method: 'POST' } } });
    await openThenGiveUp(port, text);
    const proxy = server.proxies.get('edge');
    expect(await eventually(() => proxy.connections().length === 0, 10_000)).toBe(true);
    const records = await fetchEdgeRecords(server.url, 'edge');
    expect(records.map((r) => r.outcome)).toEqual(['closed']);
  });
});

describe('robustness', () => {
  it('random and half-valid upstream bytes never crash the proxy (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    let reply = Buffer.alloc(0);
    const bad = createServer((s: Socket) => {
      s.once('data', () => s.end(reply));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => bad.close(() => r())));
    const server = await startServer(4);
    cleanups.push(() => server.close());
    const port = await createProxy(server, 'bad', (bad.address() as AddressInfo).port);
    await addToxic(server, 'bad', { type: 'stream_cut', attributes: { events: 1 } });
    const pieces = fc.oneof(
      fc.constantFrom(
        'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
        'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: x\n\n\r\n',
        'HTTP/1.1 100 Continue\r\n\r\n',
        'HTTP/1.1 101 Switching Protocols\r\n\r\n',
        'HTTP/1.1 204 No Content\r\n\r\n',
        'zz\r\n',
      ),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 6 }), async (parts) => {
        reply = Buffer.from(parts.join(''), 'latin1');
        await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n', () => false, 60);
      }),
      { numRuns: 40 },
    );
    const state = existingHttpState(server.proxies.get('bad'))!;
    expect([state.internalErrors, state.lastInternalError]).toEqual([0, undefined]);
    expect(server.proxies.get('bad').enabled).toBe(true);
  });

  it('random and half-valid client bytes never crash the proxy (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'duplicate', attributes: { copies: 1, match: { jsonrpc_method: 'x' } } });
    await addToxic(server, 'edge', { type: 'http_latency', stream: 'upstream', attributes: { latency: 1, first: 5 } });
    const fragments = fc.oneof(
      fc.constantFrom(
        'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
        'POST /mcp HTTP/1.1\r\nContent-Length: 30\r\n\r\n{"jsonrpc":"2.0","method":"x"}',
        'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n',
        'HEAD / HTTP/1.1\r\n\r\n',
        '\r\n',
        'GET / HTTP/1.1\r\nUpgrade: x\r\n\r\n',
      ),
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fragments, { maxLength: 8 }), async (parts) => {
        await raw(port, Buffer.from(parts.join(''), 'latin1'), () => false, 60);
      }),
      { numRuns: 40 },
    );
    const r = await send(port);
    expect('status' in r && r.status).toBe(200);
    expect(upstream.received.length).toBeGreaterThan(0);
    expect(server.proxies.get('edge').enabled).toBe(true);
    const state = existingHttpState(server.proxies.get('edge'))!;
    expect([state.internalErrors, state.lastInternalError]).toEqual([0, undefined]);
  });
});
