/**
 * The API over raw HTTP: exact statuses, bodies, key order, content types and headers that
 * Toxiproxy 2.7.0 gives (and that client libraries hide).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { rawRequest } from './helpers.js';

let server: ProxyServer;
const UP = '127.0.0.1:1'; // never dialled in these tests

beforeEach(async () => {
  server = await startProxyServer({ port: 0 });
});
afterEach(async () => {
  await server.close();
});

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  rawRequest(server.url, method, path, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers);

const errorBody = (message: string, status: number) => `{"error":${JSON.stringify(message)},"status":${status}}\n`;

async function expectError(res: Awaited<ReturnType<typeof call>>, status: number, message: string) {
  expect(res.status).toBe(status);
  expect(res.body).toBe(errorBody(message, status));
  expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

async function createProxy(name = 'p', extra: Record<string, unknown> = {}) {
  const res = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: UP, ...extra });
  expect(res.status).toBe(201);
  return JSON.parse(res.body) as { listen: string };
}

describe('server basics', () => {
  it('GET /version: exact body and content type, request id header', async () => {
    const res = await call('GET', '/version');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"version": "2.7.0"}\n');
    expect(res.headers['content-type']).toBe('application/json;charset=utf-8');
    expect(res.headers['x-toxiproxy-request-id']).toMatch(/^[0-9a-v]{20}$/);
  });

  it('puts a distinct X-Toxiproxy-Request-Id on every routed answer, errors included; none on 404/405', async () => {
    const ids = new Set<string>();
    for (const [m, p] of [['GET', '/version'], ['GET', '/proxies/x'], ['POST', '/proxies'], ['GET', '/version']] as const) {
      const res = await call(m, p, m === 'POST' ? '' : undefined);
      const id = res.headers['x-toxiproxy-request-id'];
      expect(typeof id).toBe('string');
      ids.add(id as string);
    }
    expect(ids.size).toBe(4);
    // gorilla/mux answers these itself, outside Toxiproxy's middlewares.
    for (const [m, p] of [['GET', '/nope'], ['DELETE', '/version'], ['GET', '//version']] as const) {
      expect((await call(m, p)).headers['x-toxiproxy-request-id'], `${m} ${p}`).toBeUndefined();
    }
  });

  it('no Connection or Keep-Alive header on a kept-alive HTTP/1.1 answer', async () => {
    const res = await call('GET', '/version');
    expect(res.headers.connection).toBeUndefined();
    expect(res.headers['keep-alive']).toBeUndefined();
    expect(res.headers['content-length']).toBe('21');
  });

  it('refuses browsers with 403 (Mozilla/ user agent)', async () => {
    const res = await call('GET', '/version', undefined, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
    expect(res.status).toBe(403);
    expect(res.body).toBe('User agent not allowed\n');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    const ok = await call('GET', '/version', undefined, { 'user-agent': 'curl/8.0 Mozilla/5.0' });
    expect(ok.status).toBe(200);
  });

  it('404 for unknown paths, 405 with an empty body for known paths with a wrong method', async () => {
    for (const path of ['/nope', '/proxies/', '/proxies/a/b', '/proxies/a/toxics/b/c', '/version/']) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body).toBe('404 page not found\n');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    for (const [method, path] of [
      ['DELETE', '/version'],
      ['GET', '/reset'],
      ['PUT', '/proxies'],
      ['GET', '/populate'],
      ['PUT', '/proxies/a'],
      ['DELETE', '/proxies/a/toxics'],
      ['PUT', '/proxies/a/toxics/b'],
      ['HEAD', '/version'],
    ] as const) {
      const res = await call(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.body).toBe('');
    }
  });
});

describe('proxies', () => {
  it('GET /proxies is {} when empty', async () => {
    const res = await call('GET', '/proxies');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{}');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('POST /proxies: 201, key order, Logger, real bound port, unknown keys ignored', async () => {
    const res = await call('POST', '/proxies', { name: 'p', listen: '127.0.0.1:0', upstream: UP, toxics: [{ type: 'latency' }], extra: 1 });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    const port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(res.body)?.[1];
    expect(Number(port)).toBeGreaterThan(0);
    expect(res.body).toBe(`{"name":"p","listen":"127.0.0.1:${port}","upstream":"${UP}","enabled":true,"Logger":{},"toxics":[]}`);
    const show = await call('GET', '/proxies/p');
    expect(show.body).toBe(res.body);
    const all = await call('GET', '/proxies');
    expect(all.body).toBe(`{"p":${res.body}}`);
  });

  it('POST /proxies with enabled:false keeps the listen address as given and does not listen', async () => {
    const res = await call('POST', '/proxies', { name: 'off', listen: '127.0.0.1:0', upstream: UP, enabled: false });
    expect(res.status).toBe(201);
    expect(res.body).toBe(`{"name":"off","listen":"127.0.0.1:0","upstream":"${UP}","enabled":false,"Logger":{},"toxics":[]}`);
  });

  it('lists proxies sorted by name', async () => {
    for (const n of ['b', 'a', 'c']) await createProxy(n);
    const body = (await call('GET', '/proxies')).body;
    expect(Object.keys(JSON.parse(body))).toEqual(['a', 'b', 'c']);
  });

  it('validation errors: missing fields, bad bodies, wrong types, duplicates', async () => {
    await expectError(await call('POST', '/proxies', { listen: '127.0.0.1:0', upstream: UP }), 400, 'missing required field: name');
    await expectError(await call('POST', '/proxies', { name: 'x', listen: '127.0.0.1:0' }), 400, 'missing required field: upstream');
    await expectError(await call('POST', '/proxies', ''), 400, 'bad request body: EOF');
    await expectError(await call('POST', '/proxies', '{"name":'), 400, 'bad request body: unexpected EOF');
    await expectError(await call('POST', '/proxies', '{"name" 1}'), 400, "bad request body: invalid character '1' after object key");
    await expectError(await call('POST', '/proxies', 'nope'), 400, "bad request body: invalid character 'o' in literal null (expecting 'u')");
    await expectError(
      await call('POST', '/proxies', { name: 5, upstream: UP }),
      400,
      'bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string',
    );
    await expectError(
      await call('POST', '/proxies', { name: 'x', upstream: UP, enabled: 'yes' }),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field Proxy.enabled of type bool',
    );
    await expectError(
      await call('POST', '/proxies', '[1]'),
      400,
      'bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy',
    );
    await createProxy('dup');
    await expectError(await call('POST', '/proxies', { name: 'dup', listen: '127.0.0.1:0', upstream: UP }), 409, 'proxy already exists');
  });

  it('listen failures are 500 with Go wording', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expectError(
        await call('POST', '/proxies', { name: 'x', listen: `127.0.0.1:${port}`, upstream: UP }),
        500,
        `listen tcp 127.0.0.1:${port}: bind: address already in use`,
      );
      await expectError(await call('POST', '/proxies', { name: 'x', listen: ':99999', upstream: UP }), 500, 'listen tcp: address 99999: invalid port');
      await expectError(
        await call('POST', '/proxies', { name: 'x', listen: 'localhost', upstream: UP }),
        500,
        'listen tcp: address localhost: missing port in address',
      );
      expect((await call('GET', '/proxies')).body).toBe('{}');
    } finally {
      blocker.close();
    }
  });

  it('GET/POST/PATCH/DELETE /proxies/{p}: 404, partial updates, 204', async () => {
    await expectError(await call('GET', '/proxies/none'), 404, 'proxy not found');
    await expectError(await call('DELETE', '/proxies/none'), 404, 'proxy not found');
    await expectError(await call('POST', '/proxies/none', {}), 404, 'proxy not found');
    const { listen } = await createProxy('u');
    const patched = await call('PATCH', '/proxies/u', { enabled: false, name: 'ignored' });
    expect(patched.status).toBe(200);
    expect(patched.body).toBe(`{"name":"u","listen":"${listen}","upstream":"${UP}","enabled":false,"Logger":{},"toxics":[]}`);
    const posted = await call('POST', '/proxies/u', { upstream: '127.0.0.1:2' });
    expect(JSON.parse(posted.body)).toMatchObject({ name: 'u', listen, upstream: '127.0.0.1:2', enabled: false });
    await expectError(await call('POST', '/proxies/u', ''), 400, 'bad request body: EOF');
    const del = await call('DELETE', '/proxies/u');
    expect(del.status).toBe(204);
    expect(del.body).toBe('');
    await expectError(await call('GET', '/proxies/u'), 404, 'proxy not found');
  });
});

describe('toxics', () => {
  beforeEach(async () => {
    await createProxy('p');
  });

  it('POST /proxies/{p}/toxics: 200, defaults, zero-filled attributes, key order', async () => {
    const res = await call('POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 10, unknown: 'x' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toBe('{"attributes":{"latency":10,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}');
    // The stream is echoed as given, and the default name is built from it (Toxiproxy's AddToxicJson).
    const noop = await call('POST', '/proxies/p/toxics', { type: 'noop', stream: 'UpStream', toxicity: 0.1 });
    expect(noop.body).toBe('{"attributes":{},"name":"noop_UpStream","type":"noop","stream":"UpStream","toxicity":0.1}');
    const slicer = await call('POST', '/proxies/p/toxics', { type: 'slicer', name: 's' });
    expect(slicer.body).toBe('{"attributes":{"average_size":0,"size_variation":0,"delay":0},"name":"s","type":"slicer","stream":"downstream","toxicity":1}');
  });

  it('every toxic type reads back its attributes in Toxiproxy order', async () => {
    const cases: Array<[string, Record<string, number>, string]> = [
      ['latency', { jitter: 2, latency: 1 }, '{"latency":1,"jitter":2}'],
      ['bandwidth', { rate: 100 }, '{"rate":100}'],
      ['slow_close', { delay: 5 }, '{"delay":5}'],
      ['timeout', { timeout: 7 }, '{"timeout":7}'],
      ['reset_peer', { timeout: 3 }, '{"timeout":3}'],
      ['slicer', { delay: 1, size_variation: 2, average_size: 3 }, '{"average_size":3,"size_variation":2,"delay":1}'],
      ['limit_data', { bytes: 9007199254740993 }, '{"bytes":9007199254740993}'],
      ['noop', {}, '{}'],
    ];
    for (const [type, attributes, expected] of cases) {
      const body = type === 'limit_data' ? `{"type":"limit_data","name":"t_${type}","attributes":{"bytes":9007199254740993}}` : { type, name: `t_${type}`, attributes };
      const res = await call('POST', '/proxies/p/toxics', body);
      expect(res.status, type).toBe(200);
      expect(res.body).toBe(`{"attributes":${expected},"name":"t_${type}","type":"${type}","stream":"downstream","toxicity":1}`);
    }
  });

  it('toxic errors: stream, type, duplicate across streams, wrong attribute types, not found', async () => {
    await expectError(await call('POST', '/proxies/none/toxics', { type: 'latency' }), 404, 'proxy not found');
    await expectError(await call('POST', '/proxies/p/toxics', { type: 'latency', stream: 'sideways' }), 400, 'stream was invalid, can be either upstream or downstream');
    await expectError(await call('POST', '/proxies/p/toxics', {}), 400, 'invalid toxic type');
    await expectError(await call('POST', '/proxies/p/toxics', { type: 'nope' }), 400, 'invalid toxic type');
    await expectError(await call('POST', '/proxies/p/toxics', ''), 400, 'bad request body: EOF');
    await expectError(
      await call('POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 'slow' } }),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64',
    );
    await expectError(
      await call('POST', '/proxies/p/toxics', { type: 'latency', attributes: { latency: 1.5 } }),
      400,
      'bad request body: json: cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type int64',
    );
    await expectError(
      await call('POST', '/proxies/p/toxics', { type: 'latency', toxicity: 'high' }),
      400,
      'bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32',
    );
    await expectError(
      await call('POST', '/proxies/p/toxics', { type: 'latency', attributes: 5 }),
      400,
      'bad request body: json: cannot unmarshal number into Go struct field ToxicWrapper.attributes of type toxics.NoopToxic',
    );
    expect((await call('POST', '/proxies/p/toxics', { type: 'latency', name: 'x', stream: 'upstream' })).status).toBe(200);
    await expectError(await call('POST', '/proxies/p/toxics', { type: 'bandwidth', name: 'x', stream: 'downstream' }), 409, 'toxic already exists');
    await expectError(await call('GET', '/proxies/p/toxics/none'), 404, 'toxic not found');
    await expectError(await call('POST', '/proxies/p/toxics/none', {}), 404, 'toxic not found');
    await expectError(await call('DELETE', '/proxies/p/toxics/none'), 404, 'toxic not found');
  });

  it('lists upstream toxics first, then downstream; [] when none', async () => {
    expect((await call('GET', '/proxies/p/toxics')).body).toBe('[]');
    await call('POST', '/proxies/p/toxics', { type: 'noop', name: 'd1' });
    await call('POST', '/proxies/p/toxics', { type: 'noop', name: 'u1', stream: 'upstream' });
    await call('POST', '/proxies/p/toxics', { type: 'noop', name: 'd2' });
    const names = (JSON.parse((await call('GET', '/proxies/p/toxics')).body) as Array<{ name: string }>).map((t) => t.name);
    expect(names).toEqual(['u1', 'd1', 'd2']);
    const proxy = JSON.parse((await call('GET', '/proxies/p')).body) as { toxics: Array<{ name: string }> };
    expect(proxy.toxics.map((t) => t.name)).toEqual(['u1', 'd1', 'd2']);
  });

  it('updates merge attributes and toxicity only; name, type and stream are ignored', async () => {
    await call('POST', '/proxies/p/toxics', { type: 'latency', name: 'lag', attributes: { latency: 10, jitter: 3 } });
    const res = await call('PATCH', '/proxies/p/toxics/lag', { name: 'other', type: 'timeout', stream: 'upstream', attributes: { latency: 20 } });
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"attributes":{"latency":20,"jitter":3},"name":"lag","type":"latency","stream":"downstream","toxicity":1}');
    const res2 = await call('POST', '/proxies/p/toxics/lag', { toxicity: 0.25 });
    expect(res2.body).toBe('{"attributes":{"latency":20,"jitter":3},"name":"lag","type":"latency","stream":"downstream","toxicity":0.25}');
    await expectError(
      await call('POST', '/proxies/p/toxics/lag', { attributes: { jitter: true } }),
      400,
      'bad request body: json: cannot unmarshal bool into Go struct field LatencyToxic.attributes.jitter of type int64',
    );
    const del = await call('DELETE', '/proxies/p/toxics/lag');
    expect(del.status).toBe(204);
    expect(del.body).toBe('');
  });
});

describe('/populate and /reset', () => {
  it('creates proxies, 201 {"proxies":[…]}, null for an empty array', async () => {
    const res = await call('POST', '/populate', [{ name: 'a', listen: '127.0.0.1:0', upstream: UP }, { name: 'b', listen: '127.0.0.1:0', upstream: UP, enabled: false }]);
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    const parsed = JSON.parse(res.body) as { proxies: Array<{ name: string; enabled: boolean }> };
    expect(parsed.proxies.map((p) => [p.name, p.enabled])).toEqual([['a', true], ['b', false]]);
    expect(res.body.startsWith('{"proxies":[{"name":"a","listen":"127.0.0.1:')).toBe(true);
    const empty = await call('POST', '/populate', []);
    expect(empty.status).toBe(201);
    expect(empty.body).toBe('{"proxies":null}');
  });

  it('validates every entry before creating any (400, application/json, proxies null)', async () => {
    const res = await call('POST', '/populate', [{ name: 'a', listen: '127.0.0.1:0', upstream: UP }, { listen: '127.0.0.1:0', upstream: UP }]);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toBe('{"error":"missing required field: name at proxy 2","status":400,"proxies":null}');
    const res2 = await call('POST', '/populate', [{ name: 'a' }]);
    expect(res2.body).toBe('{"error":"missing required field: upstream at proxy 1","status":400,"proxies":null}');
    const res3 = await call('POST', '/populate', '{}');
    expect(res3.status).toBe(400);
    expect(res3.body).toContain('json: cannot unmarshal object into Go value of type []struct { toxiproxy.Proxy; Enabled *bool');
    expect((await call('GET', '/proxies')).body).toBe('{}');
  });

  it('keeps an unchanged proxy (and its toxics), replaces a changed one, deletes nothing', async () => {
    const { listen } = await createProxy('keep');
    await createProxy('other');
    await call('POST', '/proxies/keep/toxics', { type: 'noop', name: 'stay' });
    const res = await call('POST', '/populate', [
      { name: 'keep', listen, upstream: UP },
      { name: 'new', listen: '127.0.0.1:0', upstream: UP },
    ]);
    expect(res.status).toBe(201);
    const all = JSON.parse((await call('GET', '/proxies')).body) as Record<string, { toxics: unknown[] }>;
    expect(Object.keys(all)).toEqual(['keep', 'new', 'other']);
    expect(all.keep!.toxics).toHaveLength(1);
    await call('POST', '/populate', [{ name: 'keep', listen: '127.0.0.1:0', upstream: '127.0.0.1:3' }]);
    const replaced = JSON.parse((await call('GET', '/proxies/keep')).body) as { upstream: string; toxics: unknown[] };
    expect(replaced.upstream).toBe('127.0.0.1:3');
    expect(replaced.toxics).toHaveLength(0);
  });

  it('on a bind failure answers 500 with the proxies created so far, which stay', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const res = await call('POST', '/populate', [
        { name: 'ok', listen: '127.0.0.1:0', upstream: UP },
        { name: 'bad', listen: `127.0.0.1:${port}`, upstream: UP },
        { name: 'never', listen: '127.0.0.1:0', upstream: UP },
      ]);
      expect(res.status).toBe(500);
      const body = JSON.parse(res.body) as { error: string; status: number; proxies: Array<{ name: string }> };
      expect(body.error).toBe(`listen tcp 127.0.0.1:${port}: bind: address already in use`);
      expect(body.status).toBe(500);
      expect(body.proxies.map((p) => p.name)).toEqual(['ok']);
      expect(Object.keys(JSON.parse((await call('GET', '/proxies')).body) as object)).toEqual(['ok']);
    } finally {
      blocker.close();
    }
  });

  it('POST /reset removes every toxic and re-enables every proxy: 204', async () => {
    await createProxy('a');
    await call('POST', '/proxies/a/toxics', { type: 'latency', attributes: { latency: 5 } });
    await call('POST', '/proxies/a', { enabled: false });
    const res = await call('POST', '/reset');
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    const a = JSON.parse((await call('GET', '/proxies/a')).body) as { enabled: boolean; toxics: unknown[] };
    expect(a.enabled).toBe(true);
    expect(a.toxics).toEqual([]);
  });
});
