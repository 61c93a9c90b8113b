import { Agent } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyServer } from '../../../src/chaos/server.js';
import { fetchEdgeRecords, fetchJournal } from '../../../src/chaos/http/client.js';
import { addToxic, api, countingUpstream, createProxy, eventually, rpc, send, startServer, type CountingUpstream, type Reply } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(seed: number | string = 7, handler?: Parameters<typeof countingUpstream>[0]) {
  const upstream = await countingUpstream(handler);
  cleanups.push(() => upstream.close());
  const server = await startServer(seed);
  cleanups.push(() => server.close());
  const port = await createProxy(server, 'edge', upstream.port);
  return { upstream, server, port };
}

const ok = (r: Reply): r is Extract<Reply, { status: number }> => 'status' in r;

describe('duplicate', () => {
  it.each(['sequential', 'concurrent'] as const)('%s: upstream sees 1 + copies deliveries, the caller one response', async (mode) => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'duplicate', attributes: { copies: 2, mode } });
    const r = await send(port, { path: '/charges', body: '{"amount":1}', headers: { 'idempotency-key': 'k1' } });
    expect(ok(r) && r.status).toBe(200);
    expect(ok(r) && JSON.parse(r.body)).toEqual({ ok: true, path: '/charges' });
    expect(await eventually(() => upstream.received.length >= 3)).toBe(true);
    await new Promise((res) => setTimeout(res, 100)); // no fourth delivery trickles in
    expect(upstream.received).toHaveLength(3);
    expect(upstream.received.map((q) => [q.body, q.headers['idempotency-key']])).toEqual(Array(3).fill(['{"amount":1}', 'k1']));
    let records = await fetchEdgeRecords(server.url, 'edge');
    for (let i = 0; i < 50 && records.length < 3; i++) {
      await new Promise((res) => setTimeout(res, 20));
      records = await fetchEdgeRecords(server.url, 'edge');
    }
    const copies = records.filter((x) => x.copyOf !== undefined);
    expect(records.filter((x) => x.copyOf === undefined)).toHaveLength(1);
    expect(copies.map((c) => c.status)).toEqual([200, 200]);
  });

  it('without the toxic, upstream sees exactly one delivery', async () => {
    const { upstream, port } = await setup();
    await send(port, { path: '/charges', body: '{}' });
    await new Promise((res) => setTimeout(res, 100));
    expect(upstream.received).toHaveLength(1);
  });
});

describe('drop', () => {
  async function dropRun(seed: number): Promise<boolean[]> {
    const { upstream, server, port } = await setup(seed);
    await addToxic(server, 'edge', { type: 'drop', toxicity: 0.3, attributes: { mode: 'status', status: 503 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const dropped: boolean[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = await send(port, { path: `/r/${i}`, agent });
      if (!ok(r)) throw new Error(`request ${i} failed: ${r.error}`);
      dropped.push(r.status === 503);
    }
    expect(upstream.received).toHaveLength(dropped.filter((d) => !d).length);
    const journal = await fetchJournal(server.url, 'edge');
    expect(journal.map((e) => e.fired)).toEqual(dropped);
    return dropped;
  }

  it('probability 0.3 over 1,000 requests drops 30 % ± 5 %, identically for the same seed', async () => {
    const a = await dropRun(42);
    const rate = a.filter(Boolean).length / a.length;
    expect(rate).toBeGreaterThanOrEqual(0.25);
    expect(rate).toBeLessThanOrEqual(0.35);
    for (const c of cleanups.splice(0).reverse()) await c();
    expect(await dropRun(42)).toEqual(a);
    for (const c of cleanups.splice(0).reverse()) await c();
    expect(await dropRun(43)).not.toEqual(a);
  });

  it('hang: the caller waits until its own timeout; upstream never sees the request', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'drop', attributes: { mode: 'hang' } });
    const started = Date.now();
    const r = await send(port, { body: '{}', timeoutMs: 300 });
    expect(r).toEqual({ error: 'TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(upstream.received).toHaveLength(0);
  });

  it('reset: the caller sees ECONNRESET', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'drop', attributes: { mode: 'reset' } });
    expect(await send(port, { body: '{}' })).toEqual({ error: 'ECONNRESET' });
    expect(upstream.received).toHaveLength(0);
  });
});

describe('commit_then_drop', () => {
  it.each([
    ['reset', { error: 'ECONNRESET' }],
    ['status', 504],
  ] as const)('%s: upstream did the work, the caller sees failure', async (mode, expected) => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'commit_then_drop', attributes: { mode } });
    const r = await send(port, { path: '/charges', body: '{"amount":5}' });
    if (typeof expected === 'number') expect(ok(r) && r.status).toBe(expected);
    else expect(r).toEqual(expected);
    expect(upstream.received.map((q) => q.body)).toEqual(['{"amount":5}']);
  });

  it('hang: upstream did the work, the caller times out', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'commit_then_drop', attributes: { mode: 'hang' } });
    expect(await send(port, { body: '{}', timeoutMs: 300 })).toEqual({ error: 'TIMEOUT' });
    expect(upstream.received).toHaveLength(1);
  });
});

describe('decisions: first N and every N-th', () => {
  it('first 3 matching requests fire, exactly', async () => {
    const { server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', attributes: { status: 500, first: 3, match: { method: 'POST' } } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await send(port, i % 2 === 0 ? { body: '{}' } : {});
      statuses.push(ok(r) ? r.status : 0);
    }
    // POSTs are requests 0,2,4,6: the first three of them fail.
    expect(statuses).toEqual([500, 200, 500, 200, 500, 200, 200, 200]);
  });

  it('every 4th request fires, exactly', async () => {
    const { server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', attributes: { status: 503, every: 4 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await send(port, { agent });
      statuses.push(ok(r) ? r.status : 0);
    }
    expect(statuses.map((s, i) => [i + 1, s]).filter(([, s]) => s === 503).map(([i]) => i)).toEqual([4, 8, 12]);
  });
});

describe('JSON-RPC method matching', () => {
  it('fires only on the named method, in single requests and batches', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', {
      type: 'http_error',
      attributes: { status: 200, body: { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'injected' } }, match: { jsonrpc_method: 'tools/call', path: '/mcp' } },
    });
    const call = async (body: string, path = '/mcp') => {
      const r = await send(port, { path, body });
      return ok(r) ? r.body.includes('injected') : null;
    };
    expect(await call(rpc('tools/list'))).toBe(false);
    expect(await call(rpc('tools/call'))).toBe(true);
    expect(await call(rpc('tools/call'), '/other')).toBe(false);
    expect(await call(`[${rpc('tools/list', 1)},${rpc('tools/call', 2)}]`)).toBe(true);
    expect(await call(`[${rpc('tools/list', 1)},${rpc('initialize', 2)}]`)).toBe(false);
    expect(await call('not json')).toBe(false);
    expect(upstream.received.map((q) => [q.url, q.body])).toEqual([
      ['/mcp', rpc('tools/list')],
      ['/other', rpc('tools/call')],
      ['/mcp', `[${rpc('tools/list', 1)},${rpc('initialize', 2)}]`],
      ['/mcp', 'not json'],
    ]);
    const journal = await fetchJournal(server.url, 'edge');
    expect(journal.filter((e) => e.fired).map((e) => e.jsonrpcMethod)).toEqual(['tools/call', 'tools/list,tools/call']);
    expect(journal.filter((e) => !e.fired).every((e) => e.outcome === 'no-match')).toBe(true);
  });
});

describe('stream_cut', () => {
  const sse = (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const tick = () => {
      if (i === 10) return res.end();
      res.write(`id: ${i}\nevent: status\ndata: {"n":${i}}\n\n`);
      i++;
      setTimeout(tick, 2);
    };
    tick();
  };

  function readStream(port: number): Promise<{ text: string; complete: boolean }> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n'));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => {
        chunks.push(c);
        if (Buffer.concat(chunks).includes('\r\n0\r\n\r\n')) socket.destroy();
      });
      const done = () => {
        const raw = Buffer.concat(chunks).toString();
        resolve({ text: raw.slice(raw.indexOf('\r\n\r\n') + 4), complete: raw.includes('\r\n0\r\n\r\n') });
      };
      socket.on('close', done);
      socket.on('error', () => {});
      setTimeout(() => socket.destroy(), 3000).unref();
    });
  }

  // Counted independently of the proxy's counter: strip chunk framing, then split on blank lines.
  function events(chunked: string): string[] {
    let body = '';
    let rest = chunked;
    for (;;) {
      const nl = rest.indexOf('\r\n');
      if (nl < 0) break;
      const size = parseInt(rest.slice(0, nl), 16);
      if (!(size > 0)) break;
      body += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
    body += rest.includes('\r\n') ? '' : rest.replace(/^[0-9a-f]+\r\n/, '');
    return body.split('\n\n').filter((b) => b.includes('data:'));
  }

  it('delivers exactly N events, then cuts the stream', async () => {
    const { server, port } = await setup(7, sse);
    await addToxic(server, 'edge', { type: 'stream_cut', attributes: { events: 3 } });
    const { text, complete } = await readStream(port);
    expect(complete).toBe(false);
    const got = events(text);
    expect(got).toHaveLength(3);
    expect(got[2]).toContain('"n":2');
  });

  it('leaves the stream whole without the toxic, and non-SSE responses alone with it', async () => {
    const { server, port } = await setup(7, sse);
    const whole = await readStream(port);
    expect(whole.complete).toBe(true);
    expect(events(whole.text)).toHaveLength(10);
    await addToxic(server, 'edge', { type: 'stream_cut', attributes: { events: 1, match: { path: '/other' } } });
    expect(events((await readStream(port)).text)).toHaveLength(10);
  });
});

describe('http_error and http_latency', () => {
  it('http_error answers with status, headers and body without calling upstream', async () => {
    const { upstream, server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', attributes: { status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' } });
    const r = await send(port, { body: '{}' });
    expect(ok(r) && [r.status, r.headers['retry-after'], r.body]).toEqual([429, '1', 'slow down']);
    expect(upstream.received).toHaveLength(0);
  });

  it('delays requests (upstream stream) and responses (downstream stream) by at least the drawn latency', async () => {
    const { upstream, server, port } = await setup();
    const t0 = Date.now();
    await send(port);
    const base = Date.now() - t0;
    await addToxic(server, 'edge', { type: 'http_latency', stream: 'upstream', attributes: { latency: 150 } });
    const t1 = Date.now();
    await send(port);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(150);
    await api(server, 'DELETE', '/proxies/edge/toxics/http_latency_upstream');
    await addToxic(server, 'edge', { type: 'http_latency', attributes: { distribution: 'normal', latency: 200, jitter: 10 } });
    const t2 = Date.now();
    await send(port);
    expect(Date.now() - t2).toBeGreaterThanOrEqual(160);
    expect(Date.now() - t2).toBeLessThan(3000 + base);
    expect(upstream.received).toHaveLength(3);
  });
});

describe('HTTP proxies keep Toxiproxy behaviour', () => {
  it('stream toxics still work on an http proxy', async () => {
    const { server, port } = await setup();
    await addToxic(server, 'edge', { type: 'latency', attributes: { latency: 120 } });
    const t = Date.now();
    const r = await send(port);
    expect(ok(r) && r.status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(115);
    // They act between the proxy and upstream, so the edge record's latency includes them.
    const [record] = await fetchEdgeRecords(server.url, 'edge');
    expect(record!.latencyMs).toBeGreaterThanOrEqual(115);
    await addToxic(server, 'edge', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    expect(await send(port)).toEqual({ error: 'ECONNRESET' });
  });

  it('toxiproxy-node-client can drive http proxies and message toxics (extra fields pass through)', async () => {
    const { Toxiproxy } = await import('toxiproxy-node-client');
    const upstream = await countingUpstream();
    cleanups.push(() => upstream.close());
    const server = await startServer(9);
    cleanups.push(() => server.close());
    const client = new Toxiproxy(server.url);
    const proxy = await client.createProxy({ name: 'viaclient', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' } as never);
    const toxic = await proxy.addToxic({ type: 'duplicate', stream: 'downstream', toxicity: 1, attributes: { copies: 1 } } as never);
    expect(toxic.type).toBe('duplicate');
    await send(Number(proxy.listen.split(':').pop()), { body: '{}' });
    expect(await eventually(() => upstream.received.length === 2)).toBe(true);
  });

  it('a message toxic on a tcp proxy is a 400 with a clear message', async () => {
    const { server, upstream } = await setup();
    await createProxy(server, 'plain', upstream.port, 'tcp');
    const r = await api(server, 'POST', '/proxies/plain/toxics', { type: 'duplicate' });
    expect(r.status).toBe(400);
    expect((r.json as { error: string }).error).toContain('"protocol":"http"');
  });

  it('rejects bad message-toxic attributes with 400 bad request body', async () => {
    const { server } = await setup();
    const bad = await api(server, 'POST', '/proxies/edge/toxics', { type: 'drop', attributes: { mode: 'explode' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("attribute 'mode' must be one of 'hang', 'reset', 'status'");
    const badMatch = await api(server, 'POST', '/proxies/edge/toxics', { type: 'drop', attributes: { match: { method: 5 } } });
    expect(badMatch.status).toBe(400);
    expect(badMatch.text).toContain('match.method');
  });

  it('reads back message toxics with every attribute', async () => {
    const { server } = await setup();
    const r = await addToxic(server, 'edge', { type: 'duplicate', toxicity: 0.5, attributes: { copies: 2, match: { path: '/charges' } } });
    expect(r.json).toEqual({
      attributes: { copies: 2, mode: '', match: { path: '/charges' }, first: 0, every: 0, only: null, replay: null },
      name: 'duplicate_downstream',
      type: 'duplicate',
      stream: 'downstream',
      toxicity: 0.5,
    });
  });
});

describe('malformed client HTTP', () => {
  it('gets a 400 and the proxy keeps serving', async () => {
    const { upstream, port } = await setup();
    const reply = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GARBAGE\r\n\r\n'));
      const chunks: Buffer[] = [];
      s.on('data', (c) => chunks.push(c));
      s.on('close', () => resolve(Buffer.concat(chunks).toString()));
      s.on('error', () => {});
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toContain('Connection: close');
    const r = await send(port);
    expect(ok(r) && r.status).toBe(200);
    expect(upstream.received).toHaveLength(1);
  });
});

describe('journal and records', () => {
  it('journal lists every decision with request facts; records carry status, latency and traceparent', async () => {
    const { server, port } = await setup();
    await addToxic(server, 'edge', { type: 'http_error', name: 'fail_calls', attributes: { status: 502, match: { jsonrpc_method: 'tools/call' } } });
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await send(port, { path: '/mcp', body: rpc('tools/call'), headers: { traceparent: tp } });
    await send(port, { path: '/mcp', body: rpc('tools/list') });
    const res = await fetch(`${server.url}/proxies/edge/journal`);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const journal = await fetchJournal(server.url, 'edge');
    expect(journal).toMatchObject([
      { seq: 1, proxy: 'edge', toxic: 'fail_calls', type: 'http_error', method: 'POST', path: '/mcp', jsonrpcMethod: 'tools/call', traceparent: tp, ordinal: 1, fired: true, outcome: 'http_error:502' },
      { seq: 2, jsonrpcMethod: 'tools/list', traceparent: null, ordinal: 0, fired: false, outcome: 'no-match' },
    ]);
    expect(journal[0]!.requestId).toMatch(/^\d+\.1$/);
    expect(new Date(journal[0]!.time).getTime()).toBeGreaterThan(0);
    expect((await fetchJournal(server.url, 'edge', { since: 1 })).map((e) => e.seq)).toEqual([2]);

    const records = await fetchEdgeRecords(server.url, 'edge');
    expect(records).toMatchObject([
      { requestId: journal[0]!.requestId, status: 502, upstreamStatus: null, traceparent: tp, outcome: 'complete', faults: ['fail_calls'] },
      { status: 200, upstreamStatus: 200, traceparent: null, outcome: 'complete', faults: [] },
    ]);
    expect(records[1]!.latencyMs).toBeGreaterThan(0);
  });

  it('says message-level faults need agentcheck\'s proxy when the API is a real Toxiproxy', async () => {
    // A real Toxiproxy has no such route: 404 with Go's plain-text body.
    const toxiproxyLike = await countingUpstream((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
    });
    cleanups.push(() => toxiproxyLike.close());
    const err = await fetchJournal(`http://127.0.0.1:${toxiproxyLike.port}`, 'edge').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'environment', hint: expect.stringContaining("agentcheck's own proxy") });
  });

  it('http proxies can be created through /populate', async () => {
    const { server, upstream } = await setup();
    const r = await api(server, 'POST', '/populate', [{ name: 'pop', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' }]);
    expect(r.status).toBe(201);
    const port = Number((r.json as { proxies: Array<{ listen: string; protocol: string }> }).proxies[0]!.listen.split(':').pop());
    expect((r.json as { proxies: Array<{ protocol: string }> }).proxies[0]!.protocol).toBe('http');
    await addToxic(server, 'pop', { type: 'duplicate', attributes: { copies: 1 } });
    await send(port, { body: '{}' });
    expect(await eventually(() => upstream.received.length === 2)).toBe(true);
  });

  it('answers 404 for an unknown proxy and empty NDJSON for a tcp proxy', async () => {
    const { server, upstream } = await setup();
    await createProxy(server, 'plain', upstream.port, 'tcp');
    expect((await api(server, 'GET', '/proxies/nope/journal')).status).toBe(404);
    await expect(fetchJournal(server.url, 'nope')).rejects.toThrow(/proxy 'nope' not found/);
    expect(await fetchJournal(server.url, 'plain')).toEqual([]);
  });
});

export type { CountingUpstream, ProxyServer };
