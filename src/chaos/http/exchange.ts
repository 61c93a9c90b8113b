/**
 * The per-connection engine of an HTTP-aware proxy. Requests from the caller are framed (never
 * rewritten), decided on by the proxy's message toxics, then forwarded byte for byte on one
 * upstream connection, or answered, held or reset by the proxy. Responses are framed on the way
 * back and written to the caller in request order, whatever order the proxy produced them in
 * (pipelining stays correct when a toxic answers request 2 before upstream answered request 1).
 *
 * With no message toxic on the proxy, a request takes the fast path: its bytes are written
 * upstream as they arrive and the only per-request work is framing and one edge record.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { EdgeOutcome } from './records.js';
import { headerValue, HttpParser, type HttpParseError, type RequestHead, type ResponseHead } from './parser.js';
import { BodySniffer } from './body-facts.js';
import { jsonRpcMethods } from './jsonrpc.js';
import { targetPath, type RequestFacts } from './match.js';
import { attemptKey, requestIdentity, type RequestIdentity } from './identity.js';
import { actionValue, withValue, type MessageAction } from './message-toxic.js';
import type { Decision } from './decision.js';
import type { ActiveMessageToxic, HttpProxyState } from './proxy-state.js';
import { isEventStream, SseEventCounter } from './sse.js';
import { syntheticResponse } from './synthetic.js';

/** A byte sink with backpressure: the caller's socket, or the toxic link in front of upstream. */
export interface ByteOutput {
  /** Returns false when the engine should wait for {@link ByteOutput.onDrain}. */
  write(chunk: Buffer): boolean;
  /** FIN after everything written. */
  end(): void;
  /** Calls `listener` once when writing may continue. */
  onDrain(listener: () => void): void;
  /** Batches the writes made until {@link ByteOutput.uncork} into one (a message's head and body). */
  cork?(): void;
  uncork?(): void;
  /** True once the underlying connection is gone. */
  readonly destroyed?: boolean;
}

/**
 * What the engine needs from its connection. Bytes come in through the engine's
 * {@link ExchangeEngine.requestSink} (from the caller) and {@link ExchangeEngine.responseSink}
 * (from upstream).
 */
export interface ExchangeEngineIo {
  /** Where responses go (the caller's socket). */
  readonly caller: ByteOutput;
  /** Where requests go (the upstream-direction toxic link in front of the upstream socket). */
  readonly upstream: ByteOutput;
  /** Resets the caller's connection (TCP RST). */
  resetCaller(): void;
  /** Opens a fresh connection to upstream for a duplicate delivery. */
  openSideConnection(): Socket;
}

type ReqState = 'waiting' | 'collecting' | 'deciding' | 'forward' | 'swallow';

interface Exchange {
  readonly id: string;
  readonly head: RequestHead;
  readonly started: number;
  readonly time: string;
  readonly path: string;
  readonly traceparent: string | null;
  jsonrpc: string[] | null;
  /** Set when the request is decided on (its JSON-RPC methods are known then). */
  identity: RequestIdentity | null;
  /** The hop attempt of this request on the proxy, counted when its head arrived. */
  readonly attempt: number;
  state: ReqState;
  chunks: Buffer[];
  chunkBytes: number;
  body: Buffer[] | null;
  bodyBytes: number;
  bodyTooLarge: boolean;
  reqEnded: boolean;
  timer: NodeJS.Timeout | null;
  faults: string[];
  // Response side
  out: Buffer[];
  /** Bytes of `out` that came from upstream (counted against OUT_HELD_MAX). */
  outHeld: number;
  outDone: boolean;
  gate: NodeJS.Timeout | null;
  gated: boolean;
  terminal: 'hang' | 'reset' | 'close' | null;
  outcome: EdgeOutcome;
  status: number | null;
  upstreamStatus: number | null;
  interim: boolean;
  tunnel: boolean;
  lose: { mode: 'reset' | 'hang' | 'status'; status: number } | null;
  responseDelay: number;
  cut: { counter: SseEventCounter; events: number; mode: 'close' | 'reset' } | null;
  cutBy: string;
  copies: { count: number; mode: 'sequential' | 'concurrent'; raw: Buffer } | null;
  finished: boolean;
  /** Hash and JSON-RPC look of the body, for the edge record (see body-facts.ts). */
  sniffer: BodySniffer;
  /** The response's `Retry-After`, when it had one. */
  retryAfter: string | null;
}

const COPY_TIMEOUT_MS = 30_000;
// Response bytes held for a later turn before upstream reads pause.
const OUT_HELD_MAX = 1024 * 1024;

/** One caller connection's HTTP engine. Feed it through {@link ExchangeEngine.requestSink}. */
export class ExchangeEngine {
  private readonly reqParser: HttpParser<RequestHead>;
  private readonly respParser: HttpParser<ResponseHead>;
  private readonly reqQueue: Exchange[] = [];
  private readonly respQueue: Exchange[] = [];
  private readonly outQueue: Exchange[] = [];
  private parsing: Exchange | null = null;
  private count = 0;
  private buffered = 0;
  private callerEnded = false;
  private upstreamEnded = false;
  private upstreamFinished = false;
  private callerOutEnded = false;
  private callerBlocked = false;
  private responseDrainListener: (() => void) | null = null;
  private outHeld = 0;
  private upstreamBlocked = false;
  private upstreamIgnored = false;
  private torn = false;
  private drainListener: (() => void) | null = null;
  private tunnelExchange: Exchange | null = null;
  private readonly highWater: number;

  /** The caller's bytes go in here (a toxic link's sink). */
  readonly requestSink = {
    write: (chunk: Buffer): boolean => this.fromCaller(chunk),
    end: (): void => this.callerEnd(),
    once: (_event: 'drain', listener: () => void): void => {
      this.drainListener = listener;
      this.maybeDrain();
    },
  };

  /** Upstream's bytes go in here (the downstream-direction toxic link's sink). */
  readonly responseSink = {
    write: (chunk: Buffer): boolean => {
      this.fromUpstream(chunk);
      return !this.responsesBlocked();
    },
    end: (): void => this.upstreamEnd(),
    once: (_event: 'drain', listener: () => void): void => {
      this.responseDrainListener = listener;
      this.updateUpstreamFlow();
    },
  };

  constructor(
    private readonly state: HttpProxyState,
    private readonly connectionId: number,
    private readonly io: ExchangeEngineIo,
  ) {
    this.highWater = state.bodyCap + 64 * 1024;
    this.reqParser = new HttpParser<RequestHead>('request', {
      onHead: (h) => this.onRequestHead(h),
      onBody: (raw, data) => this.onRequestBody(raw, data),
      onEnd: () => this.onRequestEnd(),
      onTunnel: (raw) => this.writeUpstream(raw),
      onError: (e) => this.onRequestError(e),
    });
    this.respParser = new HttpParser<ResponseHead>(
      'response',
      {
        onHead: (h) => this.onResponseHead(h),
        onBody: (raw, data) => this.onResponseBody(raw, data),
        onEnd: () => this.onResponseEnd(),
        onTunnel: (raw) => {
          if (this.tunnelExchange) this.appendOut(this.tunnelExchange, raw);
        },
        onError: () => this.onResponseError(),
      },
      () => this.respQueue[0]?.head.method,
    );
  }

  /** The connection is gone: record unfinished exchanges and cancel timers. */
  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    for (const ex of this.outQueue) {
      if (ex.timer) clearTimeout(ex.timer);
      if (ex.gate) clearTimeout(ex.gate);
      this.finish(ex, ex.outcome === 'cut' ? 'cut' : 'closed');
    }
    for (const ex of this.reqQueue) if (ex.timer) clearTimeout(ex.timer);
    this.outQueue.length = 0;
    this.reqQueue.length = 0;
    this.respQueue.length = 0;
  }

  // ---- caller → upstream ------------------------------------------------------------------

  private fromCaller(chunk: Buffer): boolean {
    if (this.torn) return true;
    const up = this.io.upstream;
    up.cork?.();
    try {
      this.reqParser.push(chunk);
    } catch (err) {
      this.internalError(err);
    } finally {
      up.uncork?.();
    }
    return !this.inputBlocked();
  }

  /**
   * A bug in the engine must cost one connection, never the proxy process: reset it, count it
   * (see {@link HttpProxyState.internalErrors}).
   */
  private internalError(err: unknown): void {
    this.state.noteInternalError(err);
    this.callerOutEnded = true;
    this.io.resetCaller();
    this.teardown();
  }

  private inputBlocked(): boolean {
    return this.upstreamBlocked || this.buffered > this.highWater;
  }

  private maybeDrain(): void {
    const l = this.drainListener;
    if (l && !this.inputBlocked()) {
      this.drainListener = null;
      l();
    }
  }

  private callerEnd(): void {
    this.callerEnded = true;
    const complete = this.reqParser.finish();
    const ex = this.parsing;
    if (!complete && ex && !ex.reqEnded) {
      // The caller stopped mid-request. A request already streaming upstream gets the FIN after
      // its partial bytes (upstream decides what that means); one still held is abandoned.
      ex.reqEnded = true;
      if (ex.state === 'forward') this.requestDone(ex);
      else {
        if (ex.timer) clearTimeout(ex.timer);
        ex.timer = null;
        remove(this.reqQueue, ex);
        this.buffered -= ex.chunkBytes;
        ex.chunks = [];
        ex.state = 'swallow';
        ex.terminal = 'close';
        ex.outcome = 'closed';
        ex.outDone = true;
      }
    }
    this.maybeEndUpstream();
    this.pump();
  }

  private maybeEndUpstream(): void {
    if (!this.callerEnded || this.reqQueue.length > 0 || this.upstreamFinished) return;
    if (this.reqParser.paused) return; // an upgrade is pending: its response decides
    this.upstreamFinished = true;
    if (!this.io.upstream.destroyed) this.io.upstream.end();
  }

  private writeUpstream(chunk: Buffer): void {
    const up = this.io.upstream;
    if (up.destroyed || this.upstreamFinished) return;
    if (!up.write(chunk) && !this.upstreamBlocked) {
      this.upstreamBlocked = true;
      up.onDrain(() => {
        this.upstreamBlocked = false;
        this.maybeDrain();
      });
    }
  }

  private newExchange(head: RequestHead): Exchange {
    const path = targetPath(head.target);
    return {
      id: `${this.connectionId}.${++this.count}`,
      head,
      started: performance.now(),
      time: new Date().toISOString(),
      path,
      traceparent: headerValue(head.headers, 'traceparent') ?? null,
      jsonrpc: null,
      identity: null,
      attempt: head.method === '' ? 0 : this.state.attempts.next(attemptKey(head.method, path, head.headers)),
      state: 'waiting',
      chunks: [head.raw],
      chunkBytes: head.raw.length,
      body: [],
      bodyBytes: 0,
      bodyTooLarge: false,
      reqEnded: false,
      timer: null,
      faults: [],
      out: [],
      outHeld: 0,
      outDone: false,
      gate: null,
      gated: false,
      terminal: null,
      outcome: 'complete',
      status: null,
      upstreamStatus: null,
      sniffer: new BodySniffer(),
      retryAfter: null,
      interim: false,
      tunnel: false,
      lose: null,
      responseDelay: 0,
      cut: null,
      cutBy: '',
      copies: null,
      finished: false,
    };
  }

  private onRequestHead(head: RequestHead): void {
    const ex = this.newExchange(head);
    this.buffered += head.raw.length;
    this.parsing = ex;
    this.reqQueue.push(ex);
    this.outQueue.push(ex);
    if (this.reqQueue.length === 1) this.activate(ex);
  }

  private onRequestBody(raw: Buffer, data: Buffer | null): void {
    const ex = this.parsing;
    if (!ex) return;
    if (data) ex.sniffer.add(data);
    if (ex.state === 'forward') {
      this.writeUpstream(raw);
      return;
    }
    if (ex.state === 'swallow') return;
    ex.chunks.push(raw);
    ex.chunkBytes += raw.length;
    this.buffered += raw.length;
    if (data && ex.body) {
      ex.bodyBytes += data.length;
      if (ex.bodyBytes > this.state.bodyCap) {
        ex.body = null;
        ex.bodyTooLarge = true;
        if (ex.state === 'collecting') this.decide(ex);
      } else ex.body.push(data);
    }
  }

  private onRequestEnd(): void {
    const ex = this.parsing;
    if (!ex) return;
    ex.reqEnded = true;
    if (ex.state === 'collecting') this.decide(ex);
    else if ((ex.state === 'forward' || ex.state === 'swallow') && this.reqQueue[0] === ex) this.requestDone(ex);
  }

  private onRequestError(err: HttpParseError): void {
    // The caller's stream is unusable from here: answer the offending request (in order) and close.
    const ex = this.parsing && !this.parsing.reqEnded ? this.parsing : null;
    const answer = syntheticResponse(err.status, [], `${err.message}\n`, true);
    if (ex) {
      remove(this.reqQueue, ex);
      remove(this.respQueue, ex);
      if (ex.timer) clearTimeout(ex.timer);
      this.buffered -= ex.chunkBytes;
      ex.chunks = [];
      ex.state = 'swallow';
      this.outHeld -= ex.outHeld;
      ex.outHeld = 0;
      ex.out = [answer];
      ex.status = err.status;
      ex.outDone = true;
      ex.terminal = 'close';
      ex.lose = null;
      ex.cut = null;
    } else {
      const bad = this.syntheticExchange(err.status, answer);
      this.outQueue.push(bad);
    }
    this.callerEnded = true;
    this.pump();
  }

  /** An exchange for bytes that never made a request (a malformed head): answered, never recorded. */
  private syntheticExchange(status: number, answer: Buffer): Exchange {
    const empty = Buffer.alloc(0);
    const ex = this.newExchange({ kind: 'request', method: '', target: '', version: '1.1', headers: [], raw: empty, framing: 'none', contentLength: 0, upgrade: false });
    Object.assign(ex, { state: 'swallow', chunks: [], body: null, reqEnded: true, out: [answer], outDone: true, terminal: 'close', status, finished: true } satisfies Partial<Exchange>);
    return ex;
  }

  /** `ex` became the first request not yet dispatched. */
  private activate(ex: Exchange): void {
    if (!this.state.hasMessageToxics()) {
      this.startForward(ex);
      return;
    }
    const holdBody =
      ex.head.framing !== 'none' &&
      !ex.head.upgrade &&
      !/^100-continue$/i.test(headerValue(ex.head.headers, 'expect') ?? '') &&
      !ex.bodyTooLarge;
    if (holdBody && !ex.reqEnded) ex.state = 'collecting';
    else this.decide(ex);
  }

  private facts(ex: Exchange): RequestFacts {
    let methods: string[] | null = null;
    if (ex.head.framing === 'none') methods = [];
    else if (ex.reqEnded && ex.body) methods = jsonRpcMethods(ex.body.length === 1 ? (ex.body[0] as Buffer) : Buffer.concat(ex.body));
    ex.jsonrpc = methods;
    ex.identity = requestIdentity(ex.head.method, ex.path, ex.head.headers, methods);
    return { method: ex.head.method, path: ex.path, headers: ex.head.headers, jsonrpcMethods: methods };
  }

  /** One toxic's decision on `ex`, and the action it takes when fired (a replayed value applied). */
  private decideOne(ex: Exchange, t: ActiveMessageToxic, matches: boolean): { d: Decision; action: MessageAction | null } {
    const d = t.decider.decide(ex.identity?.key ?? null, ex.attempt, matches, t.compiled.decision, t.toxic.toxicity);
    if (!d.fired) return { d, action: null };
    const drawn = t.compiled.action(d.random);
    return { d, action: d.value ? withValue(drawn, d.value) : drawn };
  }

  private journal(ex: Exchange, t: ActiveMessageToxic, d: Pick<Decision, 'ordinal' | 'attempt'>, fired: boolean, outcome: string, action?: MessageAction): void {
    const id = ex.identity;
    this.state.journal.append({
      proxy: this.state.name,
      toxic: t.toxic.name,
      type: t.toxic.type,
      requestId: ex.id,
      method: ex.head.method,
      path: ex.path,
      jsonrpcMethod: ex.jsonrpc && ex.jsonrpc.length > 0 ? ex.jsonrpc.join(',') : null,
      traceparent: ex.traceparent,
      identity: id?.key ?? null,
      traceId: id?.traceId ?? null,
      idempotencyKey: id?.idempotencyKey ?? null,
      attempt: d.attempt,
      ordinal: d.ordinal,
      fired,
      value: fired && action ? actionValue(action) : null,
      outcome,
    });
  }

  private decide(ex: Exchange): void {
    ex.state = 'deciding';
    const facts = this.facts(ex);
    const complete = ex.reqEnded && ex.body !== null;
    // Every toxic decides (so each one's counters and draws advance the same way whatever the
    // others do); then a drop or http_error that fired answers the request and preempts the rest.
    const decisions = this.state.messageToxics('request').map((t) => ({ t, ...this.decideOne(ex, t, t.compiled.match(facts)) }));
    const terminal = decisions.find((x) => x.action?.kind === 'drop' || x.action?.kind === 'respond');
    let requestDelay = 0;
    for (const { t, d, action } of decisions) {
      if (!action) {
        this.journal(ex, t, d, false, d.reason ?? 'no-match');
        continue;
      }
      if (terminal && terminal.t !== t) {
        this.journal(ex, t, d, false, `preempted:${terminal.t.toxic.name}`);
        continue;
      }
      if (action.kind === 'duplicate' && (!complete || ex.head.upgrade)) {
        // Copies need the whole request; one streamed past the hold limit cannot be replayed.
        this.journal(ex, t, d, false, 'body-unavailable');
        continue;
      }
      switch (action.kind) {
        case 'delay':
          if (action.side === 'request') requestDelay += action.ms;
          else ex.responseDelay += action.ms;
          break;
        case 'duplicate':
          if (ex.copies) ex.copies.count += action.copies;
          else ex.copies = { count: action.copies, mode: action.mode, raw: Buffer.concat(ex.chunks) };
          break;
        case 'commit_then_drop':
          ex.lose ??= { mode: action.mode, status: action.status };
          break;
        default:
          break;
      }
      ex.faults.push(t.toxic.name);
      this.journal(ex, t, d, true, describe(action), action);
    }
    if (terminal?.action) {
      this.answerLocally(ex, terminal.action);
      return;
    }
    if (requestDelay > 0) {
      ex.timer = setTimeout(() => {
        ex.timer = null;
        if (!this.torn && ex.state === 'deciding') this.startForward(ex);
      }, requestDelay);
    } else this.startForward(ex);
  }

  private answerLocally(ex: Exchange, action: MessageAction): void {
    this.buffered -= ex.chunkBytes;
    ex.chunks = [];
    ex.body = null;
    ex.state = 'swallow';
    // A caller waiting for 100 Continue may never send the body it announced: answer, then
    // close, rather than guess where its next request starts.
    const close = !ex.reqEnded && /^100-continue$/i.test(headerValue(ex.head.headers, 'expect') ?? '');
    if (close) ex.terminal = 'close';
    if (action.kind === 'respond') {
      ex.out.push(syntheticResponse(action.status, action.headers, action.body, close));
      ex.status = action.status;
      ex.outDone = true;
    } else if (action.kind === 'drop') {
      if (action.mode === 'status') {
        ex.out.push(syntheticResponse(action.status, [], '', close));
        ex.status = action.status;
        ex.outDone = true;
      } else if (action.mode === 'reset') {
        ex.terminal = 'reset';
        ex.outcome = 'reset';
        ex.outDone = true;
      } else ex.terminal = 'hang';
    }
    if (ex.reqEnded) this.requestDone(ex);
    this.pump();
    this.maybeDrain();
  }

  private startForward(ex: Exchange): void {
    if (this.upstreamEnded || this.upstreamIgnored || this.io.upstream.destroyed) {
      // Nowhere to deliver it: the caller sees the connection close when this exchange's turn comes.
      this.buffered -= ex.chunkBytes;
      ex.chunks = [];
      ex.state = 'swallow';
      ex.terminal = 'close';
      ex.outcome = 'closed';
      ex.outDone = true;
      if (ex.reqEnded) this.requestDone(ex);
      this.pump();
      return;
    }
    ex.state = 'forward';
    ex.body = null;
    this.respQueue.push(ex);
    const up = this.io.upstream;
    up.cork?.();
    for (const c of ex.chunks) this.writeUpstream(c);
    up.uncork?.();
    this.buffered -= ex.chunkBytes;
    ex.chunks = [];
    if (ex.copies && ex.copies.mode === 'concurrent') this.sendCopies(ex);
    if (ex.reqEnded) this.requestDone(ex);
    this.maybeDrain();
  }

  /** `ex`'s request has been fully dispatched (forwarded or swallowed). */
  private requestDone(ex: Exchange): void {
    if (this.reqQueue[0] !== ex) return;
    this.reqQueue.shift();
    if (ex.head.upgrade && this.reqParser.paused) {
      // A forwarded upgrade waits for upstream's answer (101 or not); one the proxy answered
      // itself never switches protocols, so the caller's next bytes are HTTP again.
      if (ex.state !== 'swallow') return;
      this.reqParser.resume();
      if (this.reqQueue.length === 0) this.maybeEndUpstream();
      return;
    }
    const next = this.reqQueue[0];
    if (next) this.activate(next);
    else this.maybeEndUpstream();
  }

  // ---- duplicates ---------------------------------------------------------------------------

  private sendCopies(ex: Exchange): void {
    const copies = ex.copies;
    if (!copies) return;
    ex.copies = null;
    if (copies.mode === 'concurrent') {
      for (let k = 1; k <= copies.count; k++) void this.deliverCopy(ex, k, copies.raw);
      return;
    }
    void (async () => {
      for (let k = 1; k <= copies.count; k++) await this.deliverCopy(ex, k, copies.raw);
    })();
  }

  private deliverCopy(ex: Exchange, k: number, raw: Buffer): Promise<void> {
    const state = this.state;
    const started = performance.now();
    const time = new Date().toISOString();
    return new Promise((resolve) => {
      let socket: Socket;
      try {
        socket = this.io.openSideConnection();
      } catch {
        resolve();
        return;
      }
      state.sideSockets.add(socket);
      let status: number | null = null;
      let done = false;
      const finish = (outcome: EdgeOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        state.sideSockets.delete(socket);
        socket.destroy();
        state.records.append({
          proxy: state.name,
          requestId: `${ex.id}+${k}`,
          copyOf: ex.id,
          time,
          method: ex.head.method,
          path: ex.path,
          jsonrpcMethod: ex.jsonrpc && ex.jsonrpc.length > 0 ? ex.jsonrpc.join(',') : null,
          traceparent: ex.traceparent,
          status,
          upstreamStatus: status,
          latencyMs: round(performance.now() - started),
          outcome,
          faults: [],
        });
        resolve();
      };
      const timer = setTimeout(() => finish('closed'), COPY_TIMEOUT_MS);
      timer.unref();
      const parser = new HttpParser<ResponseHead>(
        'response',
        {
          onHead: (h) => {
            if (h.status >= 200 || h.status === 101) status = h.status;
          },
          onBody: () => {},
          onEnd: () => {
            if (status !== null) finish('complete');
          },
          onTunnel: () => finish('complete'),
          onError: () => finish('closed'),
        },
        () => ex.head.method,
      );
      socket.on('data', (c: Buffer) => parser.push(c));
      socket.on('end', () => {
        parser.finish();
        finish('closed');
      });
      socket.on('error', () => finish('closed'));
      socket.on('close', () => finish('closed'));
      socket.write(raw);
    });
  }

  // ---- upstream → caller -------------------------------------------------------------------

  private fromUpstream(chunk: Buffer): void {
    if (this.torn || this.upstreamIgnored) return;
    const caller = this.io.caller;
    caller.cork?.();
    try {
      this.respParser.push(chunk);
    } catch (err) {
      this.internalError(err);
    } finally {
      caller.uncork?.();
    }
  }

  private upstreamEnd(): void {
    this.upstreamEnded = true;
    if (!this.upstreamIgnored) this.respParser.finish();
    // Whatever upstream still owed will never come: those callers see the connection close.
    for (const ex of this.respQueue.splice(0)) {
      if (ex.tunnel) {
        ex.outDone = true;
        continue;
      }
      if (ex.lose) {
        this.loseResponse(ex);
        continue;
      }
      ex.terminal = 'close';
      ex.outcome = 'closed';
      ex.outDone = true;
    }
    this.pump();
  }

  private onResponseError(): void {
    // A malformed response cannot be relayed faithfully; the caller sees the connection close.
    this.upstreamIgnored = true;
    const ex = this.respQueue.shift();
    if (ex) {
      ex.terminal = 'close';
      ex.outcome = 'closed';
      ex.outDone = true;
    }
    this.respQueue.length = 0;
    this.pump();
  }

  private onResponseHead(h: ResponseHead): void {
    const ex = this.respQueue[0];
    if (!ex) {
      this.onResponseError();
      return;
    }
    ex.interim = h.status < 200 && h.status !== 101;
    if (ex.interim) {
      if (!ex.lose) this.appendOut(ex, h.raw);
      return;
    }
    ex.upstreamStatus = h.status;
    ex.retryAfter = headerValue(h.headers, 'retry-after') ?? null;
    if (h.framing === 'tunnel') {
      ex.tunnel = true;
      this.tunnelExchange = ex;
      ex.status = h.status;
      this.appendOut(ex, h.raw);
      this.reqParser.tunnel();
      return;
    }
    if (ex.lose) return;
    ex.status = h.status;
    this.decideStreamCut(ex, h);
    if (ex.responseDelay > 0 && !ex.gated) {
      ex.gated = true;
      ex.gate = setTimeout(() => {
        ex.gate = null;
        this.pump();
      }, ex.responseDelay);
    }
    this.appendOut(ex, h.raw);
    if (ex.cut && ex.cut.events === 0) this.cutNow(ex);
  }

  private decideStreamCut(ex: Exchange, h: ResponseHead): void {
    const toxics = this.state.messageToxics('response');
    if (toxics.length === 0) return;
    const facts: RequestFacts = { method: ex.head.method, path: ex.path, headers: ex.head.headers, jsonrpcMethods: ex.jsonrpc };
    // A request that took the fast path (no message toxic then) was never identified.
    ex.identity ??= requestIdentity(ex.head.method, ex.path, ex.head.headers, ex.jsonrpc);
    const sse = isEventStream(headerValue(h.headers, 'content-type'));
    for (const t of toxics) {
      const matches = t.compiled.match(facts);
      if (matches && !sse) {
        this.journal(ex, t, { ordinal: 0, attempt: ex.attempt }, false, 'not-event-stream');
        continue;
      }
      const { d, action } = this.decideOne(ex, t, matches);
      if (!action) {
        this.journal(ex, t, d, false, d.reason ?? 'no-match');
        continue;
      }
      if (action.kind !== 'stream_cut' || ex.cut) {
        this.journal(ex, t, d, false, ex.cut ? `preempted:${ex.cutBy}` : describe(action));
        continue;
      }
      ex.cut = { counter: new SseEventCounter(), events: action.events, mode: action.mode };
      ex.cutBy = t.toxic.name;
      ex.faults.push(t.toxic.name);
      this.journal(ex, t, d, true, describe(action), action);
    }
  }

  private cutNow(ex: Exchange): void {
    // The rest of this response (and the connection) is abandoned.
    this.upstreamIgnored = true;
    ex.terminal = ex.cut?.mode === 'reset' ? 'reset' : 'close';
    ex.outcome = 'cut';
    ex.outDone = true;
    remove(this.respQueue, ex);
    this.pump();
  }

  private onResponseBody(raw: Buffer, data: Buffer | null): void {
    const ex = this.respQueue[0];
    if (!ex || ex.lose) return;
    if (ex.cut && data) {
      const at = ex.cut.counter.feed(data, ex.cut.events);
      if (at >= 0) {
        // For body bytes raw === data, so the offset applies to raw as well.
        if (at > 0) this.appendOut(ex, raw.subarray(0, at));
        this.cutNow(ex);
        return;
      }
    }
    this.appendOut(ex, raw);
  }

  private onResponseEnd(): void {
    const ex = this.respQueue[0];
    if (!ex) return;
    if (ex.interim) {
      ex.interim = false;
      return;
    }
    if (ex.tunnel) return;
    this.respQueue.shift();
    if (ex.lose) this.loseResponse(ex);
    else ex.outDone = true;
    if (ex.copies) this.sendCopies(ex);
    if (ex.head.upgrade && this.reqParser.paused) {
      // The upgrade was refused: the caller's next bytes are HTTP again.
      this.reqParser.resume();
      this.maybeEndUpstream();
    }
    this.pump();
  }

  private loseResponse(ex: Exchange): void {
    const lose = ex.lose!;
    if (lose.mode === 'status') {
      ex.out = [syntheticResponse(lose.status)];
      ex.status = lose.status;
      ex.outDone = true;
    } else if (lose.mode === 'reset') {
      ex.terminal = 'reset';
      ex.outcome = 'reset';
      ex.outDone = true;
    } else ex.terminal = 'hang';
  }

  private appendOut(ex: Exchange, chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (ex === this.outQueue[0] && ex.gate === null && ex.out.length === 0) this.writeCaller(chunk);
    else {
      // Held back (delayed response, or an earlier exchange still owes its answer): bounded.
      ex.out.push(chunk);
      ex.outHeld += chunk.length;
      this.outHeld += chunk.length;
      this.updateUpstreamFlow();
    }
  }

  private writeCaller(chunk: Buffer): void {
    if (this.callerOutEnded) return;
    if (!this.io.caller.write(chunk) && !this.callerBlocked) {
      this.callerBlocked = true;
      this.updateUpstreamFlow();
      this.io.caller.onDrain(() => {
        this.callerBlocked = false;
        this.updateUpstreamFlow();
      });
    }
  }

  /** Upstream is read only while the caller keeps up and held-back output stays under its cap. */
  private responsesBlocked(): boolean {
    return this.callerBlocked || this.outHeld > OUT_HELD_MAX;
  }

  private updateUpstreamFlow(): void {
    const listener = this.responseDrainListener;
    if (listener && !this.responsesBlocked()) {
      this.responseDrainListener = null;
      listener();
    }
  }

  /** Writes what can go to the caller now, in request order. */
  private pump(): void {
    while (this.outQueue.length > 0) {
      const ex = this.outQueue[0]!;
      if (ex.gate !== null) return;
      if (ex.out.length > 0) {
        const pending = ex.out;
        ex.out = [];
        this.outHeld -= ex.outHeld;
        ex.outHeld = 0;
        for (const c of pending) this.writeCaller(c);
        this.updateUpstreamFlow();
      }
      if (!ex.outDone) {
        // A hang can only end when the caller gives up; once it has closed its side, release the
        // connection instead of holding it half-open forever.
        if (ex.terminal === 'hang' && this.callerEnded) {
          this.upstreamIgnored = true;
          this.endCaller();
        }
        return;
      }
      this.outQueue.shift();
      if (ex.terminal === 'reset') {
        this.finish(ex, 'reset');
        this.callerOutEnded = true;
        this.io.resetCaller();
        return;
      }
      if (ex.terminal === 'close') {
        // FIN after what the caller was already sent (through any downstream toxics); the
        // connection is released when the caller closes its side.
        this.upstreamIgnored = true;
        this.finish(ex, ex.outcome);
        this.endCaller();
        return;
      }
      this.finish(ex, 'complete');
    }
    if (this.upstreamEnded && this.reqQueue.length === 0) this.endCaller();
  }

  private endCaller(): void {
    if (this.callerOutEnded) return;
    this.callerOutEnded = true;
    this.io.caller.end();
  }

  private finish(ex: Exchange, outcome: EdgeOutcome): void {
    if (ex.finished) return;
    ex.finished = true;
    const facts = ex.sniffer.facts();
    const methods = ex.jsonrpc && ex.jsonrpc.length > 0 ? ex.jsonrpc : facts.jsonrpcMethods;
    this.state.records.append({
      proxy: this.state.name,
      requestId: ex.id,
      time: ex.time,
      method: ex.head.method,
      path: ex.path,
      jsonrpcMethod: methods.length > 0 ? methods.join(',') : null,
      // MCP carries trace context in the message (SEP-414) when the header is absent.
      traceparent: ex.traceparent ?? facts.metaTraceparent,
      idempotencyKey: headerValue(ex.head.headers, 'idempotency-key')?.trim() || null,
      bodyHash: facts.bodyHash,
      tool: facts.tool,
      retryAfter: ex.retryAfter,
      status: outcome === 'complete' || outcome === 'cut' ? ex.status : null,
      upstreamStatus: ex.upstreamStatus,
      latencyMs: round(performance.now() - ex.started),
      outcome,
      faults: ex.faults,
    });
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The journal outcome of a fired action. */
export function describe(action: MessageAction): string {
  switch (action.kind) {
    case 'drop':
      return action.mode === 'status' ? `drop:status:${action.status}` : `drop:${action.mode}`;
    case 'respond':
      return `http_error:${action.status}`;
    case 'duplicate':
      return `duplicate:${action.copies}:${action.mode}`;
    case 'commit_then_drop':
      return action.mode === 'status' ? `commit_then_drop:status:${action.status}` : `commit_then_drop:${action.mode}`;
    case 'delay':
      return `http_latency:${action.side === 'request' ? 'upstream' : 'downstream'}:${Math.round(action.ms)}ms`;
    case 'stream_cut':
      return `stream_cut:${action.events}`;
  }
}

/** Opens a side connection to the same address as `upstream` (for duplicate deliveries). */
export function sideConnectionTo(upstream: Socket): () => Socket {
  return () => {
    const host = upstream.remoteAddress;
    const port = upstream.remotePort;
    if (!host || !port) throw new Error('upstream address unknown');
    const s = connect({ host, port });
    s.setNoDelay(true);
    // Copies in flight must not keep a shutting-down process alive (they time out on their own).
    s.unref();
    return s;
  };
}
