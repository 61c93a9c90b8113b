/**
 * An incremental parser of the NATS client protocol, one direction at a time. It frames, it
 * never rewrites: every frame keeps its exact bytes (`raw`), and the bytes of all complete
 * frames of a push come back as one slice (`bytes`), so a proxy with nothing to do forwards
 * exactly what it read.
 *
 * Framing follows nats-server: a control line ends at LF (a CR before it is dropped from the
 * arguments); a message's payload is framed by its byte counts, never by lines, and must be
 * followed by CRLF. Operation names are case-insensitive; arguments are separated by spaces or
 * tabs. Anything the parser does not understand (an unknown operation, bad byte counts, a line
 * or payload over its limits, TLS after INFO) turns the stream *opaque*: the rest is passed on
 * untouched and the real peer judges it.
 */

/** Which way a stream flows: `publish` is client → server, `deliver` is server → client. */
export type NatsDirection = 'publish' | 'deliver';

/** The message operations (they carry a payload). */
export type NatsMessageOp = 'PUB' | 'HPUB' | 'MSG' | 'HMSG';

/** A frame without a payload: `INFO`, `CONNECT`, `SUB`, `UNSUB`, `PING`, `PONG`, `+OK`, `-ERR`. */
export interface NatsControlFrame {
  readonly kind: 'control';
  /** Upper-cased operation name. */
  readonly op: string;
  /** The rest of the line after the operation and its separator, without CR/LF. */
  readonly args: string;
  /** The exact bytes, line ending included. */
  readonly raw: Buffer;
}

/** A `PUB`, `HPUB`, `MSG` or `HMSG` frame. */
export interface NatsMessageFrame {
  readonly kind: 'message';
  readonly op: NatsMessageOp;
  readonly subject: string;
  /** Subscription id (`MSG`/`HMSG`), null for publishes. */
  readonly sid: string | null;
  /** Reply subject, null when absent. */
  readonly reply: string | null;
  /** Bytes of the header block (0 for `PUB`/`MSG`). */
  readonly headerBytes: number;
  /** Bytes of the payload after the headers. */
  readonly payloadBytes: number;
  /** Offset in `raw` where the header block (or the payload) starts. */
  readonly bodyOffset: number;
  /** The exact bytes: control line, headers, payload and the closing CRLF. */
  readonly raw: Buffer;
}

/** One framed unit of the protocol. */
export type NatsFrame = NatsControlFrame | NatsMessageFrame;

/** What one {@link NatsParser.push} produced. */
export interface NatsParseResult {
  /** Complete frames, in order. */
  readonly frames: readonly NatsFrame[];
  /** The bytes of `frames`, contiguous (empty when none). */
  readonly bytes: Buffer;
  /** Bytes to forward untouched after `bytes` because the stream went opaque now or before; null otherwise. */
  readonly opaque: Buffer | null;
}

/** Limits of a parser (nats-server's own are 4 KiB control lines and 1 MiB payloads by default, 64 MiB at most). */
export interface NatsParserLimits {
  /** Longest control line held before the stream goes opaque (default 64 KiB). */
  maxControlLine?: number;
  /** Largest message (`#total bytes`) framed; a larger one turns the stream opaque (default 64 MiB). */
  maxPayload?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
const NO_FRAMES: readonly NatsFrame[] = [];

/** Control operations each direction may carry (messages are handled separately). */
const CONTROL_OPS: Record<NatsDirection, ReadonlySet<string>> = {
  publish: new Set(['CONNECT', 'SUB', 'UNSUB', 'PING', 'PONG']),
  deliver: new Set(['INFO', '+OK', '-ERR', 'PING', 'PONG']),
};
const MESSAGE_OPS: Record<NatsDirection, ReadonlySet<string>> = {
  publish: new Set(['PUB', 'HPUB']),
  deliver: new Set(['MSG', 'HMSG']),
};

type Step =
  | { frame: NatsFrame; end: number }
  | { need: number } // incomplete: total bytes needed from the frame start, 0 = until a line ends
  | { error: string };

/** Parses one direction of a NATS connection incrementally. */
export class NatsParser {
  private held: Buffer[] = [];
  private heldLength = 0;
  private need = 0;
  private opaqueReason: string | null = null;
  private readonly maxLine: number;
  private readonly maxPayload: number;

  constructor(
    /** The direction parsed: decides which operations are valid. */
    readonly direction: NatsDirection,
    limits: NatsParserLimits = {},
  ) {
    this.maxLine = limits.maxControlLine ?? 64 * 1024;
    this.maxPayload = limits.maxPayload ?? 64 * 1024 * 1024;
  }

  /** Why the stream went opaque, null while it is parsed. */
  get opaque(): string | null {
    return this.opaqueReason;
  }

  /** Bytes of an incomplete frame held until the rest arrives. */
  get heldBytes(): number {
    return this.heldLength;
  }

  /** Parses `chunk`; the bytes of an incomplete trailing frame are held for the next push. */
  push(chunk: Buffer): NatsParseResult {
    if (this.opaqueReason !== null) return { frames: NO_FRAMES, bytes: EMPTY, opaque: chunk };
    let buf = chunk;
    if (this.heldLength > 0) {
      this.held.push(chunk);
      this.heldLength += chunk.length;
      // Concatenate only once the frame can be complete, so a large payload arriving in many chunks is copied once.
      const incomplete = this.need > 0 ? this.heldLength < this.need : chunk.indexOf(LF) < 0;
      if (incomplete) {
        if (this.need === 0 && this.heldLength > this.maxLine) {
          return { frames: NO_FRAMES, bytes: EMPTY, opaque: this.goOpaque(`control line over ${this.maxLine} bytes`) };
        }
        return { frames: NO_FRAMES, bytes: EMPTY, opaque: null };
      }
      buf = Buffer.concat(this.held, this.heldLength);
      this.held = [];
      this.heldLength = 0;
    }
    const frames: NatsFrame[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const step = this.frameAt(buf, pos);
      if ('frame' in step) {
        frames.push(step.frame);
        pos = step.end;
        continue;
      }
      if ('error' in step) {
        this.opaqueReason = step.error;
        return { frames, bytes: buf.subarray(0, pos), opaque: buf.subarray(pos) };
      }
      this.need = step.need;
      this.held = [buf.subarray(pos)];
      this.heldLength = buf.length - pos;
      break;
    }
    if (pos >= buf.length) this.need = 0;
    return { frames, bytes: buf.subarray(0, pos), opaque: null };
  }

  /** Stops parsing (e.g. TLS follows): returns the held bytes; later pushes come back as opaque. */
  goOpaque(reason: string): Buffer {
    this.opaqueReason ??= reason;
    const rest = this.heldLength > 0 ? Buffer.concat(this.held, this.heldLength) : EMPTY;
    this.held = [];
    this.heldLength = 0;
    return rest;
  }

  private frameAt(buf: Buffer, pos: number): Step {
    const lf = buf.indexOf(LF, pos);
    if (lf < 0) {
      if (buf.length - pos > this.maxLine) return { error: `control line over ${this.maxLine} bytes` };
      return { need: 0 };
    }
    if (lf - pos > this.maxLine) return { error: `control line over ${this.maxLine} bytes` };
    const lineEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    // Hot path: tokens are found by scanning bytes, and only the subject and reply are decoded.
    const tokens = tokenize(buf, pos, lineEnd);
    const op = tokens.length === 0 ? '' : opName(buf, tokens[0]!, tokens[1]!);
    if (CONTROL_OPS[this.direction].has(op)) {
      const args = tokens.length > 2 ? buf.toString('utf8', tokens[2]!, lineEnd) : '';
      return { frame: { kind: 'control', op, args, raw: buf.subarray(pos, lf + 1) }, end: lf + 1 };
    }
    if (!MESSAGE_OPS[this.direction].has(op)) {
      return { error: op === '' ? 'empty control line' : `unknown operation '${op.slice(0, 16)}' for ${this.direction}` };
    }
    const head = messageHead(op as NatsMessageOp, buf, tokens);
    if ('error' in head) return head;
    if (head.total > this.maxPayload) return { error: `message of ${head.total} bytes over ${this.maxPayload}` };
    const bodyOffset = lf + 1 - pos;
    const frameLength = bodyOffset + head.total + 2;
    if (buf.length - pos < frameLength) return { need: frameLength };
    const end = pos + frameLength;
    if (buf[end - 2] !== CR || buf[end - 1] !== LF) return { error: `${op} payload not followed by CRLF` };
    return {
      frame: {
        kind: 'message',
        op: op as NatsMessageOp,
        subject: head.subject,
        sid: head.sid,
        reply: head.reply,
        headerBytes: head.headerBytes,
        payloadBytes: head.total - head.headerBytes,
        bodyOffset,
        raw: buf.subarray(pos, end),
      },
      end,
    };
  }
}

const KNOWN_OPS = ['PUB', 'HPUB', 'MSG', 'HMSG', 'SUB', 'UNSUB', 'PING', 'PONG', 'INFO', 'CONNECT', '+OK', '-ERR'];

/** The upper-cased operation name at buf[start, end): a shared constant for known ones (no allocation on the hot path). */
function opName(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  outer: for (const op of KNOWN_OPS) {
    if (op.length !== length) continue;
    for (let i = 0; i < length; i++) {
      const b = buf[start + i]!;
      const upper = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
      if (upper !== op.charCodeAt(i)) continue outer;
    }
    return op;
  }
  return buf.toString('latin1', start, end).toUpperCase();
}

// Control lines other than messages (CONNECT/INFO JSON) may have any number of spaces; only the
// first few token boundaries matter, so a long JSON argument is not scanned token by token.
const MAX_TOKENS = 7;

/**
 * Token boundaries of a control line as [start0, end0, start1, end1, …], separated by runs of
 * spaces or tabs. Past {@link MAX_TOKENS} tokens the rest of the line is one last token (a message
 * with that many arguments is an error the caller reports from the count).
 */
function tokenize(buf: Buffer, start: number, end: number): number[] {
  const out: number[] = [];
  let i = start;
  while (i < end) {
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
    if (i >= end) break;
    if (out.length === 2 * MAX_TOKENS) {
      out.push(i, end);
      break;
    }
    const s = i;
    while (i < end && buf[i] !== 0x20 && buf[i] !== 0x09) i++;
    out.push(s, i);
  }
  return out;
}

interface MessageHead {
  subject: string;
  sid: string | null;
  reply: string | null;
  headerBytes: number;
  total: number;
}

/** A decimal byte count (1 to 10 digits), or -1. */
function count(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 10) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Reads a message's arguments: `PUB subj [reply] n`, `HPUB subj [reply] h n`, `MSG subj sid [reply] n`, `HMSG subj sid [reply] h n`. */
function messageHead(op: NatsMessageOp, buf: Buffer, tokens: number[]): MessageHead | { error: string } {
  const withSid = op === 'MSG' || op === 'HMSG';
  const withHeaders = op === 'HPUB' || op === 'HMSG';
  const fixed = 1 + (withSid ? 1 : 0) + (withHeaders ? 2 : 1);
  const n = tokens.length / 2 - 1; // arguments after the operation
  if (n !== fixed && n !== fixed + 1) return { error: `${op} takes ${fixed} or ${fixed + 1} arguments, got ${n}` };
  const arg = (k: number, encoding: BufferEncoding) => buf.toString(encoding, tokens[2 + 2 * k]!, tokens[3 + 2 * k]!);
  const last = 2 + 2 * (n - 1);
  const total = count(buf, tokens[last]!, tokens[last + 1]!);
  const headerBytes = withHeaders ? count(buf, tokens[last - 2]!, tokens[last - 1]!) : 0;
  if (total < 0 || headerBytes < 0) return { error: `${op} byte count is not a number` };
  if (headerBytes > total) return { error: `${op} header bytes exceed total bytes` };
  return {
    subject: arg(0, 'utf8'),
    sid: withSid ? arg(1, 'latin1') : null,
    reply: n === fixed + 1 ? arg(withSid ? 2 : 1, 'utf8') : null,
    headerBytes,
    total,
  };
}

/** A message's header block: the status line's code (e.g. `100`, `503`), and its `Name: value` lines. */
export interface NatsHeaders {
  /** Status code of the `NATS/1.0 <code> [description]` line; null for an ordinary header block. */
  readonly status: string | null;
  /** Headers in order; names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

const NO_HEADERS: NatsHeaders = { status: null, headers: [] };

/** Parses the header block of `frame` (empty for `PUB`/`MSG` or a block that is not `NATS/1.0`). */
export function messageHeaders(frame: NatsMessageFrame): NatsHeaders {
  if (frame.headerBytes === 0) return NO_HEADERS;
  const text = frame.raw.toString('utf8', frame.bodyOffset, frame.bodyOffset + frame.headerBytes);
  const lines = text.split('\r\n');
  const first = lines[0] ?? '';
  if (!first.startsWith('NATS/')) return NO_HEADERS;
  const status = /^NATS\/\d+\.\d+[ \t]+(\d{3})/.exec(first)?.[1] ?? null;
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { status, headers };
}

/** The value of header `name` (case-insensitive), or undefined. */
export function headerOf(headers: NatsHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of headers.headers) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The payload of `frame` (without headers), as a slice of its bytes. */
export function messagePayload(frame: NatsMessageFrame): Buffer {
  const start = frame.bodyOffset + frame.headerBytes;
  return frame.raw.subarray(start, start + frame.payloadBytes);
}
