/**
 * An incremental HTTP/1.1 framer for a proxy that must forward the ORIGINAL bytes.
 *
 * It parses only what framing needs (start line, headers, Content-Length / chunked / until-close,
 * no-body responses, Upgrade/CONNECT tunnels) and hands every input byte back exactly once:
 * inside `head.raw` or as a `raw` slice of {@link HttpParserHandlers.onBody} / `onTunnel`.
 * Concatenating those slices in order gives the input back byte for byte, which is what lets
 * the proxy stay byte-exact while still knowing where each message starts and ends.
 */

/** A malformed message. `status` is what a server should answer (400, or 431 for oversized headers). */
export class HttpParseError extends Error {
  override readonly name = 'HttpParseError';
  constructor(
    message: string,
    readonly status: 400 | 431 = 400,
  ) {
    super(message);
  }
}

/** Header fields in arrival order: `[name as sent, value with surrounding whitespace trimmed]`. */
export type HeaderList = Array<[string, string]>;

/** How a message's body is delimited. */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'until-close' | 'tunnel';

interface HeadBase {
  /** `'1.0'` or `'1.1'`. */
  version: string;
  headers: HeaderList;
  /** The exact bytes of the head, leading empty lines and the final blank line included. */
  raw: Buffer;
  framing: BodyFraming;
  /** Body length for `framing: 'length'` (else 0). */
  contentLength: number;
}

/** A parsed request line and headers. */
export interface RequestHead extends HeadBase {
  kind: 'request';
  method: string;
  target: string;
  /** True for CONNECT and for requests asking to switch protocols (`Upgrade`). */
  upgrade: boolean;
}

/** A parsed status line and headers. */
export interface ResponseHead extends HeadBase {
  kind: 'response';
  status: number;
  reason: string;
}

/** Either kind of head. */
export type HttpHead = RequestHead | ResponseHead;

/** Callbacks of an {@link HttpParser}; they run synchronously inside `push`. */
export interface HttpParserHandlers<H extends HttpHead> {
  onHead(head: H): void;
  /** A body slice: `raw` is the exact input bytes, `data` the payload part of them (null for chunk framing). */
  onBody(raw: Buffer, data: Buffer | null): void;
  /** The message is complete (its last byte was already handed out). */
  onEnd(): void;
  /** Bytes after the connection switched to an opaque tunnel (101, CONNECT 2xx). */
  onTunnel(raw: Buffer): void;
  onError(error: HttpParseError): void;
}

/** Limits of an {@link HttpParser}. */
export interface HttpParserLimits {
  /** Largest head (start line + headers). Default 64 KiB. */
  maxHeadBytes?: number;
  /** Largest chunk-size line or trailer section. Default 16 KiB. */
  maxLineBytes?: number;
}

const enum S {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataCrlf,
  Trailers,
  UntilClose,
  Paused,
  Tunnel,
  Dead,
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NO_BYTES = Buffer.alloc(0);
const VERSION = /^HTTP\/1\.[01]$/;

/** Case-insensitive lookup of the first value of header `name`. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.length === lower.length && n.toLowerCase() === lower) return v;
  return undefined;
}

/** Every value of header `name`, comma lists split and trimmed. */
export function headerTokens(headers: HeaderList, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) {
    if (n.toLowerCase() !== lower) continue;
    for (const part of v.split(',')) {
      const t = part.trim();
      if (t) out.push(t);
    }
  }
  return out;
}

/**
 * An incremental parser for one direction of one connection (`'request'` for what a client
 * sends, `'response'` for what a server sends). Feed it with {@link HttpParser.push}.
 */
export class HttpParser<H extends HttpHead = HttpHead> {
  private state = S.Head;
  private headParts: Buffer[] = [];
  private headLen = 0;
  private leadLen = 0;
  private headTail: Buffer = NO_BYTES;
  private left = 0;
  private lineLen = 0;
  private lineText = '';
  private lineRaw: Buffer[] = [];
  private crlfLeft = 0;
  private trailerBytes = 0;
  private pending: Buffer[] = [];
  private readonly maxHead: number;
  private readonly maxLine: number;
  private pauseAfterEnd = false;

  constructor(
    readonly kind: H['kind'],
    private readonly handlers: HttpParserHandlers<H>,
    /** For responses: the method of the request this response answers (HEAD and CONNECT change framing). */
    private readonly methodForResponse: () => string | undefined = () => undefined,
    limits: HttpParserLimits = {},
  ) {
    this.maxHead = limits.maxHeadBytes ?? 64 * 1024;
    this.maxLine = limits.maxLineBytes ?? 16 * 1024;
  }

  /** True while waiting for the next message's first byte (nothing half-parsed). */
  get idle(): boolean {
    return this.state === S.Head && this.headLen === 0;
  }

  /** True once the parser has switched to an opaque tunnel. */
  get tunneling(): boolean {
    return this.state === S.Tunnel;
  }

  /** True after an error: further input is ignored. */
  get failed(): boolean {
    return this.state === S.Dead;
  }

  /** True when a request asking to upgrade ended and parsing waits for {@link resume} or {@link tunnel}. */
  get paused(): boolean {
    return this.state === S.Paused;
  }

  /** Continue parsing after an upgrade request was refused. */
  resume(): void {
    if (this.state !== S.Paused) return;
    this.state = S.Head;
    const queued = this.pending;
    this.pending = [];
    for (const b of queued) this.push(b);
  }

  /** Switch to an opaque tunnel: every byte from now on (and any paused bytes) goes to `onTunnel`. */
  tunnel(): void {
    if (this.state === S.Dead) return;
    const queued = this.state === S.Paused ? this.pending : [];
    this.pending = [];
    const partial = this.headParts.length > 0 ? Buffer.concat(this.headParts) : null;
    this.resetHead();
    this.state = S.Tunnel;
    if (partial && partial.length > 0) this.handlers.onTunnel(partial);
    for (const b of queued) this.handlers.onTunnel(b);
  }

  /**
   * The input ended (EOF). Completes a read-until-close body; returns false when a message was
   * cut in the middle.
   */
  finish(): boolean {
    switch (this.state) {
      case S.UntilClose:
        this.state = S.Head;
        this.handlers.onEnd();
        return true;
      case S.Head:
        return this.headLen === 0;
      case S.Paused:
      case S.Tunnel:
      case S.Dead:
        return true;
      default:
        return false;
    }
  }

  /** Feed the next bytes. */
  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      switch (this.state) {
        case S.Head:
          pos = this.readHead(chunk, pos);
          break;
        case S.Length: {
          const n = Math.min(this.left, len - pos);
          const slice = chunk.subarray(pos, pos + n);
          pos += n;
          this.left -= n;
          this.handlers.onBody(slice, slice);
          if (this.left === 0) this.endMessage();
          break;
        }
        case S.UntilClose: {
          const slice = pos === 0 ? chunk : chunk.subarray(pos);
          pos = len;
          this.handlers.onBody(slice, slice);
          break;
        }
        case S.ChunkSize:
          pos = this.readChunkSize(chunk, pos);
          break;
        case S.ChunkData: {
          const n = Math.min(this.left, len - pos);
          const slice = chunk.subarray(pos, pos + n);
          pos += n;
          this.left -= n;
          if (this.left === 0) {
            this.state = S.ChunkDataCrlf;
            this.crlfLeft = 2;
          }
          this.handlers.onBody(slice, slice);
          break;
        }
        case S.ChunkDataCrlf: {
          const start = pos;
          while (this.crlfLeft > 0 && pos < len) {
            const expected = this.crlfLeft === 2 ? 13 : 10;
            if (chunk[pos] !== expected) return this.fail('chunk data not followed by CRLF');
            pos++;
            this.crlfLeft--;
          }
          if (this.crlfLeft === 0) this.state = S.ChunkSize;
          this.handlers.onBody(chunk.subarray(start, pos), null);
          break;
        }
        case S.Trailers:
          pos = this.readTrailers(chunk, pos);
          break;
        case S.Paused:
          this.pending.push(pos === 0 ? chunk : chunk.subarray(pos));
          return;
        case S.Tunnel:
          this.handlers.onTunnel(pos === 0 ? chunk : chunk.subarray(pos));
          return;
        case S.Dead:
          return;
      }
    }
  }

  private fail(message: string, status: 400 | 431 = 400): void {
    this.state = S.Dead;
    this.resetHead();
    this.pending = [];
    this.handlers.onError(new HttpParseError(message, status));
  }

  private readHead(chunk: Buffer, pos: number): number {
    // Empty lines before a start line are allowed (RFC 9112 §2.2); they ride along in head.raw.
    let from = pos;
    if (this.headLen === this.leadLen) {
      // Byte-wise, so an empty line split across two reads is still recognised.
      while (from < chunk.length && (chunk[from] === 13 || chunk[from] === 10)) from++;
    }
    // A head split over many small reads is kept as a list and only the new bytes are scanned
    // (plus the last 3 of before, for a terminator that straddles two reads): linear, not quadratic.
    let end = -1;
    if (this.headTail.length > 0) {
      const joint = Buffer.concat([this.headTail, chunk.subarray(from, from + 3)]);
      const j = joint.indexOf('\r\n\r\n', 0, 'latin1');
      if (j >= 0) end = from + j + 4 - this.headTail.length;
    }
    if (end < 0) {
      const k = chunk.indexOf('\r\n\r\n', from, 'latin1');
      if (k >= 0) end = k + 4;
    }
    if (end < 0) {
      this.leadLen += from - pos;
      this.headParts.push(chunk.subarray(pos));
      this.headLen += chunk.length - pos;
      if (this.headLen - this.leadLen > this.maxHead) {
        this.fail('header section too large', 431);
        return chunk.length;
      }
      const content = chunk.subarray(from);
      this.headTail = content.length >= 3 ? content.subarray(content.length - 3) : Buffer.concat([this.headTail, content]).subarray(-3);
      return chunk.length;
    }
    const lead = this.leadLen + (from - pos);
    const raw = this.headParts.length === 0 ? chunk.subarray(pos, end) : Buffer.concat([...this.headParts, chunk.subarray(pos, end)]);
    this.resetHead();
    if (raw.length - lead > this.maxHead) {
      this.fail('header section too large', 431);
      return chunk.length;
    }
    const head = this.parseHead(raw.toString('latin1', lead, raw.length - 4), raw);
    if (!head) return chunk.length;
    this.beginBody(head);
    this.handlers.onHead(head);
    if (this.state === S.Head && head.framing === 'none') this.endMessage();
    else if (head.framing === 'tunnel') {
      this.handlers.onEnd();
      this.state = S.Tunnel;
    }
    return end;
  }

  private resetHead(): void {
    this.headParts = [];
    this.headLen = 0;
    this.leadLen = 0;
    this.headTail = NO_BYTES;
  }

  private parseHead(text: string, raw: Buffer): H | null {
    const lines = text.split('\r\n');
    for (const line of lines) {
      if (line.includes('\n') || line.includes('\r') || line.includes('\0')) {
        this.fail('bare CR, LF or NUL in the header section');
        return null;
      }
    }
    const first = lines[0] ?? '';
    const headers: HeaderList = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.length === 0) continue;
      if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
        this.fail('obsolete header line folding');
        return null;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.fail(`invalid header line '${line.slice(0, 60)}'`);
        return null;
      }
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) {
        this.fail(`invalid header name '${name.slice(0, 60)}'`);
        return null;
      }
      headers.push([name, line.slice(colon + 1).trim()]);
    }
    if (this.kind === 'request') {
      const parts = first.split(' ');
      if (parts.length !== 3) {
        this.fail(`invalid request line '${first.slice(0, 80)}'`);
        return null;
      }
      const [method, target, version] = parts as [string, string, string];
      if (!TOKEN.test(method) || target.length === 0 || !VERSION.test(version) || /[\x00-\x20\x7f]/.test(target)) {
        this.fail(`invalid request line '${first.slice(0, 80)}'`);
        return null;
      }
      const framing = this.requestFraming(headers);
      if (!framing) return null;
      const upgrade = method === 'CONNECT' || headerValue(headers, 'upgrade') !== undefined;
      return {
        kind: 'request',
        method,
        target,
        version: version.slice(5),
        headers,
        raw,
        framing: framing[0],
        contentLength: framing[1],
        upgrade,
      } as RequestHead as H;
    }
    const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(first);
    if (!m) {
      this.fail(`invalid status line '${first.slice(0, 80)}'`);
      return null;
    }
    const status = Number(m[2]);
    const framing = this.responseFraming(status, headers);
    if (!framing) return null;
    return {
      kind: 'response',
      status,
      reason: m[3] ?? '',
      version: (m[1] as string).slice(5),
      headers,
      raw,
      framing: framing[0],
      contentLength: framing[1],
    } as ResponseHead as H;
  }

  private contentLength(headers: HeaderList): number | null | undefined {
    const values = headerTokens(headers, 'content-length');
    if (values.length === 0) return undefined;
    const first = values[0] as string;
    for (const v of values) {
      if (v !== first || !/^\d{1,15}$/.test(v)) {
        this.fail('invalid Content-Length');
        return null;
      }
    }
    return Number(first);
  }

  private requestFraming(headers: HeaderList): [BodyFraming, number] | null {
    const te = headerTokens(headers, 'transfer-encoding');
    const hasCl = headerValue(headers, 'content-length') !== undefined;
    if (te.length > 0) {
      // Both headers on a request is the classic smuggling vector: refuse instead of guessing.
      if (hasCl) {
        this.fail('both Transfer-Encoding and Content-Length');
        return null;
      }
      if ((te[te.length - 1] as string).toLowerCase() !== 'chunked') {
        this.fail('Transfer-Encoding without chunked last');
        return null;
      }
      return ['chunked', 0];
    }
    const cl = this.contentLength(headers);
    if (cl === null) return null;
    if (cl === undefined || cl === 0) return ['none', 0];
    return ['length', cl];
  }

  private responseFraming(status: number, headers: HeaderList): [BodyFraming, number] | null {
    const method = this.methodForResponse();
    if (status === 101) return ['tunnel', 0];
    if (method === 'CONNECT' && status >= 200 && status < 300) return ['tunnel', 0];
    if ((status >= 100 && status < 200) || status === 204 || status === 304 || method === 'HEAD') return ['none', 0];
    const te = headerTokens(headers, 'transfer-encoding');
    if (te.length > 0) {
      return (te[te.length - 1] as string).toLowerCase() === 'chunked' ? ['chunked', 0] : ['until-close', 0];
    }
    const cl = this.contentLength(headers);
    if (cl === null) return null;
    if (cl === undefined) return ['until-close', 0];
    if (cl === 0) return ['none', 0];
    return ['length', cl];
  }

  private beginBody(head: H): void {
    this.pauseAfterEnd = head.kind === 'request' && (head as RequestHead).upgrade;
    switch (head.framing) {
      case 'length':
        this.state = S.Length;
        this.left = head.contentLength;
        break;
      case 'chunked':
        this.state = S.ChunkSize;
        this.lineLen = 0;
        this.lineText = '';
        this.lineRaw = [];
        break;
      case 'until-close':
        this.state = S.UntilClose;
        break;
      default:
        this.state = S.Head;
    }
  }

  private endMessage(): void {
    this.state = this.pauseAfterEnd ? S.Paused : S.Head;
    this.pauseAfterEnd = false;
    this.handlers.onEnd();
  }

  /**
   * Reads one LF-terminated framing line into `lineText`, keeping its raw bytes back until the
   * caller has validated it: malformed framing must never reach the other side.
   */
  private readLine(chunk: Buffer, pos: number): [number, boolean] {
    const nl = chunk.indexOf(10, pos);
    const stop = nl < 0 ? chunk.length : nl + 1;
    this.lineLen += stop - pos;
    if (this.lineLen > this.maxLine) {
      this.fail('chunk framing line too long');
      return [chunk.length, false];
    }
    this.lineText += chunk.toString('latin1', pos, stop);
    this.lineRaw.push(chunk.subarray(pos, stop));
    return [stop, nl >= 0];
  }

  /** Hands out the raw bytes of the line just validated and resets the line state. */
  private emitLine(): void {
    const raw = this.lineRaw.length === 1 ? (this.lineRaw[0] as Buffer) : Buffer.concat(this.lineRaw);
    this.lineRaw = [];
    this.lineText = '';
    this.lineLen = 0;
    this.handlers.onBody(raw, null);
  }

  private readChunkSize(chunk: Buffer, pos: number): number {
    const [next, done] = this.readLine(chunk, pos);
    if (!done || this.state === S.Dead) return next;
    const line = this.lineText;
    if (!line.endsWith('\r\n')) {
      this.fail('chunk size line not terminated by CRLF');
      return chunk.length;
    }
    const semi = line.indexOf(';');
    const sizeText = (semi < 0 ? line.slice(0, -2) : line.slice(0, semi)).replace(/[ \t]+$/, '');
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) {
      this.fail(`invalid chunk size '${sizeText.slice(0, 20)}'`);
      return chunk.length;
    }
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      this.state = S.Trailers;
      this.trailerBytes = 0;
    } else {
      this.state = S.ChunkData;
      this.left = size;
    }
    this.emitLine();
    return next;
  }

  private readTrailers(chunk: Buffer, pos: number): number {
    const [next, done] = this.readLine(chunk, pos);
    if (this.state === S.Dead) return next;
    this.trailerBytes += next - pos;
    if (this.trailerBytes > this.maxHead) {
      this.fail('trailer section too large', 431);
      return chunk.length;
    }
    if (!done) return next;
    const line = this.lineText;
    if (!line.endsWith('\r\n')) {
      this.fail('trailer line not terminated by CRLF');
      return chunk.length;
    }
    if (line !== '\r\n' && line.indexOf(':') <= 0) {
      this.fail('invalid trailer line');
      return chunk.length;
    }
    this.emitLine();
    if (line === '\r\n') this.endMessage();
    return next;
  }

  /** For tests and diagnostics: bytes held while paused. */
  get pendingBytes(): number {
    let n = 0;
    for (const b of this.pending) n += b.length;
    return n;
  }
}
