/**
 * Real HTTP agents on 127.0.0.1 for the workflow tests: a JSON-RPC endpoint whose handler decides
 * each answer (a JSON body, or an SSE stream), and an async A2A agent (v0.3 or v1.0 shapes) that
 * answers `message/send` with a `submitted` task and finishes it later, some tasks `failed`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** Servers a test file starts, closed after each test: `const keep = closeAfterEach();` then `keep(await start…())`. */
export function closeAfterEach(): <T extends { close(): Promise<void> }>(server: T) => T {
  let servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  return (server) => {
    servers.push(server);
    return server;
  };
}

/** What a handler answers. */
export type RpcAnswer =
  | { status?: number; body: unknown }
  | { status?: number; sse: unknown[]; intervalMs?: number; holdOpenMs?: number };

/** A started server. */
export interface RpcServer {
  url: string;
  /** JSON-RPC methods received, in order (bounded). */
  methods: string[];
  /** Headers of requests received (bounded). */
  headers: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Starts a server: POST bodies are parsed as JSON-RPC and passed to `handler`; GET /healthz answers 200. */
export async function startRpcServer(handler: (method: string, params: Record<string, unknown>, id: unknown) => RpcAnswer): Promise<RpcServer> {
  const methods: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      if (headers.length < 200) headers.push(req.headers);
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      let msg: { method?: string; params?: Record<string, unknown>; id?: unknown };
      try {
        msg = JSON.parse(text);
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}');
        return;
      }
      const method = String(msg.method ?? '');
      if (methods.length < 10_000) methods.push(method);
      const a = handler(method, msg.params ?? {}, msg.id ?? null);
      if ('body' in a) {
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.body));
        return;
      }
      res.writeHead(a.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      a.sse.forEach((e, i) => later((a.intervalMs ?? 10) * (i + 1), () => !res.destroyed && res.write(`event: message\ndata: ${JSON.stringify(e)}\n\n`)));
      later((a.intervalMs ?? 10) * a.sse.length + (a.holdOpenMs ?? 0) + 1, () => !res.destroyed && res.end());
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    headers,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Options of {@link startA2aServer}. */
export interface A2aServerOptions {
  version: '0.3' | '1.0';
  /** A task finishes this long after it was submitted (Infinity: never). */
  completeAfterMs: number;
  /** Whether task number n (0, 1, 2, … in submission order) ends `failed` instead of `completed`. */
  fails?: (n: number) => boolean;
}

/** An async A2A agent: `submitted` at once, `working` meanwhile, terminal after `completeAfterMs`. */
export async function startA2aServer(opts: A2aServerOptions): Promise<RpcServer & { tasks: () => number }> {
  const tasks = new Map<string, { at: number; fails: boolean }>();
  let n = 0;
  const v1 = opts.version === '1.0';
  const state = (s: string): string => (v1 ? `TASK_STATE_${s.toUpperCase().replace('-', '_')}` : s);
  const taskJson = (id: string) => {
    const t = tasks.get(id)!;
    const age = performance.now() - t.at;
    const s = age >= opts.completeAfterMs ? (t.fails ? 'failed' : 'completed') : age > opts.completeAfterMs / 2 ? 'working' : 'submitted';
    return { id, contextId: `ctx-${id}`, ...(v1 ? {} : { kind: 'task' }), status: { state: state(s) } };
  };
  const server = await startRpcServer((method, params, rpcId) => {
    if (method === (v1 ? 'SendMessage' : 'message/send')) {
      const id = `task-${n}`;
      tasks.set(id, { at: performance.now(), fails: opts.fails?.(n) ?? false });
      n++;
      const task = taskJson(id);
      return { body: { jsonrpc: '2.0', id: rpcId, result: v1 ? { task } : task } };
    }
    if (method === (v1 ? 'GetTask' : 'tasks/get')) {
      const id = String(params.id);
      if (!tasks.has(id)) return { body: { jsonrpc: '2.0', id: rpcId, error: { code: -32001, message: 'task not found' } } };
      return { body: { jsonrpc: '2.0', id: rpcId, result: taskJson(id) } };
    }
    return { body: { jsonrpc: '2.0', id: rpcId, error: { code: -32601, message: `no method ${method}` } } };
  });
  return { ...server, tasks: () => n };
}

/** A JSON-RPC `message/send` body (v0.3) with the workflow's uuid as the message id. */
export const sendBody = JSON.stringify({ jsonrpc: '2.0', id: '${seq}', method: 'message/send', params: { message: { messageId: '${uuid}', role: 'user', parts: [{ kind: 'text', text: 'hi' }] } } });
