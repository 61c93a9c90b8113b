/** Shared helpers for the chaos tests: a real echo/sink upstream, raw HTTP, and socket utilities. */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { request } from 'node:http';

/** A TCP upstream on 127.0.0.1 with a per-connection handler; tracks sockets for cleanup. */
export async function startUpstream(onConnection: (socket: Socket) => void): Promise<{ port: number; address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An echo upstream: writes back every byte; ends when the client ends. */
export const startEcho = () =>
  startUpstream((socket) => {
    socket.pipe(socket);
  });

/** A raw HTTP exchange with full control of method, headers and body. */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        // An explicit length: Node sends DELETE/OPTIONS bodies unframed otherwise.
        headers: { 'user-agent': 'agentcheck-test', ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Connects to 127.0.0.1:port. */
export function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Port of a `host:port` listen string. */
export const portOf = (listen: string): number => Number(listen.slice(listen.lastIndexOf(':') + 1));

/** Reads until the socket ends or errors; resolves with bytes, the error code and the arrival times. */
export function readAll(socket: Socket): Promise<{ data: Buffer; error?: string; chunks: Array<{ at: number; size: number }>; endedAt: number }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const times: Array<{ at: number; size: number }> = [];
    let error: string | undefined;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      times.push({ at: performance.now(), size: c.length });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () => resolve({ data: Buffer.concat(chunks), error, chunks: times, endedAt: performance.now() }));
  });
}

/** Sleeps. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Reads HTTP/1.1 responses off one raw socket, each exactly as its bytes arrived (framing included),
 * so tests can compare answers byte for byte and send several requests on one kept-alive connection.
 */
export class RawResponses {
  private buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, c]);
      this.wake?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** True once the server closed the connection. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The next whole response to a request of `method` (bodyless for HEAD, 1xx, 204, 304). */
  async next(method: string): Promise<string> {
    for (;;) {
      const end = this.complete(method);
      if (end !== null) {
        const raw = this.buffer.subarray(0, end).toString('latin1');
        this.buffer = this.buffer.subarray(end);
        return raw;
      }
      if (this.closed) throw new Error(`connection closed mid-response: ${JSON.stringify(this.buffer.toString('latin1'))}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Resolves once the server has closed the connection. */
  async whenClosed(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  // Offset just past the first complete response in the buffer, or null.
  private complete(method: string): number | null {
    const text = this.buffer.toString('latin1');
    const headEnd = text.indexOf('\r\n\r\n');
    if (headEnd < 0) return null;
    const head = text.slice(0, headEnd);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    const bodyStart = headEnd + 4;
    if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return bodyStart;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) {
      const end = bodyStart + Number(length[1]);
      return text.length >= end ? end : null;
    }
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      let at = bodyStart;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd < 0) return null;
        const size = parseInt(text.slice(at, lineEnd), 16);
        if (size === 0) return text.length >= lineEnd + 4 ? lineEnd + 4 : null;
        at = lineEnd + 2 + size + 2;
        if (text.length < at) return null;
      }
    }
    return this.closed ? text.length : null;
  }
}

/** `POST /proxies` to `upstream` on a free loopback port; resolves with that port (throws unless 201). */
export async function createProxyVia(apiUrl: string, upstream: string, name = 'p'): Promise<number> {
  const res = await rawRequest(apiUrl, 'POST', '/proxies', JSON.stringify({ name, listen: '127.0.0.1:0', upstream }));
  if (res.status !== 201) throw new Error(`POST /proxies → ${res.status} ${res.body}`);
  return portOf((JSON.parse(res.body) as { listen: string }).listen);
}

/** `POST /proxies/{proxy}/toxics` with `body` (throws unless 200). */
export async function addToxicVia(apiUrl: string, body: Record<string, unknown>, proxy = 'p'): Promise<void> {
  const res = await rawRequest(apiUrl, 'POST', `/proxies/${proxy}/toxics`, JSON.stringify(body));
  if (res.status !== 200) throw new Error(`POST /proxies/${proxy}/toxics → ${res.status} ${res.body}`);
}
