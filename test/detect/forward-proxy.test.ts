/**
 * The forward proxy on real sockets: a real HTTP server on 127.0.0.1 stands in for an edge proxy
 * (the declared target) and another for a peer's own port (which must never be contacted).
 */
import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardProxy, MAX_DISTINCT_TARGETS, normalizeAuthority, OTHER_TARGETS, parseProxyTarget, proxyEnv } from '../../src/detect/forward-proxy.js';
import { parseAllowList } from '../../src/detect/topology-allow.js';

interface Upstream {
  authority: string;
  hits: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }>;
  server: http.Server;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function upstream(): Promise<Upstream> {
  const hits: Upstream['hits'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      hits.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`upstream saw ${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { authority: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, hits, server };
}

async function proxy(callers: Record<string, string[]>, options: ConstructorParameters<typeof ForwardProxy>[0] = {}): Promise<{ fp: ForwardProxy; urls: Record<string, URL> }> {
  const fp = new ForwardProxy(options);
  cleanups.push(() => fp.close());
  const urls: Record<string, URL> = {};
  for (const [name, allowed] of Object.entries(callers)) urls[name] = new URL(await fp.addCaller(name, allowed));
  return { fp, urls };
}

/** An absolute-form request through the proxy at `via`, as HTTP_PROXY-aware clients send it. */
function viaProxy(via: URL, target: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: via.hostname, port: via.port, method: init.method ?? 'GET', path: target, headers: { host: new URL(target).host, 'proxy-connection': 'keep-alive', ...init.headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Raw bytes to the proxy; resolves with everything it answered before closing (or after `ms`). */
function raw(via: URL, bytes: string, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(via.port), via.hostname, () => s.write(bytes));
    let text = '';
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (b: Buffer) => (text += b.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** A CONNECT through the proxy: the status, and the tunnel socket when it was opened. */
function connect(via: URL, authority: string): Promise<{ status: number; socket: net.Socket; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: via.hostname, port: via.port, method: 'CONNECT', path: authority, agent: false });
    // Node hands over the socket for any answer to CONNECT; a refusal's body follows on it.
    req.on('connect', (res, socket, head) => {
      if (res.statusCode === 200) return resolve({ status: 200, socket, body: '' });
      let body = head.toString();
      socket.on('data', (b: Buffer) => (body += b.toString()));
      socket.on('close', () => resolve({ status: res.statusCode ?? 0, socket, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A GET sent through an opened tunnel; resolves with the upstream's answer once it arrives. */
function throughTunnel(socket: net.Socket, path: string, authority: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('upstream saw')) resolve(text);
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
  });
}

describe('forward proxy', () => {
  it('forwards a call to a declared edge in origin-form, without the proxy headers', async () => {
    const edge = await upstream();
    const { fp, urls } = await proxy({ planner: [edge.authority] });
    const res = await viaProxy(urls.planner!, `http://${edge.authority}/charges?x=1`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    expect(res).toEqual({ status: 200, body: 'upstream saw POST /charges?x=1' });
    expect(edge.hits).toHaveLength(1);
    expect(edge.hits[0]).toMatchObject({ url: '/charges?x=1', body: '{"a":1}', headers: { host: edge.authority, traceparent: expect.stringMatching(/^00-0af7/) } });
    expect(edge.hits[0]!.headers['proxy-connection']).toBeUndefined();
    expect(fp.violations()).toEqual([]);
    expect(fp.forwardedCounts().get('planner')).toBe(1);
  });

  it('accepts localhost for a declared 127.0.0.1 edge', async () => {
    const edge = await upstream();
    const { urls } = await proxy({ planner: [edge.authority] });
    const port = edge.authority.split(':')[1];
    expect((await viaProxy(urls.planner!, `http://localhost:${port}/x`)).status).toBe(200);
  });

  it('refuses an undeclared host and a peer port with 403, contacts neither, and records each once with a count', async () => {
    const edge = await upstream();
    const peer = await upstream();
    let t = 1000;
    const { fp, urls } = await proxy({ notifier: [edge.authority] }, { now: () => t++ });
    const outside = await viaProxy(urls.notifier!, 'http://hooks.example.com/orders', { method: 'POST', body: '{}' });
    await viaProxy(urls.notifier!, 'http://hooks.example.com/orders');
    const toPeer = await viaProxy(urls.notifier!, `http://${peer.authority}/healthz`);
    expect(outside).toEqual({ status: 403, body: 'agentcheck: notifier may call only its declared edges; hooks.example.com:80 is not one\n' });
    expect(toPeer.status).toBe(403);
    expect(peer.hits).toEqual([]);
    expect(edge.hits).toEqual([]);
    expect(fp.violations()).toEqual([
      { caller: 'notifier', target: 'hooks.example.com:80', count: 2, firstAtMs: 1000 },
      { caller: 'notifier', target: peer.authority, count: 1, firstAtMs: 1001 },
    ]);
    // A run that takes them starts the next one afresh (a team shared by game-day experiments).
    expect(fp.take().violations).toHaveLength(2);
    await viaProxy(urls.notifier!, 'http://hooks.example.com/orders');
    expect(fp.take()).toEqual({ violations: [{ caller: 'notifier', target: 'hooks.example.com:80', count: 1, firstAtMs: 1002 }], forwarded: new Map([['notifier', 0]]), allowed: [] });
  });

  it('keeps at most MAX_DISTINCT_TARGETS refused targets and counts the rest together, still as refused calls', async () => {
    const { fp, urls } = await proxy({ scanner: [] });
    const extra = 7;
    for (let i = 0; i < MAX_DISTINCT_TARGETS + extra; i++) {
      const r = await viaProxy(urls.scanner!, `http://host-${i}.example.com/`);
      expect(r.status).toBe(403);
    }
    // A target already kept is still counted on its own entry once the bound is reached.
    await viaProxy(urls.scanner!, 'http://host-0.example.com/');
    const v = fp.violations();
    expect(v).toHaveLength(MAX_DISTINCT_TARGETS + 1);
    expect(v.find((x) => x.target === 'host-0.example.com:80')?.count).toBe(2);
    expect(v.find((x) => x.target === OTHER_TARGETS)).toMatchObject({ caller: 'scanner', count: extra });
    expect(v.reduce((n, x) => n + x.count, 0)).toBe(MAX_DISTINCT_TARGETS + extra + 1);
  }, 60_000);

  it('tunnels CONNECT to a declared edge, and refuses CONNECT elsewhere with 403', async () => {
    const edge = await upstream();
    const { fp, urls } = await proxy({ planner: [edge.authority] });
    const ok = await connect(urls.planner!, edge.authority);
    expect(ok.status).toBe(200);
    const answer = await throughTunnel(ok.socket, '/through-tunnel', edge.authority);
    expect(answer).toMatch(/^HTTP\/1\.1 200[\s\S]*upstream saw GET \/through-tunnel/);
    ok.socket.destroy();
    const refused = await connect(urls.planner!, 'api.example.com:443');
    expect(refused.status).toBe(403);
    expect(refused.body).toBe('agentcheck: planner may call only its declared edges; api.example.com:443 is not one\n');
    expect(fp.violations()).toMatchObject([{ caller: 'planner', target: 'api.example.com:443', count: 1 }]);
  });

  it('answers 400 to malformed proxy requests and 431 to an oversized head, recording nothing', async () => {
    const { fp, urls } = await proxy({ planner: [] }, { maxHeaderSize: 2048 });
    expect(await raw(urls.planner!, 'GET /origin-form HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [\s\S]*needs an absolute URL/);
    expect(await raw(urls.planner!, 'CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [\s\S]*CONNECT needs host:port/);
    expect(await raw(urls.planner!, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(urls.planner!, `GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nX-Big: ${'x'.repeat(4096)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(fp.violations()).toEqual([]);
  });

  it('knows the caller by its listener: the same call is forwarded for one agent and refused for another', async () => {
    const edge = await upstream();
    const { fp, urls } = await proxy({ planner: [edge.authority], intake: [] });
    expect(urls.planner!.port).not.toBe(urls.intake!.port);
    // A forged header names nobody: only the listener counts.
    const headers = { 'x-agentcheck-caller': 'planner' };
    expect((await viaProxy(urls.planner!, `http://${edge.authority}/a`, { headers })).status).toBe(200);
    expect((await viaProxy(urls.intake!, `http://${edge.authority}/a`, { headers })).status).toBe(403);
    expect(fp.violations()).toMatchObject([{ caller: 'intake', target: edge.authority, count: 1 }]);
    expect(fp.listenOf('planner')).toBe(`127.0.0.1:${urls.planner!.port}`);
  });

  it('close() ends open tunnels and idle keep-alive connections, and refuses new listeners', async () => {
    const edge = await upstream();
    const { fp, urls } = await proxy({ planner: [edge.authority] });
    const tunnel = await connect(urls.planner!, edge.authority);
    const idle = net.connect(Number(urls.planner!.port), '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    const closed = Promise.all([tunnel.socket, idle].map((s) => new Promise((resolve) => s.once('close', resolve))));
    await fp.close();
    await closed;
    await expect(fp.addCaller('late', [])).rejects.toThrow(/closed/);
  });

  it('a listener still opening when close() runs is closed too', async () => {
    const fp = new ForwardProxy();
    const opening = fp.addCaller('late', []);
    await fp.close();
    await expect(opening).rejects.toThrow(/closed/);
    expect(fp.callerNames()).toEqual([]);
  });

  it('closes a tunnel that stays idle past idleMs', async () => {
    const edge = await upstream();
    const { urls } = await proxy({ planner: [edge.authority] }, { idleMs: 200 });
    const tunnel = await connect(urls.planner!, edge.authority);
    const t0 = performance.now();
    await new Promise((resolve) => tunnel.socket.once('close', resolve));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
  });
});

describe('forward proxy with declared outside dependencies', () => {
  it('forwards an allowed target for real (absolute-form and CONNECT), counts it, and still refuses the rest', async () => {
    const edge = await upstream();
    const llm = await upstream();
    const other = await upstream();
    const fp = new ForwardProxy({ now: () => 500 });
    cleanups.push(() => fp.close());
    // Only loopback: a CIDR entry for the stand-in "LLM API", a per-caller entry naming another agent.
    const allow = parseAllowList([`127.0.0.0/8:${llm.authority.split(':')[1]}`, { from: 'planner', to: other.authority }]);
    const notifier = new URL(await fp.addCaller('notifier', [edge.authority], allow));
    const res = await viaProxy(notifier, `http://${llm.authority}/v1/chat?x=1`, { method: 'POST', body: '{"q":1}' });
    expect(res).toEqual({ status: 200, body: 'upstream saw POST /v1/chat?x=1' });
    expect(llm.hits).toMatchObject([{ url: '/v1/chat?x=1', body: '{"q":1}', headers: { host: llm.authority } }]);
    const tunnel = await connect(notifier, llm.authority);
    expect(tunnel.status).toBe(200);
    const answer = await throughTunnel(tunnel.socket, '/tunnelled', llm.authority);
    expect(answer).toMatch(/upstream saw GET \/tunnelled/);
    tunnel.socket.destroy();
    // The entry for planner does not let notifier through; nor does the CIDR on another port.
    expect((await viaProxy(notifier, `http://${other.authority}/x`)).status).toBe(403);
    expect((await connect(notifier, 'api.example.com:443')).status).toBe(403);
    expect(other.hits).toEqual([]);
    expect(fp.allowedCalls()).toEqual([{ caller: 'notifier', target: llm.authority, count: 2, firstAtMs: 500, entry: `127.0.0.0/8:${llm.authority.split(':')[1]}` }]);
    expect(fp.violations().map((v) => v.target)).toEqual([other.authority, 'api.example.com:443']);
    expect(fp.forwardedCounts().get('notifier')).toBe(0);
    const taken = fp.take();
    expect(taken.allowed).toHaveLength(1);
    expect(fp.allowedCalls()).toEqual([]);
  });

  it('forwards a per-caller entry for its caller only', async () => {
    const hook = await upstream();
    const fp = new ForwardProxy();
    cleanups.push(() => fp.close());
    const allow = parseAllowList([{ from: 'notifier', to: hook.authority }]);
    const notifier = new URL(await fp.addCaller('notifier', [], allow));
    const planner = new URL(await fp.addCaller('planner', [], allow));
    expect((await viaProxy(notifier, `http://${hook.authority}/hook`)).status).toBe(200);
    expect(await viaProxy(planner, `http://${hook.authority}/hook`)).toEqual({ status: 403, body: `agentcheck: planner may call only its declared edges; ${hook.authority} is not one\n` });
    expect(hook.hits).toHaveLength(1);
  });
});

describe('proxy request targets', () => {
  const hostname = fc.domain().map((d) => d.toLowerCase());
  const ipv6Equal = (a: string, b: string) => {
    const list = new net.BlockList();
    list.addAddress(a, 'ipv6');
    return list.check(b, 'ipv6');
  };

  it('parses absolute-form with explicit or default ports, keeping the path and query as sent', () => {
    fc.assert(
      fc.property(fc.constantFrom('http', 'https', 'HTTP'), hostname, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.webPath(), fc.option(fc.webQueryParameters(), { nil: undefined }), (scheme, host, port, path, query) => {
        const origin = `${path === '' ? '/' : path}${query !== undefined ? `?${query}` : ''}`;
        const t = parseProxyTarget('GET', `${scheme}://${host}${port !== undefined ? `:${port}` : ''}${origin}`);
        const expectedPort = port ?? (scheme.toLowerCase() === 'https' ? 443 : 80);
        expect(t).toEqual({ host, port: expectedPort, authority: `${host}:${expectedPort}`, path: origin });
      }),
      { numRuns: 60 },
    );
  }, 30_000);

  it('parses IPv4 and IPv6 literals in both forms alike', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6().map((a) => `[${a}]`)), fc.integer({ min: 1, max: 65535 }), (literal, port) => {
        const viaConnect = parseProxyTarget('CONNECT', `${literal}:${port}`);
        const viaGet = parseProxyTarget('GET', `http://${literal}:${port}/p`);
        expect(viaConnect).not.toBeNull();
        expect(viaGet).toEqual({ ...viaConnect, path: '/p' });
        if (literal.startsWith('[')) expect(ipv6Equal(viaConnect!.host, literal.slice(1, -1))).toBe(true);
        else expect(viaConnect!.host).toBe(literal);
        expect(viaConnect!.port).toBe(port);
        // The authority parses back to itself.
        expect(parseProxyTarget('CONNECT', viaConnect!.authority)).toEqual(viaConnect);
      }),
    );
    expect(parseProxyTarget('CONNECT', '[::1]:8080')).toEqual({ host: '::1', port: 8080, authority: '[::1]:8080' });
    expect(parseProxyTarget('GET', 'http://[0:0:0:0:0:0:0:1]/')).toEqual({ host: '::1', port: 80, authority: '[::1]:80', path: '/' });
    expect(parseProxyTarget('GET', 'http://Example.COM?q=1')).toEqual({ host: 'example.com', port: 80, authority: 'example.com:80', path: '/?q=1' });
  }, 30_000);

  it('refuses what is not a proxy target: origin-form, missing or bad ports, user info, spaces', () => {
    for (const [method, target] of [
      ['GET', '/path'], ['GET', '*'], ['GET', 'example.com:80'], ['GET', 'ftp://example.com/'], ['GET', 'http://user:pw@example.com/'],
      ['GET', 'http://example.com:0/'], ['GET', 'http://example.com:70000/'], ['GET', 'http://exa mple.com/'], ['GET', 'http:///x'],
      ['CONNECT', 'example.com'], ['CONNECT', 'example.com:0'], ['CONNECT', 'example.com:65536'], ['CONNECT', 'http://example.com:443'],
      ['CONNECT', '[::1]'], ['CONNECT', '[zz::1]:80'], ['CONNECT', 'a@b:80'], ['CONNECT', 'a/b:80'],
    ] as const) expect([method, target, parseProxyTarget(method, target)]).toEqual([method, target, null]);
  });

  it('never throws, and anything it accepts has a port in range and a host', () => {
    fc.assert(
      fc.property(fc.constantFrom('GET', 'CONNECT', 'POST'), fc.oneof(fc.string(), fc.webUrl(), fc.string().map((s) => `http://${s}`), fc.string().map((s) => `${s}:443`)), (method, target) => {
        const t = parseProxyTarget(method, target);
        if (t) {
          expect(t.port).toBeGreaterThanOrEqual(1);
          expect(t.port).toBeLessThanOrEqual(65535);
          expect(t.host.length).toBeGreaterThan(0);
          expect(t.authority.endsWith(`:${t.port}`)).toBe(true);
        }
      }),
    );
  }, 30_000);

  it('normalises localhost to the loopback address the edge proxies listen on', () => {
    expect(normalizeAuthority('localhost:8080')).toBe('127.0.0.1:8080');
    expect(normalizeAuthority('LOCALHOST:8080')).toBe('127.0.0.1:8080');
    expect(normalizeAuthority('127.0.0.1:8080')).toBe('127.0.0.1:8080');
  });
});

describe('proxy environment', () => {
  it('sets both spellings of the proxy variables and lists the edges in NO_PROXY', () => {
    expect(proxyEnv('http://127.0.0.1:5000', ['127.0.0.1:6001', '127.0.0.1:6002']).env).toEqual({
      HTTP_PROXY: 'http://127.0.0.1:5000', HTTPS_PROXY: 'http://127.0.0.1:5000', http_proxy: 'http://127.0.0.1:5000', https_proxy: 'http://127.0.0.1:5000',
      NO_PROXY: '127.0.0.1:6001,127.0.0.1:6002', no_proxy: '127.0.0.1:6001,127.0.0.1:6002',
    });
  });
  it("keeps the scenario's own values and says which", () => {
    const { env, kept } = proxyEnv('http://127.0.0.1:5000', [], { HTTPS_PROXY: 'http://corp:3128', NO_PROXY: '*' });
    expect(kept).toEqual(['HTTPS_PROXY', 'NO_PROXY']);
    expect(env).not.toHaveProperty('HTTPS_PROXY');
    expect(env).not.toHaveProperty('NO_PROXY');
    expect(env.HTTP_PROXY).toBe('http://127.0.0.1:5000');
  });
});
