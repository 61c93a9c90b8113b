/** Test helpers: a real agentcheck proxy server, real counting upstreams, and a plain HTTP client. */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProxyServer, type ProxyServer } from '../../../src/chaos/server.js';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface CountingUpstream {
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

type Handler = (req: Received, res: ServerResponse) => void;

const defaultHandler: Handler = (req, res) => {
  const body = JSON.stringify({ ok: true, path: req.url });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** A real HTTP server on 127.0.0.1 that records every request it receives (after reading its body). */
export async function countingUpstream(handler: Handler = defaultHandler): Promise<CountingUpstream> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      received.push(r);
      handler(r, res);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ApiResult {
  status: number;
  text: string;
  json: unknown;
}

/** Calls the proxy server's API. */
export async function api(server: ProxyServer, method: string, path: string, body?: unknown): Promise<ApiResult> {
  const res = await fetch(server.url + path, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // NDJSON or plain text
  }
  return { status: res.status, text, json };
}

/** Starts a proxy server on a free port. */
export function startServer(seed: number | string = 7): Promise<ProxyServer> {
  return startProxyServer({ host: '127.0.0.1', port: 0, seed });
}

/** Creates a proxy through the API and returns its listen port. */
export async function createProxy(server: ProxyServer, name: string, upstreamPort: number, protocol: 'http' | 'tcp' = 'http'): Promise<number> {
  const r = await api(server, 'POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, protocol });
  if (r.status !== 201) throw new Error(`create proxy: ${r.status} ${r.text}`);
  return Number((r.json as { listen: string }).listen.split(':').pop());
}

/** Adds a toxic through the API. */
export async function addToxic(
  server: ProxyServer,
  proxy: string,
  toxic: { type: string; name?: string; stream?: string; toxicity?: number; attributes?: Record<string, unknown> },
): Promise<ApiResult> {
  const r = await api(server, 'POST', `/proxies/${proxy}/toxics`, toxic);
  if (r.status !== 200) throw new Error(`add toxic: ${r.status} ${r.text}`);
  return r;
}

export type Reply = { status: number; headers: IncomingMessage['headers']; body: string } | { error: string };

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  agent?: Agent;
}

/** One HTTP request with a client-side timeout; network failures come back as `{error: code}`. */
export function send(port: number, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const body = options.body;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        path: options.path ?? '/',
        headers: { ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers },
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
        res.on('aborted', () => resolve({ error: 'aborted' }));
      },
    );
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Polls `check` until it is true or `ms` passed. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

/** A JSON-RPC 2.0 request body. */
export function rpc(method: string, id: number | string = 1, params: unknown = {}): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}
