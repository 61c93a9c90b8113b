/**
 * A recording tap on one edge: a loopback HTTP server that records every request a provider sends
 * to a consumer and forwards it unchanged to the consumer (or answers `202 {"accepted":true}` when
 * there is no consumer to forward to). It is how agentcheck obtains the real messages a running
 * provider emits, to verify message (event) pacts against them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request seen on the tap. */
export interface CapturedMessage {
  /** Sequence number on this tap, from 0. */
  seq: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
  text: string;
}

/** A running tap. */
export interface MessageTap extends AsyncDisposable {
  /** The URL to give the provider instead of the consumer's. */
  readonly url: string;
  /** Everything recorded so far. */
  readonly captured: readonly CapturedMessage[];
  /** Resolves with the first JSON message with `seq >= from`, waiting up to `timeoutMs`; `undefined` on timeout. */
  next(from: number, timeoutMs: number): Promise<CapturedMessage | undefined>;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Starts a tap that forwards to `target` (a base URL), or answers 202 itself when `target` is undefined. */
export async function startMessageTap(target?: string): Promise<MessageTap> {
  const captured: CapturedMessage[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      captured.push({ seq: captured.length, method: req.method ?? 'GET', path: req.url ?? '/', headers: flatHeaders(req.headers), json, text });
      for (const wake of waiters) wake();
      if (!target) {
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
        return;
      }
      const url = new URL(req.url ?? '/', target);
      const headers = { ...req.headers };
      delete headers['host'];
      const out = http.request(url, { method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `agentcheck tap: consumer unreachable: ${err.message}` }));
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      for (const wake of waiters) wake();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  const next = async (from: number, timeoutMs: number): Promise<CapturedMessage | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = captured.find((m) => m.seq >= from && m.json !== undefined);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || closing) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        waiters.add(wake);
      });
    }
  };
  return { url: `http://127.0.0.1:${port}`, captured, next, close, [Symbol.asyncDispose]: close };
}
