/** Small local HTTP targets for the load tests, bound to 127.0.0.1 on a free port. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A started target: its URL and a close() that also drops idle keep-alive sockets. */
export interface TestServer {
  url: string;
  /** Requests the server has received. */
  received: () => number;
  /** Headers of the first few requests (bounded). */
  lastHeaders: () => http.IncomingHttpHeaders[];
  /** Method, URL and body of the first few requests (bounded). */
  lastRequests: () => Array<{ method: string; url: string; body: string }>;
  close: () => Promise<void>;
}

/**
 * Starts a server whose handler decides each response's delay and status from the time since the
 * server started (ms) — enough to script stalls and collapses.
 */
export async function startServer(behaviour: (sinceStartMs: number, req: http.IncomingMessage) => { delayMs?: number; status?: number; holdUntilMs?: number }): Promise<TestServer> {
  const t0 = performance.now();
  let received = 0;
  const headers: http.IncomingHttpHeaders[] = [];
  const requests: Array<{ method: string; url: string; body: string }> = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    received++;
    if (headers.length < 50) headers.push(req.headers);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (requests.length < 50) requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      const now = performance.now() - t0;
      const b = behaviour(now, req);
      const wait = Math.max(b.delayMs ?? 0, (b.holdUntilMs ?? 0) - now);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(b.status ?? 200, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      if (wait <= 0) send();
      else {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, wait);
        timers.add(t);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    lastHeaders: () => headers,
    lastRequests: () => requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port with nothing listening (bound then released). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
