/**
 * Event steps over NATS, the driver's side of a broker: `publish` and `await_event`.
 *
 * - A publish to a subject a JetStream stream binds is a JetStream publish: a request whose answer
 *   is the stream's PubAck, so a message the stream did not store (no stream answered, the stream
 *   refused it, no ack within the timeout) is an error outcome. Any other subject gets a core
 *   publish followed by a flush (a PING the server answers after it read the message): a core
 *   publish has no acknowledgement, so only a broken connection can fail it.
 * - `await_event` needs the event that completes a workflow even when it arrives before the wait
 *   begins (a fast consumer answers before the publish step has returned). So every awaited
 *   subject has ONE subscription per broker for the whole run, opened and flushed before the first
 *   workflow starts ({@link NatsBus.prepare}); each event is routed by the value at the step's
 *   match path to the workflows waiting for that value, and an event nobody waits for yet is kept
 *   (bounded in count and age) for the wait that comes later.
 *
 * The `nats` client library is loaded only when a run has event steps.
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { AgentcheckError } from '../errors.js';
import { parsePath, pathValueText, readPath, type JsonPath } from './path.js';
import type { HistoryType } from './protocol.js';

/** Most early events kept per awaited subject (the oldest go first beyond it). */
export const MAX_EARLY_EVENTS = 50_000;

/** Most subjects whose stream binding is remembered (templated subjects: one lookup each). */
const MAX_BINDINGS = 10_000;

/** An event as an await step sees it. */
export interface ReceivedEvent {
  subject: string;
  /** The message's data parsed as JSON. */
  json: unknown;
  /** Milliseconds on the bus's clock when it arrived. */
  atMs: number;
}

/** How a publish ended. */
export type PublishResult =
  | {
      ok: true;
      /** The subject is bound to a stream: the PubAck (`{ stream, seq, duplicate? }`). */
      ack?: Record<string, unknown>;
    }
  | {
      ok: false;
      /** Outcome class: `timeout`, `nats:no-responders`, `nats:<err_code>` (a JetStream error), `nats:<code>`. */
      class: string;
      message?: string;
      history: HistoryType;
      timeout: boolean;
    };

/** What {@link NatsBus.prepare} needs of an event step. */
export interface EventStepPlan {
  /** `nats://host:port` of the broker. */
  url: string;
  /** An await step: the subject to subscribe to and the match path. */
  await?: { subject: string; path: JsonPath };
  /** A publish step whose subject has no placeholders: its stream binding is looked up up front. */
  publishSubject?: string;
}

/**
 * A subject's events while the run lasts: the waits by match path and value, and the early
 * events nobody waited for yet. Exported for its tests; {@link NatsBus} is the API.
 */
export class EventRoute {
  /** Match path text → (value → waiters). */
  private readonly waiting = new Map<string, Map<string, Set<(e: ReceivedEvent) => void>>>();
  /** `path\0value` → the first event with that value that nobody waited for yet (insertion order = age). */
  private readonly early = new Map<string, ReceivedEvent>();
  private readonly paths = new Map<string, JsonPath>();
  /** Events not kept: not JSON, or pushed out of the early buffer. */
  unreadable = 0;
  evicted = 0;
  sub: Subscription | null = null;

  constructor(
    private readonly now: () => number,
    private readonly keepMs: number,
  ) {}

  addPath(path: JsonPath): void {
    if (!this.paths.has(path.text)) {
      this.paths.set(path.text, path);
      this.waiting.set(path.text, new Map());
    }
  }

  /** One message on the subject. */
  deliver(msg: Pick<Msg, 'subject' | 'data'>): void {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(msg.data).toString('utf8'));
    } catch {
      this.unreadable++;
      return;
    }
    const event: ReceivedEvent = { subject: msg.subject, json, atMs: this.now() };
    for (const [text, path] of this.paths) {
      const value = pathValueText(readPath(json, path));
      if (value === undefined) continue;
      const waiters = this.waiting.get(text)!.get(value);
      if (waiters && waiters.size > 0) {
        for (const w of [...waiters]) w(event);
        continue;
      }
      const key = `${text}\u0000${value}`;
      // The first event for a value is the one that completes the workflow; a later copy
      // (a duplicated delivery upstream) has nobody to go to.
      if (!this.early.has(key)) this.early.set(key, event);
    }
    this.trim(event.atMs);
  }

  /** Drops early events older than `keepMs` (no workflow still running can want them) and beyond the cap. */
  private trim(nowMs: number): void {
    for (const [key, e] of this.early) {
      if (this.early.size <= MAX_EARLY_EVENTS && nowMs - e.atMs <= this.keepMs) break;
      this.early.delete(key);
      if (nowMs - e.atMs <= this.keepMs) this.evicted++;
    }
  }

  /** Calls `onEvent` with the event whose value at `path` is `value` (at once when it came early); returns a cancel. */
  wait(path: JsonPath, value: string, onEvent: (e: ReceivedEvent) => void): () => void {
    const key = `${path.text}\u0000${value}`;
    const early = this.early.get(key);
    if (early) {
      this.early.delete(key);
      onEvent(early);
      return () => undefined;
    }
    const byValue = this.waiting.get(path.text);
    if (!byValue) throw new Error(`no subscription prepared for match path ${path.text}`);
    let set = byValue.get(value);
    if (!set) byValue.set(value, (set = new Set()));
    const waiter = (e: ReceivedEvent): void => {
      cancel();
      onEvent(e);
    };
    const cancel = (): void => {
      set.delete(waiter);
      if (set.size === 0 && byValue.get(value) === set) byValue.delete(value);
    };
    set.add(waiter);
    return cancel;
  }
}

/** The NATS side of one load driver: connections per broker, awaited subjects, stream bindings. */
export class NatsBus {
  private nats: typeof import('nats') | null = null;
  private readonly conns = new Map<string, NatsConnection>();
  private readonly routes = new Map<string, EventRoute>();
  /** `url\0subject` → the stream that binds it, or null (a core publish). */
  private readonly bindings = new Map<string, string | null>();
  private closed = false;

  constructor(
    private readonly now: () => number,
    /** How long an early event is kept: the workflow timeout (no later wait can want it). */
    private readonly keepMs: number,
  ) {}

  /**
   * Connects to every broker the steps name, subscribes to every awaited subject and looks up the
   * stream binding of every static publish subject; resolves once the server has the
   * subscriptions (a flush), so no event of the first workflow can be missed. A broker that
   * cannot be reached is an environment error (exit 3).
   */
  async prepare(steps: readonly EventStepPlan[]): Promise<void> {
    if (steps.length === 0) return;
    this.nats ??= await import('nats');
    for (const s of steps) {
      const nc = await this.connection(s.url);
      if (s.await) {
        const key = `${s.url}\u0000${s.await.subject}`;
        let route = this.routes.get(key);
        if (!route) {
          const r = new EventRoute(this.now, this.keepMs);
          r.sub = nc.subscribe(s.await.subject, { callback: (err, msg) => (err ? undefined : r.deliver(msg)) });
          this.routes.set(key, (route = r));
        }
        route.addPath(s.await.path);
      }
      if (s.publishSubject !== undefined) {
        try {
          await this.binding(nc, s.url, s.publishSubject);
        } catch (e) {
          throw new AgentcheckError('environment', `broker ${s.url}: could not ask JetStream which stream binds '${s.publishSubject}': ${(e as Error).message}`);
        }
      }
    }
    for (const nc of this.conns.values()) await nc.flush();
  }

  private async connection(url: string): Promise<NatsConnection> {
    let nc = this.conns.get(url);
    if (nc) return nc;
    const u = new URL(url);
    try {
      nc = await this.nats!.connect({ servers: `${u.hostname}:${u.port || 4222}`, name: 'agentcheck-load', timeout: 5000, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    } catch (e) {
      throw new AgentcheckError('environment', `broker ${url} is unreachable: ${(e as Error).message}`, 'is nats-server running and listening on that address?');
    }
    this.conns.set(url, nc);
    return nc;
  }

  /** The stream that binds `subject` (JetStream's STREAM.NAMES by subject), or null: core publish. */
  private async binding(nc: NatsConnection, url: string, subject: string): Promise<string | null> {
    const key = `${url}\u0000${subject}`;
    const known = this.bindings.get(key);
    if (known !== undefined) return known;
    let stream: string | null = null;
    try {
      const reply = await nc.request('$JS.API.STREAM.NAMES', JSON.stringify({ subject }), { timeout: 5000 });
      const names = (JSON.parse(Buffer.from(reply.data).toString('utf8')) as { streams?: string[] | null }).streams;
      stream = Array.isArray(names) && names.length > 0 ? names[0]! : null;
    } catch (e) {
      // No JetStream on this server (nobody answers its API): every publish is a core publish.
      if ((e as { code?: string }).code !== '503') throw e;
    }
    if (this.bindings.size >= MAX_BINDINGS) this.bindings.clear();
    this.bindings.set(key, stream);
    return stream;
  }

  /**
   * Publishes one message. `timeoutMs`: how long to wait for the PubAck (JetStream) or the flush
   * (core). Never throws: every failure is a {@link PublishResult}.
   */
  async publish(url: string, subject: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<PublishResult> {
    if (!validSubject(subject)) return { ok: false, class: 'nats:bad-subject', message: `not a subject to publish to: ${JSON.stringify(subject)}`, history: 'fail', timeout: false };
    const nc = this.conns.get(url);
    if (!nc || this.closed) return { ok: false, class: 'nats:closed', message: 'not connected to the broker', history: 'fail', timeout: false };
    const h = this.headersOf(headers);
    const data = body === undefined ? new Uint8Array(0) : Buffer.from(body);
    try {
      const stream = await this.binding(nc, url, subject);
      if (stream === null) {
        nc.publish(subject, data, { headers: h });
        await withTimeout(nc.flush(), timeoutMs);
        return { ok: true };
      }
      const reply = await nc.request(subject, data, { headers: h, timeout: Math.max(1, Math.round(timeoutMs)) });
      return pubAckResult(reply);
    } catch (e) {
      return publishFailure(e);
    }
  }

  private headersOf(headers: Record<string, string>): MsgHdrs {
    const h = this.nats!.headers();
    for (const k in headers) h.set(k, headers[k]!);
    return h;
  }

  /** Waits for the event on `subject` at broker `url` whose value at `path` is `value`; returns a cancel. */
  wait(url: string, subject: string, path: JsonPath, value: string, onEvent: (e: ReceivedEvent) => void): () => void {
    const route = this.routes.get(`${url}\u0000${subject}`);
    if (!route) throw new Error(`no subscription prepared for ${subject} at ${url}`);
    return route.wait(path, value, onEvent);
  }

  /** Events of the awaited subjects that could not be kept: not JSON, or pushed out of the early buffer. */
  get dropped(): { unreadable: number; evicted: number } {
    let unreadable = 0;
    let evicted = 0;
    for (const r of this.routes.values()) {
      unreadable += r.unreadable;
      evicted += r.evicted;
    }
    return { unreadable, evicted };
  }

  /** Closes every connection (pending publishes are flushed first). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    this.routes.clear();
    await Promise.all(all.map((nc) => nc.close().catch(() => undefined)));
  }
}

/** A NATS subject to publish to: dot-separated non-empty tokens, no whitespace, no wildcards. */
export function validSubject(s: string): boolean {
  return s !== '' && s.split('.').every((t) => t !== '' && !/[\s*>]/.test(t));
}

/** A NATS subject to subscribe to: tokens as {@link validSubject}, `*` tokens, `>` last. */
export function validSubscribeSubject(s: string): boolean {
  const tokens = s.split('.');
  return s !== '' && tokens.every((t, i) => t !== '' && !/\s/.test(t) && (t === '*' || t === '>' ? t !== '>' || i === tokens.length - 1 : !/[*>]/.test(t)));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), Math.max(1, ms));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** A PubAck (`{ stream, seq }`) is ok; a JetStream error (`{ error: { code, err_code, description } }`) is not. */
function pubAckResult(reply: Msg): PublishResult {
  let ack: unknown;
  try {
    ack = JSON.parse(Buffer.from(reply.data).toString('utf8'));
  } catch {
    return { ok: false, class: 'nats:bad-ack', message: 'the answer to a JetStream publish is not JSON', history: 'info', timeout: false };
  }
  if (typeof ack !== 'object' || ack === null || Array.isArray(ack)) return { ok: false, class: 'nats:bad-ack', history: 'info', timeout: false };
  const a = ack as Record<string, unknown>;
  const err = a.error as { code?: number; err_code?: number; description?: string } | undefined;
  if (err && typeof err === 'object') {
    // The stream refused the message (limits, expected sequence, …): it was not stored.
    return { ok: false, class: `nats:${err.err_code ?? err.code ?? 'error'}`, ...(err.description ? { message: err.description } : {}), history: 'fail', timeout: false };
  }
  if (typeof a.stream !== 'string' || a.stream === '') return { ok: false, class: 'nats:bad-ack', message: 'the PubAck names no stream', history: 'info', timeout: false };
  return { ok: true, ack: a };
}

function publishFailure(e: unknown): PublishResult {
  const code = String((e as { code?: unknown }).code ?? '');
  const message = (e as Error)?.message ?? String(e);
  if (code === 'TIMEOUT' || code === 'TIMEOUT_ERR' || /timeout/i.test(message)) return { ok: false, class: 'timeout', message, history: 'info', timeout: true };
  // Nobody answered the request: the stream's server is gone (or the stream was deleted); not stored.
  if (code === '503') return { ok: false, class: 'nats:no-responders', message, history: 'fail', timeout: false };
  return { ok: false, class: `nats:${code ? code.toLowerCase() : 'error'}`, message, history: 'info', timeout: false };
}

/** The match path of an await step, parsed (a usage error names the step). */
export function parseMatchPath(text: string, where: string): JsonPath {
  try {
    return parsePath(text);
  } catch (e) {
    throw new AgentcheckError('usage', `${where}: ${(e as Error).message}`);
  }
}
