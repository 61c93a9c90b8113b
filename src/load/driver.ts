/**
 * The load driver: an OPEN model (a fixed arrival rate) by default, a CLOSED model (N connections,
 * each sending its next request when the previous answer arrives) when asked.
 *
 * How each model is built, and why:
 * - CLOSED model: autocannon's programmatic API. Each request is built by `requests[].setupRequest`
 *   (unique `${uuid}`/`${seq}`, Idempotency-Key, traceparent), answered through `onResponse`, and
 *   timeouts and connection errors come from the per-connection client handed to `setupClient`.
 *   Latency is measured from the moment the request is built and written, which is autocannon's rule
 *   and the closed model's blind spot: while the target stalls, no new requests are sent, so the
 *   stall is seen by at most N requests (coordinated omission).
 * - OPEN model: a small scheduler of our own with a minimal keep-alive HTTP/1.1 client on `net`
 *   sockets (`http1.ts`; `node:https` for https targets), NOT autocannon.
 *   autocannon's `overallRate` is a per-connection token bucket refilled once a second: requests go
 *   out in bursts at the start of each second and a connection waiting on a stalled response sends
 *   nothing, so there is no intended start time to measure from (its "correction" back-fills with a
 *   1 ms interval, which is not the schedule). Bending its client into an open model would mean
 *   driving its private `_doRequest`. Instead each arrival i of a phase has an intended start
 *   phaseStart + i / rate; it is sent at that time on any free socket (new sockets are opened while
 *   the target is slow, up to `maxSockets`; beyond that requests wait in the pool's queue, and that
 *   wait is part of their latency), and its latency is measured from the intended start (wrk2's
 *   rule), so queueing behind a stalled target cannot be hidden.
 *
 * Both models: a request that has not completed `timeoutMs` after its (intended) start is aborted and
 * recorded as a timeout AT the timeout value — a bad event that never vanishes from the latency
 * record. Phases are marked while running (`markPhase`), and the open model's rate can change per
 * phase. A history hook receives `invoke` and then exactly one of `ok` / `fail` / `info` per request
 * with its Idempotency-Key (for the exactly-once checker). The run is invalid when the generator
 * could not keep its schedule or saturated its CPU (see `health.ts`).
 */
// Types only: autocannon is loaded when a closed-model run starts, so the open model and every
// other command do not pay for it at start-up.
import type autocannon from 'autocannon';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createRng, type Rng } from '../chaos/rng.js';
import { AgentcheckError } from '../errors.js';
import { createLatencyHistogram, percentileMs, recordMs } from './histogram.js';
import { Http1Pool } from './http1.js';
import { judgeGenerator, ResourceMonitor, type GeneratorStats, type HealthLimits, type Validity } from './health.js';
import { LatencyRecorder, toPhaseReports, type Outcome, type RecordedSeries } from './recorder.js';
import type { PhaseReport, TimePoint } from '../report/model.js';
import { compileTemplate, randomTraceparent, randomUuid, type CompiledTemplate, type RequestVars } from './template.js';

/** What to send. The path/query, header values and body may use `${uuid}`, `${seq}`, `${phase}`. */
export interface RequestTemplate {
  /** Absolute http(s) URL. */
  url: string;
  /** HTTP method (default GET, or POST when there is a body). */
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Idempotency-Key value (a template; default `${uuid}`), or false to send none. */
  idempotencyKey?: string | false;
}

/** One entry of the request history (the exactly-once checker's input). */
export interface HistoryEvent {
  /**
   * `invoke` when sent; then `ok` (2xx/3xx: it happened), `fail` (4xx, or the connection was
   * refused: it definitely did not happen) or `info` (5xx, timeout, connection cut: unknown).
   */
  type: 'invoke' | 'ok' | 'fail' | 'info';
  /** The Idempotency-Key (the request's uuid when no key is sent). */
  key: string;
  seq: number;
  traceparent: string;
  phase: string;
  /** Milliseconds since the run's start: intended start for `invoke`, completion otherwise. */
  tMs: number;
  /** From the intended start (open model) or the send (closed model); on completion events. */
  latencyMs?: number;
  status?: number;
  error?: string;
}

/** Options of {@link createLoadDriver}. */
export interface LoadDriverOptions {
  target: RequestTemplate;
  /** `open` (default): a fixed arrival rate; `closed`: `connections` request loops. */
  model?: 'open' | 'closed';
  /** Open model: arrivals per second of the first phase (default 10). */
  rate?: number;
  /** Closed model: concurrent connections (default 10). */
  connections?: number;
  /** Request timeout (default 5000 ms); timeouts are recorded at this value. */
  timeoutMs?: number;
  /** Name of the first phase (default `load`). */
  phase?: string;
  /** Planned duration of the first phase; its windows are 1/12 of it (default: 5 s windows). */
  phaseDurationMs?: number;
  /** Seed or RNG for ids (default: a random seed, reported). */
  seed?: string | number;
  rng?: Rng;
  /** Receives every request's history events. */
  history?: (event: HistoryEvent) => void;
  /** Which statuses are errors (default: status ≥ 400). */
  isError?: (status: number) => boolean;
  /** Open model: most requests outstanding before arrivals are dropped (default 10,000). */
  maxInFlight?: number;
  /** Open model: most sockets to the target (default 1,024). */
  maxSockets?: number;
  /** Generator health limits (late arrivals, CPU). */
  limits?: HealthLimits;
  /** Timeline bucket for charts (default 1000 ms). */
  timelineBucketMs?: number;
  /** Skip the reachability check at start (default false). */
  skipPreflight?: boolean;
}

/** Options of {@link LoadDriver.markPhase}. */
export interface PhaseOptions {
  /** Open model: the new arrival rate from now on (default: unchanged). */
  rate?: number;
  /** Planned duration; the phase's windows are 1/12 of it. */
  durationMs?: number;
}

/** Everything a load run produced. */
export interface LoadResult {
  model: 'open' | 'closed';
  seed: string;
  /** ISO time of the start. */
  startedAt: string;
  /** From start to stop (the drain of in-flight requests after stop is not included). */
  durationMs: number;
  /** The `http` series: phases with windows, timeline. */
  series: RecordedSeries;
  phases: PhaseReport[];
  timeline: TimePoint[];
  /** Phase marks as driven: name, start and the rate in force (open model). */
  schedule: Array<{ name: string; startMs: number; rate?: number; plannedDurationMs?: number }>;
  generator: GeneratorStats;
  validity: Validity;
}

/** A running load generator. */
export interface LoadDriver {
  readonly model: 'open' | 'closed';
  readonly seed: string;
  /** Checks the target is reachable (exit 3 if not) and starts sending. */
  start(): Promise<void>;
  /** Starts a new phase now (and, open model, optionally a new rate). */
  markPhase(name: string, options?: PhaseOptions): void;
  /** Milliseconds since start. */
  elapsedMs(): number;
  /** Stops sending, waits for outstanding requests (open model, ≤ timeout) and returns the result. */
  stop(): Promise<LoadResult>;
}

interface Pending {
  seq: number;
  key: string;
  traceparent: string;
  phase: string;
  /** Intended start (open model) or send time (closed model): the event is filed under it. */
  startMs: number;
  /** Where latency is measured from: the intended start, or the send when that was earlier. */
  fromMs: number;
  done: boolean;
  abort?: () => void;
}

/**
 * Open model: an arrival may be sent up to this much before its intended start. Timers fire up to
 * ~1 ms late; letting them fire early instead and measuring an early request from its actual send
 * removes that systematic send delay without ever under-reporting a latency.
 */
const EARLY_MS = 1;

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Classifies a finished request for the history. */
function historyType(status: number | undefined, errorCode: string | undefined, sent = true): 'ok' | 'fail' | 'info' {
  if (status !== undefined) return status < 400 ? 'ok' : status < 500 ? 'fail' : 'info';
  return !sent || (errorCode !== undefined && NOT_SENT.has(errorCode)) ? 'fail' : 'info';
}

/** Checks a TCP connection to the URL's host and port can be opened; throws an environment error (exit 3). */
export async function checkReachable(url: string, timeoutMs = 3000): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AgentcheckError('environment', `target ${u.origin} is unreachable: no TCP connection within ${timeoutMs} ms`, 'is the service running and listening on that address?'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new AgentcheckError('environment', `target ${u.origin} is unreachable: ${e.code ?? e.message}`, 'is the service running and listening on that address?'));
    });
  });
}

/** Validates the target and compiles its templates (usage errors, exit 2). */
function compileTarget(t: RequestTemplate): {
  url: URL;
  method: string;
  path: CompiledTemplate;
  headers: Array<[string, CompiledTemplate]>;
  body: CompiledTemplate | null;
  key: CompiledTemplate | null;
} {
  let url: URL;
  try {
    url = new URL(t.url);
  } catch {
    throw new AgentcheckError('usage', `not a URL: '${t.url}'`, 'give an absolute URL such as http://127.0.0.1:8080/orders');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AgentcheckError('usage', `unsupported protocol '${url.protocol}' in ${t.url}`, 'use http:// or https://');
  }
  // `${…}` in a URL path is percent-encoded by the URL parser; read the raw path back from the input.
  const rawPath = t.url.replace(/^[a-z]+:\/\/[^/?#]*/i, '') || '/';
  const method = (t.method ?? (t.body !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new AgentcheckError('usage', `invalid HTTP method '${t.method}'`);
  const headers = Object.entries(t.headers ?? {}).map(([k, v]): [string, CompiledTemplate] => {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw new AgentcheckError('usage', `invalid header name '${k}'`);
    return [k, compileTemplate(v, `header ${k}`)];
  });
  return {
    url,
    method,
    path: compileTemplate(rawPath.startsWith('/') ? rawPath : `/${rawPath}`, 'the URL'),
    headers,
    body: t.body !== undefined ? compileTemplate(t.body, 'the body') : null,
    key: t.idempotencyKey === false ? null : compileTemplate(t.idempotencyKey ?? '${uuid}', 'the Idempotency-Key'),
  };
}

/** Creates a load driver (not started). Throws a usage error for a bad target or option. */
export function createLoadDriver(options: LoadDriverOptions): LoadDriver {
  const model = options.model ?? 'open';
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(timeoutMs > 0)) throw new AgentcheckError('usage', `timeout must be positive, got ${timeoutMs}`);
  const rate = options.rate ?? 10;
  if (model === 'open' && !(rate >= 0 && Number.isFinite(rate))) throw new AgentcheckError('usage', `rate must be a non-negative number, got ${rate}`);
  const connections = options.connections ?? 10;
  if (model === 'closed' && !(Number.isInteger(connections) && connections >= 1)) {
    throw new AgentcheckError('usage', `connections must be a positive integer, got ${connections}`);
  }
  if (model === 'closed' && timeoutMs < 1000) {
    // autocannon's per-connection timer takes seconds and refuses anything below 1.
    throw new AgentcheckError('usage', `the closed model needs a timeout of at least 1s, got ${timeoutMs} ms`, 'raise --timeout, or use the open model (--rate)');
  }
  const rng = options.rng ?? createRng(options.seed);
  return model === 'open' ? new OpenModelDriver(options, rng, timeoutMs, rate) : new ClosedModelDriver(options, rng, timeoutMs, connections);
}

abstract class BaseDriver implements LoadDriver {
  abstract readonly model: 'open' | 'closed';
  readonly seed: string;
  protected readonly target: ReturnType<typeof compileTarget>;
  protected readonly recorder: LatencyRecorder;
  protected readonly rng: Rng;
  protected readonly isError: (status: number) => boolean;
  protected readonly monitor = new ResourceMonitor();
  protected readonly schedule: LoadResult['schedule'] = [];
  protected t0 = 0;
  protected startedAt = new Date();
  protected started = false;
  protected stopped = false;
  protected stopMs = 0;
  protected seq = 0;
  protected phaseName: string;
  protected sent = 0;

  constructor(
    protected readonly options: LoadDriverOptions,
    rng: Rng,
    protected readonly timeoutMs: number,
  ) {
    this.target = compileTarget(options.target);
    this.rng = rng.fork('load');
    this.seed = rng.seed;
    this.isError = options.isError ?? ((s) => s >= 400);
    this.recorder = new LatencyRecorder({ name: 'http', graceMs: timeoutMs + 1000, timelineBucketMs: options.timelineBucketMs ?? 1000 });
    this.phaseName = options.phase ?? 'load';
  }

  elapsedMs(): number {
    return this.started ? performance.now() - this.t0 : 0;
  }

  protected beginClock(): void {
    this.t0 = performance.now();
    this.startedAt = new Date();
    this.started = true;
    this.monitor.start();
    this.recorder.beginPhase(this.phaseName, 0, this.options.phaseDurationMs);
  }

  markPhase(name: string, opts: PhaseOptions = {}): void {
    if (!this.started || this.stopped) throw new Error(`markPhase('${name}') called while the driver is not running`);
    const now = this.elapsedMs();
    this.phaseName = name;
    this.recorder.beginPhase(name, now, opts.durationMs);
    this.onPhase(name, now, opts);
  }

  protected abstract onPhase(name: string, atMs: number, opts: PhaseOptions): void;

  /** Builds one request's identity and rendered parts. */
  protected nextRequest(): { vars: RequestVars; key: string; traceparent: string; path: string; headers: Record<string, string>; body: string | undefined } {
    const vars: RequestVars = { uuid: randomUuid(this.rng), seq: this.seq++, phase: this.phaseName };
    const traceparent = randomTraceparent(this.rng);
    const headers: Record<string, string> = {};
    for (const [k, t] of this.target.headers) headers[k] = t.render(vars);
    const key = this.target.key ? this.target.key.render(vars) : vars.uuid;
    if (this.target.key) headers['Idempotency-Key'] = key;
    headers['traceparent'] = traceparent;
    return { vars, key, traceparent, path: this.target.path.render(vars), headers, body: this.target.body?.render(vars) };
  }

  private readonly headLine = (): string => ` HTTP/1.1\r\nHost: ${this.target.url.host}\r\nConnection: keep-alive\r\n`;
  private headText: string | null = null;

  /** A request's bytes on the wire (HTTP/1.1, keep-alive), built with one concatenation. */
  protected requestBytes(r: ReturnType<BaseDriver['nextRequest']>): Buffer {
    this.headText ??= this.headLine();
    let text = `${this.target.method} ${r.path}${this.headText}`;
    for (const k in r.headers) text += `${k}: ${r.headers[k]}\r\n`;
    let body: Buffer | null = null;
    if (r.body !== undefined) {
      body = Buffer.from(r.body);
      text += `Content-Length: ${body.length}\r\n`;
    }
    text += '\r\n';
    const head = Buffer.from(text, 'latin1');
    return body ? Buffer.concat([head, body]) : head;
  }

  protected emit(event: HistoryEvent): void {
    const h = this.options.history;
    if (!h) return;
    try {
      h(event);
    } catch {
      // A faulty history consumer must not kill the run; the checker will see the gap.
    }
  }

  protected finishResult(extra: Partial<GeneratorStats> & Pick<GeneratorStats, 'arrivals'>): LoadResult {
    const series = this.recorder.finish(this.stopMs);
    const res = this.monitor.stop();
    const seconds = Math.max(1e-9, this.stopMs / 1000);
    const generator: GeneratorStats = {
      model: this.model,
      sent: this.sent,
      late: 0,
      lateFraction: 0,
      lateToleranceMs: this.options.limits?.lateToleranceMs ?? 10,
      maxLatenessMs: 0,
      p50LatenessMs: 0,
      p99LatenessMs: 0,
      dropped: 0,
      maxInFlight: 0,
      inFlightPeak: 0,
      abandoned: 0,
      ...res,
      achievedRate: Math.round((this.sent / seconds) * 10) / 10,
      ...extra,
    };
    return {
      model: this.model,
      seed: this.seed,
      startedAt: this.startedAt.toISOString(),
      durationMs: Math.round(this.stopMs * 1000) / 1000,
      series,
      phases: toPhaseReports(series),
      timeline: series.timeline,
      schedule: this.schedule,
      generator,
      validity: judgeGenerator(generator, this.options.limits),
    };
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<LoadResult>;
}

/** The open model: a precise arrival schedule on node:http keep-alive agents. */
class OpenModelDriver extends BaseDriver {
  readonly model = 'open' as const;
  private rate: number;
  private phaseStartMs = 0;
  private k = 0;
  private nextIntendedMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<number, Pending>();
  /** Plain http: our own keep-alive pool (see http1.ts). */
  private readonly pool: Http1Pool | null;
  /** https: node's agent. */
  private readonly agent: https.Agent | null;
  private readonly maxInFlight: number;
  private readonly lateness = createLatencyHistogram();
  private readonly toleranceMs: number;
  private arrivals = 0;
  private late = 0;
  private dropped = 0;
  private inFlightPeak = 0;
  private drained: (() => void) | null = null;

  constructor(options: LoadDriverOptions, rng: Rng, timeoutMs: number, rate: number) {
    super(options, rng, timeoutMs);
    this.rate = rate;
    this.maxInFlight = options.maxInFlight ?? 10_000;
    this.toleranceMs = options.limits?.lateToleranceMs ?? 10;
    const maxSockets = options.maxSockets ?? 1024;
    const u = this.target.url;
    const secure = u.protocol === 'https:';
    this.pool = secure ? null : new Http1Pool(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || 80), maxSockets);
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets, scheduling: 'fifo' }) : null;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (!this.options.skipPreflight) await checkReachable(this.target.url.href, Math.min(this.timeoutMs, 3000));
    this.beginClock();
    this.schedule.push({ name: this.phaseName, startMs: 0, rate: this.rate, ...(this.options.phaseDurationMs ? { plannedDurationMs: this.options.phaseDurationMs } : {}) });
    this.phaseStartMs = 0;
    this.k = 0;
    this.nextIntendedMs = 0;
    // The sweep aborts overdue requests (from the front: they are in intended-start order) and lets
    // the recorder release windows nobody can still write to.
    this.sweeper = setInterval(() => this.sweep(), Math.max(5, Math.min(50, this.timeoutMs / 4)));
    this.tick();
  }

  protected onPhase(name: string, atMs: number, opts: PhaseOptions): void {
    const rate = opts.rate ?? this.rate;
    if (!(rate >= 0 && Number.isFinite(rate))) throw new AgentcheckError('usage', `rate must be a non-negative number, got ${rate}`);
    this.schedule.push({ name, startMs: atMs, rate, ...(opts.durationMs ? { plannedDurationMs: opts.durationMs } : {}) });
    if (opts.rate !== undefined) {
      // A new rate restarts the schedule at the mark: arrival i of the phase is due at mark + i / rate.
      this.rate = rate;
      this.phaseStartMs = atMs;
      this.k = 0;
      this.nextIntendedMs = atMs;
      this.rearm();
    }
  }

  private rearm(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.tick();
  }

  private tick = (): void => {
    this.timer = null;
    if (this.stopped || this.rate <= 0) return;
    const interval = 1000 / this.rate;
    let now = this.elapsedMs();
    while (this.nextIntendedMs <= now + EARLY_MS) {
      this.dispatch(this.nextIntendedMs, now);
      this.k++;
      this.nextIntendedMs = this.phaseStartMs + this.k * interval;
      now = this.elapsedMs();
    }
    const delay = this.nextIntendedMs - EARLY_MS - this.elapsedMs();
    // Timers fire no earlier than asked and up to ~1 ms late, hence EARLY_MS. Spinning on
    // setImmediate would be more punctual still, but burns a core at ≥ 1,000 req/s, which harms the
    // measurement more than a fraction of a millisecond of send jitter.
    this.timer = setTimeout(this.tick, Math.max(1, Math.floor(delay)));
  };

  private dispatch(intendedMs: number, nowMs: number): void {
    this.arrivals++;
    if (this.inFlight.size >= this.maxInFlight) {
      // Never sent, never vanishes: a bad event at the timeout value (and the run is invalid).
      this.dropped++;
      this.recorder.record(intendedMs, this.timeoutMs, 'timeout');
      return;
    }
    const lateBy = nowMs - intendedMs;
    recordMs(this.lateness, Math.max(0, lateBy));
    if (lateBy > this.toleranceMs) this.late++;
    const r = this.nextRequest();
    const p: Pending = { seq: r.vars.seq, key: r.key, traceparent: r.traceparent, phase: r.vars.phase, startMs: intendedMs, fromMs: Math.min(intendedMs, nowMs), done: false };
    this.inFlight.set(p.seq, p);
    if (this.inFlight.size > this.inFlightPeak) this.inFlightPeak = this.inFlight.size;
    if (this.options.history) this.emit({ type: 'invoke', key: p.key, seq: p.seq, traceparent: p.traceparent, phase: p.phase, tMs: intendedMs });
    this.sent++;
    if (this.pool) {
      const handle = this.pool.send({
        buffer: this.requestBytes(r),
        head: this.target.method === 'HEAD',
        done: (status, err, sent) => this.complete(p, status, err, sent),
      });
      p.abort = handle.abort;
      return;
    }
    // https: node's client (TLS handshakes dwarf the per-request overhead anyway).
    const u = this.target.url;
    const body = r.body !== undefined ? Buffer.from(r.body) : undefined;
    if (body) r.headers['Content-Length'] = String(body.length);
    let req: http.ClientRequest;
    try {
      req = https.request({ agent: this.agent!, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, method: this.target.method, path: r.path, headers: r.headers });
    } catch (e) {
      this.complete(p, undefined, e as NodeJS.ErrnoException, false);
      return;
    }
    p.abort = () => req.destroy();
    req.on('response', (res) => {
      res.on('end', () => this.complete(p, res.statusCode ?? 0));
      res.on('close', () => {
        if (!res.complete) this.complete(p, undefined, Object.assign(new Error('response cut short'), { code: 'ECONNRESET' }));
      });
      res.on('error', () => undefined);
      res.resume();
    });
    req.on('error', (e: NodeJS.ErrnoException) => this.complete(p, undefined, e));
    req.end(body);
  }

  private complete(p: Pending, status: number | undefined, err?: NodeJS.ErrnoException, sent = true): void {
    if (p.done) return;
    p.done = true;
    this.inFlight.delete(p.seq);
    const now = this.elapsedMs();
    const latency = now - p.fromMs;
    const outcome: Outcome = status !== undefined && !this.isError(status) ? 'ok' : 'error';
    this.recorder.record(p.startMs, latency, outcome);
    if (!this.options.history) {
      if (this.drained && this.inFlight.size === 0) this.drained();
      return;
    }
    const type = historyType(status, err?.code, sent);
    this.emit({
      type,
      key: p.key,
      seq: p.seq,
      traceparent: p.traceparent,
      phase: p.phase,
      tMs: now,
      latencyMs: latency,
      ...(status !== undefined ? { status } : {}),
      ...(err ? { error: err.code ?? err.message } : {}),
    });
    if (this.drained && this.inFlight.size === 0) this.drained();
  }

  private sweep(): void {
    const now = this.elapsedMs();
    for (const p of this.inFlight.values()) {
      if (now - p.startMs < this.timeoutMs) break;
      p.done = true;
      this.inFlight.delete(p.seq);
      p.abort?.();
      this.recorder.record(p.startMs, this.timeoutMs, 'timeout');
      this.emit({ type: 'info', key: p.key, seq: p.seq, traceparent: p.traceparent, phase: p.phase, tMs: now, latencyMs: this.timeoutMs, error: 'timeout' });
    }
    this.recorder.advance(now);
    if (this.drained && this.inFlight.size === 0) this.drained();
  }

  async stop(): Promise<LoadResult> {
    if (!this.started) throw new Error('stop() called before start()');
    if (!this.stopped) {
      this.stopped = true;
      this.stopMs = this.elapsedMs();
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      // Every arrival is accounted for: wait for answers or the timeout sweep.
      if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = null;
      if (this.sweeper) clearInterval(this.sweeper);
      this.agent?.destroy();
      this.pool?.destroy();
    }
    return this.finishResult({
      arrivals: this.arrivals,
      late: this.late,
      lateFraction: this.arrivals > 0 ? this.late / this.arrivals : 0,
      lateToleranceMs: this.toleranceMs,
      maxLatenessMs: this.lateness.totalCount ? this.lateness.maxValue / 1000 : 0,
      p50LatenessMs: percentileMs(this.lateness, 50) ?? 0,
      p99LatenessMs: percentileMs(this.lateness, 99) ?? 0,
      dropped: this.dropped,
      maxInFlight: this.maxInFlight,
      inFlightPeak: this.inFlightPeak,
    });
  }
}

/** The parts of autocannon's per-connection client the closed model drives (see the class comment). */
interface AutocannonClient {
  on(event: 'response', listener: (statusCode: number) => void): unknown;
  on(event: 'timeout', listener: () => void): unknown;
  on(event: 'connError', listener: (err: NodeJS.ErrnoException) => void): unknown;
  getRequestBuffer?: () => Buffer;
}

/**
 * The closed model: autocannon's programmatic API. One request per connection at a time
 * (pipelining 1); each connection's client is handed to `setupClient`, where we listen to its
 * `response`, `timeout` and `connError` events and give it its next request.
 *
 * The request hook is the client's `getRequestBuffer()`, which autocannon calls exactly once per
 * write. That method is not in autocannon's documented API: the documented per-request hook,
 * `requests[].setupRequest`, makes autocannon rebuild every request through its generic builder,
 * which cost more CPU per request than the whole of raw autocannon and put the driver well below raw
 * autocannon's rate. Overriding the buffer getter keeps autocannon's connection handling, parser and
 * timers, and builds each request (unique ids, Idempotency-Key, traceparent) with one string
 * concatenation. If a future autocannon drops the method, `start()` fails loudly rather than send
 * requests without ids.
 */
class ClosedModelDriver extends BaseDriver {
  readonly model = 'closed' as const;
  private instance: autocannon.Instance | null = null;
  private done: Promise<unknown> | null = null;
  private readonly inFlight = new Set<Pending>();
  private abandoned = 0;

  constructor(
    options: LoadDriverOptions,
    rng: Rng,
    timeoutMs: number,
    private readonly connections: number,
  ) {
    super(options, rng, timeoutMs);
  }

  /** One request as bytes, and its entry in flight. */
  private buildNext(): { entry: Pending; buffer: Buffer } {
    const r = this.nextRequest();
    const now = this.elapsedMs();
    const entry: Pending = { seq: r.vars.seq, key: r.key, traceparent: r.traceparent, phase: r.vars.phase, startMs: now, fromMs: now, done: false };
    return { entry, buffer: this.requestBytes(r) };
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (!this.options.skipPreflight) await checkReachable(this.target.url.href, Math.min(this.timeoutMs, 3000));
    const { default: runAutocannon } = await import('autocannon');
    this.beginClock();
    this.schedule.push({ name: this.phaseName, startMs: 0, ...(this.options.phaseDurationMs ? { plannedDurationMs: this.options.phaseDurationMs } : {}) });
    const self = this;
    let missingHook = false;
    const opts = {
      url: this.target.url.origin,
      method: this.target.method,
      connections: this.connections,
      pipelining: 1,
      timeout: this.timeoutMs / 1000,
      // Stopped by stop(); the duration is only a backstop (kept below setTimeout's 2^31 ms limit).
      duration: 1_000_000,
      // autocannon notices stop() on its next sample tick; a short tick makes stop prompt.
      sampleInt: 100,
      setupClient(acClient: autocannon.Client) {
        const client = acClient as unknown as AutocannonClient;
        if (typeof client.getRequestBuffer !== 'function') {
          missingHook = true;
          return;
        }
        // pipelining 1: at most one request of this connection is in flight.
        let current: Pending | null = null;
        const settlePrevious = (): void => {
          const prev = current;
          if (!prev || prev.done) return;
          // A new write while the previous request is unanswered: autocannon reconnected, either
          // because the request timed out or because the server closed the connection.
          if (self.elapsedMs() - prev.startMs >= self.timeoutMs - 1) self.complete(prev, undefined, 'timeout');
          else self.complete(prev, undefined, 'ECONNRESET');
        };
        client.getRequestBuffer = () => {
          settlePrevious();
          const { entry, buffer } = self.buildNext();
          current = entry;
          self.inFlight.add(entry);
          self.sent++;
          if (self.options.history) self.emit({ type: 'invoke', key: entry.key, seq: entry.seq, traceparent: entry.traceparent, phase: entry.phase, tMs: entry.startMs });
          return buffer;
        };
        client.on('response', (status: number) => {
          if (current && !current.done) self.complete(current, status);
        });
        client.on('timeout', () => {
          if (current && !current.done && self.elapsedMs() - current.startMs >= self.timeoutMs - 1) self.complete(current, undefined, 'timeout');
        });
        client.on('connError', (err: NodeJS.ErrnoException) => {
          if (current && !current.done) self.complete(current, undefined, err.code ?? err.message);
        });
      },
    } as unknown as autocannon.Options;
    let syncError: unknown = null;
    let returned = false;
    this.done = new Promise((resolve) => {
      this.instance = runAutocannon(opts, (err: unknown) => {
        // autocannon reports invalid options through the callback, synchronously.
        if (err && !returned) syncError = err;
        resolve(err);
      });
    });
    returned = true;
    if (syncError || missingHook) {
      this.stopped = true;
      this.instance?.stop();
      const why = missingHook
        ? 'this autocannon version has no per-connection getRequestBuffer() to give each request its ids'
        : `${(syncError as Error).message ?? String(syncError)}`;
      throw new AgentcheckError(missingHook ? 'internal' : 'usage', `the closed model could not start: ${why}`);
    }
  }

  protected onPhase(name: string, atMs: number, opts: PhaseOptions): void {
    // A closed model has no rate to change; its load is its connection count.
    this.schedule.push({ name, startMs: atMs, ...(opts.durationMs ? { plannedDurationMs: opts.durationMs } : {}) });
  }

  private complete(entry: Pending, status: number | undefined, error?: string): void {
    if (entry.done) return;
    entry.done = true;
    this.inFlight.delete(entry);
    const now = this.elapsedMs();
    const timedOut = error === 'timeout';
    const latency = timedOut ? this.timeoutMs : now - entry.startMs;
    // Requests sent after stop() (autocannon stops on its next tick) are in the history, not the record.
    if (!this.stopped || entry.startMs <= this.stopMs) {
      const outcome: Outcome = timedOut ? 'timeout' : status !== undefined && !this.isError(status) ? 'ok' : 'error';
      this.recorder.record(entry.startMs, latency, outcome);
    }
    if (this.options.history) {
      this.emit({
        type: historyType(status, error),
        key: entry.key,
        seq: entry.seq,
        traceparent: entry.traceparent,
        phase: entry.phase,
        tMs: now,
        latencyMs: latency,
        ...(status !== undefined ? { status } : {}),
        ...(error !== undefined ? { error } : {}),
      });
    }
    if ((entry.seq & 1023) === 0) this.recorder.advance(now);
  }

  async stop(): Promise<LoadResult> {
    if (!this.started) throw new Error('stop() called before start()');
    if (!this.stopped) {
      this.stopped = true;
      this.stopMs = this.elapsedMs();
      this.instance?.stop();
      await this.done;
      // The connections are closed with up to N requests in flight: their outcome is unknown.
      for (const entry of this.inFlight) {
        entry.done = true;
        this.abandoned++;
        this.emit({ type: 'info', key: entry.key, seq: entry.seq, traceparent: entry.traceparent, phase: entry.phase, tMs: this.elapsedMs(), error: 'abandoned at stop' });
      }
      this.inFlight.clear();
    }
    return this.finishResult({ arrivals: this.sent, abandoned: this.abandoned, maxInFlight: this.connections, inFlightPeak: this.connections });
  }
}

/** A phase of {@link runLoad}. */
export interface LoadPhase {
  name: string;
  durationMs: number;
  /** Open model: arrivals per second in this phase (default: the driver's rate). */
  rate?: number;
}

/**
 * Runs a whole load test: starts the driver, walks through `phases` (marking each), stops at the end
 * or when `signal` aborts, and returns the result.
 */
export async function runLoad(options: Omit<LoadDriverOptions, 'phase' | 'phaseDurationMs'> & { phases: LoadPhase[]; signal?: AbortSignal }): Promise<LoadResult> {
  const [first, ...rest] = options.phases;
  if (!first) throw new AgentcheckError('usage', 'a load run needs at least one phase');
  for (const p of options.phases) {
    if (!(p.durationMs > 0)) throw new AgentcheckError('usage', `phase '${p.name}' needs a positive duration`);
  }
  const driver = createLoadDriver({ ...options, phase: first.name, phaseDurationMs: first.durationMs, ...(first.rate !== undefined ? { rate: first.rate } : {}) });
  await driver.start();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (options.signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  // Phase boundaries are kept against the clock, not summed sleeps, so they do not drift.
  let boundary = first.durationMs;
  await sleep(boundary - driver.elapsedMs());
  for (const p of rest) {
    if (options.signal?.aborted) break;
    driver.markPhase(p.name, { durationMs: p.durationMs, ...(p.rate !== undefined ? { rate: p.rate } : {}) });
    boundary += p.durationMs;
    await sleep(boundary - driver.elapsedMs());
  }
  return driver.stop();
}
