/**
 * A minimal HTTP/1.1 keep-alive client over `net` sockets for the open model's plain-http path.
 *
 * Why not `node:http`: its client costs ~5× more CPU per request than autocannon's raw sockets
 * (request objects, header validation, async-hooks bookkeeping per reuse), and the open model needs
 * that headroom to keep its schedule. This client does only what a load generator needs: write one
 * prebuilt request per socket at a time, read the status line and headers, skip the body
 * (Content-Length, chunked, or until close) or, when the request asks for it, keep it (bounded by
 * {@link MAX_BODY_BYTES}) or hand a `text/event-stream` body over chunk by chunk, and hand the
 * socket back to the pool. A request that does not ask for its body costs what it did before.
 */
import * as net from 'node:net';

/** Most body bytes kept per response; the rest is read and dropped (`truncated`). */
export const MAX_BODY_BYTES = 1 << 20;

/** A response body kept for a request that asked for it. */
export interface Http1Body {
  /** Lower-cased media type without parameters (`application/json`), or '' when none was sent. */
  contentType: string;
  /** Up to {@link MAX_BODY_BYTES} bytes (for a stream: the bytes not yet handed to `onStream`). */
  bytes: Buffer;
  /** More bytes arrived than were kept. */
  truncated: boolean;
  /** `onStream` asked to stop before the body ended (the socket was closed). */
  stopped: boolean;
}

/** One request to send: its bytes, and the callback for its outcome (exactly once). */
export interface Http1Request {
  buffer: Buffer;
  /** A HEAD request: the response has no body whatever its headers say. */
  head: boolean;
  /** Keep the response body (bounded) and pass it to `done`. */
  readBody?: boolean;
  /**
   * With `readBody`: a `text/event-stream` response's body chunks as they arrive; return true to
   * stop reading (the response then completes with `stopped`, and its socket is closed).
   */
  onStream?: (chunk: Buffer) => boolean;
  /**
   * `status` on a complete response; `error` (with a code) otherwise. `sent`: the bytes left us.
   * `body` when the request asked for it and a response came.
   */
  done: (status: number | undefined, error: NodeJS.ErrnoException | undefined, sent: boolean, body?: Http1Body) => void;
}

/** A handle to abort a request (its socket is destroyed). */
export interface Http1Handle {
  abort(): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
// Servers close idle keep-alive sockets (Node's default after 5 s); reusing one that is about to
// close turns a healthy request into a reset, so older idle sockets are replaced instead.
const MAX_IDLE_MS = 4000;

type BodyMode = 'none' | 'length' | 'chunked' | 'eof';

class Conn {
  readonly socket: net.Socket;
  req: Http1Request | null = null;
  idleSince = 0;
  connected = false;
  private pending: Buffer | null = null;
  private status = 0;
  private mode: BodyMode = 'none';
  private remaining = 0;
  private phase: 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' = 'head';
  private closeAfter = false;
  private written = false;
  private contentType = '';
  private chunks: Buffer[] | null = null;
  private kept = 0;
  private truncated = false;
  private streaming = false;

  constructor(
    private readonly pool: Http1Pool,
    host: string,
    port: number,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.fail(e));
    this.socket.on('close', () => this.onClose());
  }

  send(req: Http1Request): void {
    this.req = req;
    this.phase = 'head';
    this.pending = null;
    this.closeAfter = false;
    this.written = false;
    this.chunks = null;
    this.socket.write(req.buffer, () => (this.written = true));
  }

  private finish(stopped = false): void {
    const req = this.req;
    this.req = null;
    this.pending = null;
    if (stopped) this.closeAfter = true;
    if (this.closeAfter) this.socket.destroy();
    if (req?.readBody) {
      const body: Http1Body = {
        contentType: this.contentType,
        bytes: this.chunks ? (this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)) : Buffer.alloc(0),
        truncated: this.truncated,
        stopped,
      };
      this.chunks = null;
      req.done(this.status, undefined, true, body);
    } else req?.done(this.status, undefined, true);
    if (!this.closeAfter && !this.socket.destroyed) this.pool.release(this);
  }

  /** Keeps (or streams) body bytes of a request that asked for them; false when reading stopped. */
  private keep(buf: Buffer, from: number, to: number): boolean {
    if (to <= from) return true;
    const part = buf.subarray(from, to);
    if (this.streaming) {
      if (this.req!.onStream!(Buffer.from(part))) {
        this.finish(true);
        return false;
      }
      return true;
    }
    const room = MAX_BODY_BYTES - this.kept;
    if (room <= 0) {
      this.truncated = true;
      return true;
    }
    // Copied: the socket's buffer is reused for later reads.
    const take = part.length > room ? part.subarray(0, room) : part;
    if (take.length < part.length) this.truncated = true;
    (this.chunks ??= []).push(Buffer.from(take));
    this.kept += take.length;
    return true;
  }

  private fail(e: NodeJS.ErrnoException): void {
    const req = this.req;
    this.req = null;
    this.socket.destroy();
    // Bytes that never left (connection refused, reset before the write completed) did not reach the target.
    req?.done(undefined, e, this.connected && this.written);
  }

  private onClose(): void {
    this.pool.forget(this);
    if (!this.req) return;
    if (this.phase === 'body' && this.mode === 'eof') return this.finish();
    this.fail(Object.assign(new Error('connection closed before the response completed'), { code: 'ECONNRESET' }));
  }

  private onData(chunk: Buffer): void {
    if (!this.req) {
      // Nothing asked for: the connection is out of step; drop it.
      this.socket.destroy();
      return;
    }
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let i = 0;
    while (this.req && i <= buf.length) {
      if (this.phase === 'head') {
        const end = buf.indexOf(CRLFCRLF, i);
        if (end < 0) {
          this.pending = buf.subarray(i);
          if (this.pending.length > 65_536) this.fail(Object.assign(new Error('response header too large'), { code: 'HPE_HEADER_OVERFLOW' }));
          return;
        }
        const ok = this.parseHead(buf.toString('latin1', i, end));
        i = end + 4;
        if (!ok) return;
        continue;
      }
      if (this.phase === 'body') {
        if (this.mode === 'none') return this.finishAt(buf, i);
        if (this.mode === 'eof') {
          // until close
          if (this.req.readBody) this.keep(buf, i, buf.length);
          return;
        }
        const take = Math.min(this.remaining, buf.length - i);
        if (this.req.readBody && !this.keep(buf, i, i + take)) return;
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) return this.finishAt(buf, i);
        return;
      }
      if (this.phase === 'chunk-size' || this.phase === 'chunk-crlf' || this.phase === 'trailers') {
        const eol = buf.indexOf('\r\n', i, 'latin1');
        if (eol < 0) {
          this.pending = buf.subarray(i);
          return;
        }
        const line = buf.toString('latin1', i, eol);
        i = eol + 2;
        if (this.phase === 'chunk-crlf') {
          this.phase = 'chunk-size';
          continue;
        }
        if (this.phase === 'trailers') {
          if (line === '') return this.finishAt(buf, i);
          continue;
        }
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) {
          this.fail(Object.assign(new Error(`bad chunk size '${line}'`), { code: 'HPE_INVALID_CHUNK_SIZE' }));
          return;
        }
        if (size === 0) this.phase = 'trailers';
        else {
          this.remaining = size;
          this.phase = 'chunk-data';
        }
        continue;
      }
      // chunk-data
      const take = Math.min(this.remaining, buf.length - i);
      if (this.req.readBody && !this.keep(buf, i, i + take)) return;
      this.remaining -= take;
      i += take;
      if (this.remaining > 0) return;
      this.phase = 'chunk-crlf';
      if (i >= buf.length) return;
    }
  }

  /** Completes the response; bytes after it mean the server is out of step, so close then. */
  private finishAt(buf: Buffer, i: number): void {
    if (i < buf.length) this.closeAfter = true;
    this.finish();
  }

  /** Parses a header block; false when the request was failed. */
  private parseHead(text: string): boolean {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) {
      this.fail(Object.assign(new Error(`not an HTTP/1.x response: '${(lines[0] ?? '').slice(0, 40)}'`), { code: 'HPE_INVALID_CONSTANT' }));
      return false;
    }
    const status = Number(m[1]);
    // 1xx informational responses precede the real one.
    if (status >= 100 && status < 200 && status !== 101) return true;
    let length = -1;
    let chunked = false;
    let contentType = '';
    this.closeAfter = /^HTTP\/1\.0/.test(lines[0]!);
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const c = line.indexOf(':');
      if (c <= 0) continue;
      const name = line.slice(0, c).trim().toLowerCase();
      const value = line.slice(c + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'content-type') contentType = value.split(';')[0]!.trim();
      else if (name === 'transfer-encoding') chunked = value.split(',').map((s) => s.trim()).includes('chunked');
      else if (name === 'connection') this.closeAfter = value.split(',').map((s) => s.trim()).includes('close') ? true : value.includes('keep-alive') ? false : this.closeAfter;
    }
    this.status = status;
    if (this.req!.readBody) {
      this.contentType = contentType;
      this.chunks = null;
      this.kept = 0;
      this.truncated = false;
      this.streaming = contentType === 'text/event-stream' && this.req!.onStream !== undefined;
    }
    if (this.req!.head || status === 204 || status === 304) this.mode = 'none';
    else if (chunked) this.mode = 'chunked';
    else if (length >= 0 && Number.isFinite(length)) this.mode = length === 0 ? 'none' : 'length';
    else {
      this.mode = 'eof';
      this.closeAfter = true;
    }
    this.remaining = this.mode === 'length' ? length : 0;
    this.phase = this.mode === 'chunked' ? 'chunk-size' : 'body';
    return true;
  }
}

/** A keep-alive pool of up to `maxSockets` connections to one host; extra requests wait in order. */
export class Http1Pool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private readonly queue: Array<{ req: Http1Request; aborted: boolean; conn: Conn | null }> = [];
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxSockets: number,
  ) {}

  /** Sockets open now. */
  get sockets(): number {
    return this.all.size;
  }

  /** Sends `req` on an idle socket, a new one, or when one frees up. */
  send(req: Http1Request): Http1Handle {
    const slot = { req, aborted: false, conn: null as Conn | null };
    const handle: Http1Handle = {
      abort: () => {
        slot.aborted = true;
        if (slot.conn && slot.conn.req === req) {
          slot.conn.req = null;
          slot.conn.socket.destroy();
        }
      },
    };
    const conn = this.acquire();
    if (conn) {
      slot.conn = conn;
      conn.send(req);
    } else this.queue.push(slot);
    return handle;
  }

  private acquire(): Conn | null {
    const now = performance.now();
    while (this.idle.length > 0) {
      const c = this.idle.pop()!;
      if (c.socket.destroyed) continue;
      if (now - c.idleSince > MAX_IDLE_MS) {
        c.socket.destroy();
        continue;
      }
      return c;
    }
    if (this.closed || this.all.size >= this.maxSockets) return null;
    const c = new Conn(this, this.host, this.port);
    this.all.add(c);
    return c;
  }

  /** A connection finished its request and can take another. */
  release(c: Conn): void {
    while (this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (next.aborted) continue;
      next.conn = c;
      c.send(next.req);
      return;
    }
    c.idleSince = performance.now();
    this.idle.push(c);
  }

  /** A connection closed. Queued requests get a fresh connection if there is room. */
  forget(c: Conn): void {
    this.all.delete(c);
    while (this.queue.length > 0 && !this.closed && this.all.size < this.maxSockets) {
      const next = this.queue.shift()!;
      if (next.aborted) continue;
      const fresh = new Conn(this, this.host, this.port);
      this.all.add(fresh);
      next.conn = fresh;
      fresh.send(next.req);
    }
  }

  /** Closes every socket (requests in flight fail). */
  destroy(): void {
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.idle.length = 0;
  }
}
