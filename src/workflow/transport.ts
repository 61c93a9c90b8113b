/**
 * How a step's request reaches its target: one keep-alive pool per origin. Plain http uses the
 * minimal client of `load/http1.ts` (the open model's CPU headroom depends on it); https uses
 * node's agent (TLS handshakes dwarf the per-request overhead anyway). Both keep a response body
 * only when asked, bounded to {@link MAX_BODY_BYTES}, and can hand an event stream over in chunks.
 */
import * as https from 'node:https';
import { Http1Pool, MAX_BODY_BYTES, type Http1Body } from '../load/http1.js';
import type { CompiledWorkflow } from './compile.js';
import { NatsBus, type EventStepPlan } from './nats.js';

/** A request ready to go. */
export interface OutgoingRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  readBody: boolean;
  /** With `readBody`: event-stream chunks as they arrive; true stops reading. */
  onStream?: (chunk: Buffer) => boolean;
}

/** What came back: a status (with the body when asked), or an error. */
export interface Reply {
  status?: number;
  error?: NodeJS.ErrnoException;
  /** The request's bytes left us (a refused connection: false). */
  sent: boolean;
  body?: Http1Body;
}

/** A connection pool to one origin. */
export interface Transport {
  send(req: OutgoingRequest, done: (reply: Reply) => void): { abort(): void };
  /** Sockets open now. */
  readonly sockets: number;
  destroy(): void;
}

/** The constant part of a request's head after the request target: version, Host, keep-alive. */
export function http1HeadText(url: URL): string {
  return ` HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n`;
}

/** A request's bytes on the wire (HTTP/1.1, keep-alive), built with one concatenation. */
export function http1RequestBytes(headText: string, req: OutgoingRequest): Buffer {
  let text = `${req.method} ${req.path}${headText}`;
  for (const k in req.headers) text += `${k}: ${req.headers[k]}\r\n`;
  let body: Buffer | null = null;
  if (req.body !== undefined) {
    body = Buffer.from(req.body);
    text += `Content-Length: ${body.length}\r\n`;
  }
  text += '\r\n';
  const head = Buffer.from(text, 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

/** Plain http over {@link Http1Pool}. */
export class Http1Transport implements Transport {
  private readonly pool: Http1Pool;
  private readonly headText: string;

  constructor(url: URL, maxSockets: number) {
    this.pool = new Http1Pool(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80), maxSockets);
    this.headText = http1HeadText(url);
  }

  get sockets(): number {
    return this.pool.sockets;
  }

  send(req: OutgoingRequest, done: (reply: Reply) => void): { abort(): void } {
    return this.pool.send({
      buffer: http1RequestBytes(this.headText, req),
      head: req.method === 'HEAD',
      ...(req.readBody ? { readBody: true } : {}),
      ...(req.onStream ? { onStream: req.onStream } : {}),
      done: (status, error, sent, body) => done({ ...(status !== undefined ? { status } : {}), ...(error ? { error } : {}), sent, ...(body ? { body } : {}) }),
    });
  }

  destroy(): void {
    this.pool.destroy();
  }
}

/** https through node's keep-alive agent. */
export class HttpsTransport implements Transport {
  private readonly agent: https.Agent;
  private open = 0;

  constructor(
    private readonly url: URL,
    maxSockets: number,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets, scheduling: 'fifo' });
  }

  get sockets(): number {
    return this.open;
  }

  send(req: OutgoingRequest, done: (reply: Reply) => void): { abort(): void } {
    let finished = false;
    const finish = (r: Reply): void => {
      if (finished) return;
      finished = true;
      done(r);
    };
    const headers: Record<string, string> = { ...req.headers };
    const body = req.body !== undefined ? Buffer.from(req.body) : undefined;
    if (body) headers['Content-Length'] = String(body.length);
    let r: ReturnType<typeof https.request>;
    try {
      r = https.request({ agent: this.agent, hostname: this.url.hostname.replace(/^\[|\]$/g, ''), port: this.url.port, method: req.method, path: req.path, headers });
    } catch (e) {
      finish({ error: e as NodeJS.ErrnoException, sent: false });
      return { abort: () => undefined };
    }
    r.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (!req.readBody) {
        res.on('end', () => finish({ status, sent: true }));
        res.on('close', () => {
          if (!res.complete) finish({ error: Object.assign(new Error('response cut short'), { code: 'ECONNRESET' }), sent: true });
        });
        res.on('error', () => undefined);
        res.resume();
        return;
      }
      const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const streaming = contentType === 'text/event-stream' && req.onStream !== undefined;
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      const body = (stopped: boolean): Http1Body => ({ contentType, bytes: Buffer.concat(chunks), truncated, stopped });
      res.on('data', (chunk: Buffer) => {
        if (streaming) {
          if (req.onStream!(chunk)) {
            finish({ status, sent: true, body: body(true) });
            r.destroy();
          }
          return;
        }
        const room = MAX_BODY_BYTES - kept;
        if (chunk.length > room) truncated = true;
        if (room > 0) {
          const take = chunk.length > room ? chunk.subarray(0, room) : chunk;
          chunks.push(take);
          kept += take.length;
        }
      });
      res.on('end', () => finish({ status, sent: true, body: body(false) }));
      res.on('close', () => {
        if (!res.complete) finish({ error: Object.assign(new Error('response cut short'), { code: 'ECONNRESET' }), sent: true });
      });
      res.on('error', () => undefined);
    });
    r.on('error', (e: NodeJS.ErrnoException) => finish({ error: e, sent: true }));
    r.end(body);
    return { abort: () => r.destroy() };
  }

  destroy(): void {
    this.agent.destroy();
  }
}

/** The event steps of `workflows`, as {@link NatsBus.prepare} takes them. */
export function eventStepPlans(workflows: readonly CompiledWorkflow[]): EventStepPlan[] {
  return workflows.flatMap((w) =>
    w.steps.flatMap((s): EventStepPlan[] => {
      if (s.kind === 'await') return [{ url: s.origin, await: { subject: s.awaitEvent!.subject, path: s.awaitEvent!.path } }];
      if (s.kind === 'publish') return [{ url: s.origin, ...(s.path.isStatic ? { publishSubject: s.path.render({ uuid: '', seq: 0, phase: '' }) } : {}) }];
      return [];
    }),
  );
}

/** One transport per origin, created on first use; the NATS side of event steps, once prepared. */
export class Transports {
  private readonly byOrigin = new Map<string, Transport>();
  /** Connections to the brokers of event steps (see {@link prepareEvents}); null without event steps. */
  nats: NatsBus | null = null;

  constructor(private readonly maxSockets: number) {}

  /**
   * Connects to the brokers of the workflows' event steps and opens the awaited subjects'
   * subscriptions, before the first workflow starts. `now`: the driver's clock; `keepMs`: how
   * long an event nobody waits for yet is kept (the workflow timeout).
   */
  async prepareEvents(workflows: readonly CompiledWorkflow[], now: () => number, keepMs: number): Promise<void> {
    const plans = eventStepPlans(workflows);
    if (plans.length === 0 || this.nats) return;
    const bus = new NatsBus(now, keepMs);
    try {
      await bus.prepare(plans);
    } catch (e) {
      await bus.close();
      throw e;
    }
    this.nats = bus;
  }

  /** Only the http(s) origins: what a reachability check opens a TCP connection to. */
  static httpOrigins(workflows: ReadonlyArray<{ steps: ReadonlyArray<{ url: string | URL }> }>): string[] {
    const urls = workflows.flatMap((w) => w.steps.map((s) => new URL(String(s.url))));
    return [...new Set(urls.filter((u) => u.protocol === 'http:' || u.protocol === 'https:').map((u) => u.origin))];
  }

  get(url: URL): Transport {
    let t = this.byOrigin.get(url.origin);
    if (!t) {
      t = url.protocol === 'https:' ? new HttpsTransport(url, this.maxSockets) : new Http1Transport(url, this.maxSockets);
      this.byOrigin.set(url.origin, t);
    }
    return t;
  }

  /** Sockets open over every origin. */
  get sockets(): number {
    let n = 0;
    for (const t of this.byOrigin.values()) n += t.sockets;
    return n;
  }

  destroy(): void {
    for (const t of this.byOrigin.values()) t.destroy();
    this.byOrigin.clear();
    // Closing flushes what is still buffered; nothing waits on it any more.
    void this.nats?.close();
    this.nats = null;
  }
}
