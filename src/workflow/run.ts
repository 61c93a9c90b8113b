/**
 * The step runner: one arrival's workflow, its steps in order on the keep-alive transports. Each
 * step renders its request (the workflow's variables plus what earlier steps extracted), sends it,
 * and judges the answer with the protocol classifiers; a poll step (`until`) resends itself until
 * the value at its path is one of the wanted ones; an A2A task in a non-terminal state is followed
 * by polling `tasks/get`/`GetTask` with backoff, or read to `final: true` when it streams. An
 * event step publishes to a NATS broker (the PubAck or flush decides) or waits for the event that
 * matches the workflow (nats.ts), under the same deadlines as a request.
 *
 * Timeouts are the host's: it aborts a request `timeoutMs` after it was sent (the entry request:
 * after the intended start) and the whole workflow `workflowTimeoutMs` after its intended start
 * ({@link WorkflowRun.expire}), so a workflow always ends, and a timeout is recorded at its value.
 */
import { endsStream, pollRequest, viewOf } from './a2a.js';
import { classifyResponse } from './classify.js';
import type { CompiledStep, CompiledWorkflow } from './compile.js';
import { jsonRpcError } from './jsonrpc.js';
import { pathValueText, readPath } from './path.js';
import type { PublishResult, ReceivedEvent } from './nats.js';
import type { ClassifiedResponse, FollowOptions, HistoryType, Verdict } from './protocol.js';
import { SseReader } from './sse.js';
import type { OutgoingRequest, Reply, Transports } from './transport.js';

/** Connection errors that mean the request never reached the target. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Most stream events kept per response (the last one is always kept). */
const MAX_EVENTS = 1000;

/** How a workflow ended. */
export interface WorkflowEnd {
  ok: boolean;
  /** Outcome class: `completed` when ok. */
  class: string;
  /** A JSON-RPC or tool error message, when the answer carried one. */
  message?: string;
  /** The JSON-RPC method of the request whose answer decided the outcome. */
  method?: string;
  /** For the exactly-once checker. */
  history: HistoryType;
  /** From the start (intended start in the open model) to the terminal outcome. */
  latencyMs: number;
  /** The outcome is a timeout (a request's or the workflow's), recorded at the timeout's value. */
  timeout: boolean;
  /** The HTTP status of the last answer, when there was one. */
  status?: number;
  /** The connection error code, when the last request got no answer. */
  error?: string;
}

/** Where the runner reports what it saw (the driver's recorders and history). */
export interface WorkflowSink {
  /** The entry request (first request of the workflow) ended: HTTP-level outcome. */
  entry(run: WorkflowRun, status: number | undefined, error: string | undefined, latencyMs: number, timeout: boolean): void;
  /** One step ended. */
  step(run: WorkflowRun, step: CompiledStep, ok: boolean, latencyMs: number, timeout: boolean): void;
  /** The workflow ended (exactly once). */
  finish(run: WorkflowRun, end: WorkflowEnd): void;
}

/** What the runner needs from its host. */
export interface WorkflowHost {
  /** Milliseconds since the run's start. */
  now(): number;
  transports: Transports;
  follow: FollowOptions;
  /** Per request. */
  timeoutMs: number;
  /** Per workflow, from its start. */
  workflowTimeoutMs: number;
  sink: WorkflowSink;
}

/** One arrival's workflow while it runs. */
export class WorkflowRun {
  readonly extracted: Record<string, string> = {};
  /** Requests sent so far (steps, resends and follow-up polls). */
  requests = 0;
  /** Steps started so far. */
  steps = 0;
  done = false;
  /** When the request in flight is overdue (the host aborts it then). */
  requestDeadlineMs = Infinity;
  /** The whole workflow is overdue. */
  readonly deadlineMs: number;
  private expired = false;
  private cancel: ((why: string) => void) | null = null;
  private wake: (() => void) | null = null;

  constructor(
    readonly workflow: CompiledWorkflow,
    readonly index: number,
    readonly seq: number,
    readonly uuid: string,
    readonly traceparent: string,
    readonly phase: string,
    /** Intended start (open model) or start (closed model): its events are filed under it. */
    readonly startMs: number,
    /** Where latency is measured from: the intended start, or the send when that was earlier. */
    readonly fromMs: number,
    workflowTimeoutMs: number,
  ) {
    this.deadlineMs = startMs + workflowTimeoutMs;
  }

  /** Aborts the request in flight as a timeout (the host's per-request deadline passed). */
  expireRequest(): void {
    this.requestDeadlineMs = Infinity;
    this.cancel?.('timeout');
  }

  /** Ends the workflow as a timeout (its deadline passed). */
  expire(): void {
    this.expired = true;
    this.cancel?.('workflow-timeout');
    this.wake?.();
  }

  /** The workflow's deadline passed. */
  get isExpired(): boolean {
    return this.expired;
  }

  /** Sends one request; resolves with its reply (an abort resolves with an error reply). */
  send(host: WorkflowHost, url: URL, req: OutgoingRequest, deadlineMs: number): Promise<Reply & { timedOut?: boolean }> {
    this.requests++;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: Reply & { timedOut?: boolean }): void => {
        if (settled) return;
        settled = true;
        this.cancel = null;
        this.requestDeadlineMs = Infinity;
        resolve(r);
      };
      const handle = host.transports.get(url).send(req, settle);
      if (settled) return;
      this.requestDeadlineMs = deadlineMs;
      this.cancel = (why) => {
        handle.abort();
        settle({ error: Object.assign(new Error(why), { code: why }), sent: true, timedOut: true });
      };
    });
  }

  /**
   * Waits for something that is not an HTTP reply (a PubAck, an event): `start` begins it and
   * returns how to stop it. Resolves with its value, or with `'timeout'` when `deadlineMs` passes
   * (the host's per-request sweep) or the workflow expires.
   */
  waitFor<T>(deadlineMs: number, start: (settle: (value: T) => void) => () => void): Promise<T | 'timeout'> {
    return new Promise((resolve) => {
      let settled = false;
      let stop: (() => void) | null = null;
      const settle = (v: T | 'timeout'): void => {
        if (settled) return;
        settled = true;
        this.cancel = null;
        this.requestDeadlineMs = Infinity;
        stop?.();
        resolve(v);
      };
      stop = start(settle);
      if (settled) {
        stop();
        return;
      }
      this.requestDeadlineMs = deadlineMs;
      this.cancel = () => settle('timeout');
    });
  }

  /** Waits `ms`, or less when the workflow expires. */
  sleep(ms: number): Promise<void> {
    if (this.expired) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The span id of step request `n` (> 0) of a workflow: the trace id is kept, the parent id varies. */
function traceparentFor(base: string, n: number): string {
  if (n === 0) return base;
  const span = base.slice(36, 52);
  const mixed = (parseInt(span.slice(8), 16) ^ Math.imul(n, 0x9e3779b1)) >>> 0;
  return `${base.slice(0, 44)}${mixed.toString(16).padStart(8, '0')}${base.slice(52)}`;
}

/** Renders a step's request with the run's variables. */
function render(run: WorkflowRun, step: CompiledStep): { path: string; headers: Record<string, string>; body?: string } {
  const vars = { uuid: run.uuid, seq: run.seq, phase: run.phase, workflow: run.workflow.name, extracted: run.extracted };
  const headers: Record<string, string> = {};
  for (const [k, t] of step.headers) headers[k] = t.render(vars);
  if (step.key) headers['Idempotency-Key'] = step.key.render(vars);
  headers['traceparent'] = traceparentFor(run.traceparent, run.requests);
  const body = step.body?.render(vars);
  return { path: step.path.render(vars), headers, ...(body !== undefined ? { body } : {}) };
}

/** An event-stream collector for one response. */
function streamCollector(): { events: unknown[]; onStream: (chunk: Buffer) => boolean; end: (rest: Buffer) => void } {
  const reader = new SseReader();
  const events: unknown[] = [];
  const take = (datas: string[]): boolean => {
    for (const d of datas) {
      let json: unknown;
      try {
        json = JSON.parse(d);
      } catch {
        continue;
      }
      if (events.length >= MAX_EVENTS) events[MAX_EVENTS - 1] = json;
      else events.push(json);
      if (endsStream(json) || jsonRpcError(json)) return true;
    }
    return false;
  };
  return {
    events,
    onStream: (chunk) => take(reader.feed(chunk)),
    end: (rest) => {
      if (rest.length > 0) take(reader.feed(rest));
      take(reader.end());
    },
  };
}

/** The response as the classifiers see it. */
function classified(reply: Reply, stream: ReturnType<typeof streamCollector> | null): ClassifiedResponse {
  const body = reply.body;
  const res: ClassifiedResponse = { status: reply.status ?? 0, contentType: body?.contentType ?? '', json: undefined };
  if (!body) return res;
  if (body.contentType === 'text/event-stream') {
    if (stream) {
      stream.end(body.bytes);
      res.events = stream.events;
    } else {
      const s = streamCollector();
      s.end(body.bytes);
      res.events = s.events;
    }
    return res;
  }
  if (body.truncated || body.bytes.length === 0) return res;
  const first = body.bytes[0]!;
  // JSON by media type, or by its first byte when the server did not say.
  if (body.contentType.includes('json') || first === 0x7b || first === 0x5b) {
    try {
      res.json = JSON.parse(body.bytes.toString('utf8'));
    } catch {
      // Not JSON after all: judged by its status.
    }
  }
  return res;
}

type StepResult =
  | { ok: true; res: ClassifiedResponse }
  | { ok: false; end: Omit<WorkflowEnd, 'latencyMs' | 'history'> & { history: HistoryType; latencyMs?: number } };

function transportFailure(reply: Reply & { timedOut?: boolean }, deadlineLatency: number): StepResult {
  const code = reply.error?.code ?? reply.error?.message ?? 'error';
  if (reply.timedOut || code === 'timeout' || code === 'workflow-timeout') {
    return { ok: false, end: { ok: false, class: 'timeout', history: 'info', timeout: true, error: 'timeout', latencyMs: deadlineLatency } };
  }
  const notSent = !reply.sent || NOT_SENT.has(code);
  return { ok: false, end: { ok: false, class: `connection:${code}`, history: notSent ? 'fail' : 'info', timeout: false, error: code } };
}

function verdictFailure(v: Extract<Verdict, { kind: 'error' }>, status: number | undefined, method: string | undefined): StepResult {
  return {
    ok: false,
    end: {
      ok: false,
      class: v.class,
      ...(v.message !== undefined ? { message: v.message } : {}),
      ...(method !== undefined ? { method } : {}),
      history: v.history,
      timeout: false,
      ...(status !== undefined ? { status } : {}),
    },
  };
}

/** Sends one request of a step and waits for the reply; reports the entry hop. */
async function exchange(
  host: WorkflowHost,
  run: WorkflowRun,
  url: URL,
  req: OutgoingRequest,
  entry: boolean,
): Promise<{ reply: Reply & { timedOut?: boolean }; stream: ReturnType<typeof streamCollector> | null; deadlineMs: number }> {
  const stream = req.readBody ? streamCollector() : null;
  if (stream) req.onStream = stream.onStream;
  const deadlineMs = (entry ? run.startMs : host.now()) + host.timeoutMs;
  const reply = await run.send(host, url, req, Math.min(deadlineMs, run.deadlineMs));
  if (entry) {
    const timeout = reply.timedOut === true && !run.isExpired;
    const latency = timeout ? host.timeoutMs : host.now() - run.fromMs;
    host.sink.entry(run, reply.status, reply.error ? (timeout ? 'timeout' : (reply.error.code ?? reply.error.message)) : undefined, latency, timeout || run.isExpired);
  }
  return { reply, stream, deadlineMs };
}

/** Follows an A2A task by polling until it is in a terminal state (or the workflow expires). */
async function followTask(host: WorkflowHost, run: WorkflowRun, step: CompiledStep, basePath: string, baseHeaders: Record<string, string>, v: Extract<Verdict, { kind: 'follow' }>): Promise<StepResult> {
  const a2a = host.follow.a2a;
  if (!a2a) return { ok: true, res: { status: 200, contentType: '', json: undefined } };
  let wait = a2a.pollIntervalMs;
  const headers: Record<string, string> = {};
  // A poll is a read: it carries no Idempotency-Key (reusing the send's key with another body is
  // what an idempotency layer rejects).
  for (const k in baseHeaders) if (k.toLowerCase() !== 'idempotency-key') headers[k] = baseHeaders[k]!;
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  const method = v.version === '1.0' ? 'GetTask' : 'tasks/get';
  for (let n = 1; ; n++) {
    await run.sleep(wait);
    if (run.isExpired) return transportFailure({ sent: true, timedOut: true }, 0);
    wait = Math.min(a2a.maxIntervalMs, wait * 2);
    headers['traceparent'] = traceparentFor(run.traceparent, run.requests);
    const req: OutgoingRequest = { method: 'POST', path: basePath, headers, body: pollRequest(v.taskId, v.version, `${run.seq}-poll-${n}`), readBody: true };
    const { reply, stream, deadlineMs } = await exchange(host, run, step.url, req, false);
    if (reply.status === undefined) return transportFailure(reply, deadlineMs - run.startMs);
    const res = classified(reply, stream);
    const verdict = classifyResponse(res, { rpcMethod: method }, host.follow);
    if (verdict.kind === 'error') return verdictFailure(verdict, reply.status, method);
    if (verdict.kind === 'ok') {
      // A poll answer that is not a task at all (e.g. an empty result) cannot end the task.
      if (viewOf(res.json) === null && !res.events) return verdictFailure({ kind: 'error', class: 'a2a:not-a-task', history: 'info' }, reply.status, method);
      return { ok: true, res };
    }
  }
}

/** Extracts the step's names from `json`; a failure names the first one that found nothing. */
function extractFrom(run: WorkflowRun, step: CompiledStep, json: unknown, status: number | undefined): StepResult | null {
  for (const e of step.extract) {
    const value = pathValueText(readPath(json, e.path));
    if (value === undefined) {
      return { ok: false, end: { ok: false, class: `extract:${e.name}`, message: `nothing at ${e.path.text}`, history: 'info', timeout: false, ...(status !== undefined ? { status } : {}), ...(step.rpcMethod ? { method: step.rpcMethod } : {}) } };
    }
    run.extracted[e.name] = value;
  }
  return null;
}

/**
 * The outcome of a wait that ran out at `deadlineMs`: a timeout recorded at its value, from where
 * the workflow's latency is measured (an arrival sent early: its send), so it is never under the wait.
 */
function waitTimeout(run: WorkflowRun, deadlineMs: number, error: string): StepResult {
  return { ok: false, end: { ok: false, class: 'timeout', history: 'info', timeout: true, error, latencyMs: deadlineMs - run.fromMs } };
}

/** A publish step: one message to the broker, judged by its PubAck (JetStream) or flush (core). */
async function runPublish(host: WorkflowHost, run: WorkflowRun, step: CompiledStep, k: number): Promise<StepResult> {
  const bus = host.transports.nats;
  if (!bus) return { ok: false, end: { ok: false, class: 'nats:not-connected', message: 'event steps need the driver to connect to the broker first', history: 'fail', timeout: false } };
  const r = render(run, step);
  run.requests++;
  const deadlineMs = Math.min((k === 0 ? run.startMs : host.now()) + host.timeoutMs, run.deadlineMs);
  const result = await run.waitFor<PublishResult>(deadlineMs, (settle) => {
    void bus.publish(step.origin, r.path, r.headers, r.body, deadlineMs - host.now()).then(settle);
    return () => undefined;
  });
  if (result === 'timeout') return waitTimeout(run, deadlineMs, 'no PubAck');
  if (!result.ok) {
    if (result.timeout) return waitTimeout(run, deadlineMs, 'no PubAck');
    return { ok: false, end: { ok: false, class: result.class, ...(result.message !== undefined ? { message: result.message } : {}), history: result.history, timeout: false } };
  }
  return extractFrom(run, step, result.ack, undefined) ?? { ok: true, res: { status: 0, contentType: 'application/json', json: result.ack } };
}

/** An await step: ends when the broker delivers the event that matches this workflow. */
async function runAwait(host: WorkflowHost, run: WorkflowRun, step: CompiledStep): Promise<StepResult> {
  const bus = host.transports.nats;
  const a = step.awaitEvent!;
  if (!bus) return { ok: false, end: { ok: false, class: 'nats:not-connected', message: 'event steps need the driver to connect to the broker first', history: 'info', timeout: false } };
  const value = a.equals.render({ uuid: run.uuid, seq: run.seq, phase: run.phase, workflow: run.workflow.name, extracted: run.extracted });
  const deadlineMs = Math.min(step.timeoutMs !== undefined ? host.now() + step.timeoutMs : Infinity, run.deadlineMs);
  const event = await run.waitFor<ReceivedEvent>(deadlineMs, (settle) => bus.wait(step.origin, a.subject, a.path, value, settle));
  if (event === 'timeout') return waitTimeout(run, deadlineMs, `no ${a.subject} event with ${a.path.text} = ${value}`);
  return extractFrom(run, step, event.json, undefined) ?? { ok: true, res: { status: 0, contentType: 'application/json', json: event.json } };
}

/** Runs one step to its end: its request, resends for `until`, A2A following, extraction. */
async function runStep(host: WorkflowHost, run: WorkflowRun, step: CompiledStep, k: number): Promise<StepResult> {
  if (step.kind === 'publish') return runPublish(host, run, step, k);
  if (step.kind === 'await') return runAwait(host, run, step);
  const stepStart = k === 0 ? run.startMs : host.now();
  const stepDeadline = step.timeoutMs !== undefined ? stepStart + step.timeoutMs : Infinity;
  let first: ClassifiedResponse | null = null;
  for (;;) {
    const r = render(run, step);
    const req: OutgoingRequest = { method: step.method, path: r.path, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}), readBody: step.readBody };
    const { reply, stream, deadlineMs } = await exchange(host, run, step.url, req, k === 0 && run.requests === 0);
    if (reply.status === undefined) return transportFailure(reply, deadlineMs - run.startMs);
    const res = step.readBody ? classified(reply, stream) : { status: reply.status, contentType: '', json: undefined };
    const verdict = classifyResponse(res, step.rpcMethod !== undefined ? { rpcMethod: step.rpcMethod } : {}, host.follow);
    if (verdict.kind === 'error') return verdictFailure(verdict, reply.status, step.rpcMethod);
    if (step.until) {
      const value = pathValueText(readPath(res.json ?? lastEventOf(res), step.until.path));
      if (value === undefined || !step.until.in.has(value)) {
        if (run.isExpired || host.now() + step.intervalMs > stepDeadline) {
          return { ok: false, end: { ok: false, class: 'timeout', history: 'info', timeout: true, error: 'until not met' } };
        }
        await run.sleep(step.intervalMs);
        if (run.isExpired) return transportFailure({ sent: true, timedOut: true }, 0);
        continue;
      }
    }
    first = res;
    // Extraction reads the step's own answer (for a poll step: the one that met `until`).
    const failed = extractFrom(run, step, res.json ?? lastEventOf(res), reply.status);
    if (failed) return failed;
    if (verdict.kind === 'follow' && step.followTasks) {
      const followed = await followTask(host, run, step, r.path, r.headers, verdict);
      if (!followed.ok) return followed;
    }
    return { ok: true, res: first };
  }
}

function lastEventOf(res: ClassifiedResponse): unknown {
  return res.events && res.events.length > 0 ? res.events[res.events.length - 1] : undefined;
}

/** Runs a whole workflow; reports every step and exactly one end to the host's sink. */
export async function runWorkflow(host: WorkflowHost, run: WorkflowRun): Promise<void> {
  const steps = run.workflow.steps;
  let end: WorkflowEnd | null = null;
  let lastStatus: number | undefined;
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k]!;
    const stepStart = k === 0 ? run.fromMs : host.now();
    run.steps++;
    const result = await runStep(host, run, step, k);
    if (run.done) return;
    if (run.isExpired) {
      host.sink.step(run, step, false, host.now() - stepStart, true);
      end = { ok: false, class: 'timeout', history: 'info', latencyMs: host.workflowTimeoutMs, timeout: true, error: 'workflow timeout' };
      break;
    }
    if (!result.ok) {
      const e = result.end;
      const latencyMs = e.latencyMs !== undefined && e.timeout ? e.latencyMs : host.now() - run.fromMs;
      host.sink.step(run, step, false, e.timeout && e.latencyMs !== undefined ? Math.max(0, run.startMs + e.latencyMs - stepStart) : host.now() - stepStart, e.timeout);
      // After an earlier step succeeded, some of the workflow's effects happened: unknown overall.
      const history: HistoryType = k === 0 ? e.history : 'info';
      end = { ...e, latencyMs, history };
      break;
    }
    if (step.kind === 'http') lastStatus = result.res.status;
    host.sink.step(run, step, true, host.now() - stepStart, false);
  }
  end ??= { ok: true, class: 'completed', history: 'ok', latencyMs: host.now() - run.fromMs, timeout: false, ...(lastStatus !== undefined ? { status: lastStatus } : {}) };
  if (run.done) return;
  run.done = true;
  host.sink.finish(run, end);
}
