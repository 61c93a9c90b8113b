/**
 * The load driver: it drives WORKFLOWS. An OPEN model (a fixed arrival rate) by default, a CLOSED
 * model (N connections, each starting its next workflow when the previous ended) when asked.
 *
 * Each arrival i picks a workflow from the seeded weighted mix (`workflow/mix.ts`) and gets a
 * uuid and a traceparent, always with the same draws, so arrival i gets the same workflow and ids
 * on every run with the same seed. Its steps run in order on keep-alive pools
 * (`workflow/run.ts`): extraction, poll steps, and protocol-aware outcomes (HTTP status, JSON-RPC
 * `error`, MCP `isError`, A2A tasks followed to a terminal state). A plain request is a workflow of
 * one step whose answer needs no reading: its body is skipped, as before workflows existed.
 *
 * Series: `workflow` (one event per workflow, from its intended start to its terminal outcome),
 * `http` (the entry hop: the first request of each workflow, HTTP-level outcome), and scoped
 * series per workflow, per step and per entry JSON-RPC method (see {@link LoadResult.seriesByName}).
 *
 * How each model is built, and why:
 * - OPEN model: a small scheduler of our own with a minimal keep-alive HTTP/1.1 client on `net`
 *   sockets (`http1.ts`; `node:https` for https targets), NOT autocannon.
 *   autocannon's `overallRate` is a per-connection token bucket refilled once a second: requests go
 *   out in bursts at the start of each second and a connection waiting on a stalled response sends
 *   nothing, so there is no intended start time to measure from. Instead each arrival i of a phase
 *   has an intended start phaseStart + i / rate; it is sent at that time on any free socket (new
 *   sockets are opened while the target is slow, up to `maxSockets`; beyond that requests wait in
 *   the pool's queue, and that wait is part of their latency), and its latency is measured from the
 *   intended start (wrk2's rule), so queueing behind a stalled target cannot be hidden.
 * - CLOSED model, plain request: autocannon's programmatic API (see {@link ClosedModelDriver}).
 *   Latency is measured from the moment the request is written, which is the closed model's blind
 *   spot: while the target stalls, no new requests are sent (coordinated omission).
 * - CLOSED model, workflows (several steps, a mix, or answers to read): N loops of our own on the
 *   same keep-alive pools as the open model.
 *
 * Every model: a request not answered `timeoutMs` after its (intended) start is aborted; a workflow
 * not terminal `workflowTimeoutMs` after its (intended) start is ended; both are recorded as
 * timeouts AT the timeout value — bad events that never vanish. Phases are marked while running
 * (`markPhase`), and the open model's rate can change per phase. A history hook receives one
 * `invoke` and then exactly one of `ok` / `fail` / `info` per workflow (for the exactly-once
 * checker). The run is invalid when the generator could not keep its schedule or saturated its CPU
 * (see `health.ts`).
 */
// Types only: autocannon is loaded when a closed-model run starts, so the open model and every
// other command do not pay for it at start-up.
import type autocannon from 'autocannon';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createRng, type Rng } from '../chaos/rng.js';
import { AgentcheckError } from '../errors.js';
import { createLatencyHistogram, percentileMs, recordMs } from './histogram.js';
import { judgeGenerator, ResourceMonitor, type GeneratorStats, type HealthLimits, type Validity } from './health.js';
import { LatencyRecorder, toPhaseReports, type Outcome, type RecordedSeries } from './recorder.js';
import type { PhaseReport, TimePoint, WorkflowOutcomeCount } from '../report/model.js';
import { randomTraceparent, randomUuid } from './template.js';
import { compileWorkflow, type CompiledStep, type CompiledWorkflow, type WorkflowSpec } from '../workflow/compile.js';
import { WeightedMix } from '../workflow/mix.js';
import { DEFAULT_FOLLOW, type FollowOptions } from '../workflow/protocol.js';
import { runWorkflow, WorkflowRun, type WorkflowHost, type WorkflowSink } from '../workflow/run.js';
import { http1HeadText, http1RequestBytes, Transports } from '../workflow/transport.js';
import { MAX_TIMER_MS, sleepLong } from '../long-timer.js';

export type { WorkflowSpec, StepSpec } from '../workflow/compile.js';
export type { FollowOptions, A2aFollowOptions } from '../workflow/protocol.js';

/** What to send. The path/query, header values and body may use `${uuid}`, `${seq}`, `${phase}`, `${workflow}`. */
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

/** The name of the one workflow a plain `target` makes. */
export const DEFAULT_WORKFLOW = 'default';

/**
 * One entry of the history (the exactly-once checker's input): one `invoke` when a workflow
 * starts, then exactly one completion when it ends, whatever its number of requests.
 */
export interface HistoryEvent {
  /**
   * `invoke` when started; then `ok` (it happened: every step ended ok, the A2A task `completed`),
   * `fail` (it definitely did not happen: the first request got a 4xx, a JSON-RPC "not understood"
   * error, a `rejected` task, or never reached the target) or `info` (unknown: 5xx, timeouts, cut
   * connections, `failed`/`canceled` tasks, MCP `isError`, any failure after an earlier step succeeded).
   */
  type: 'invoke' | 'ok' | 'fail' | 'info';
  /** The Idempotency-Key of the first step (the workflow's uuid when no key is sent). */
  key: string;
  /** Arrival index (0, 1, 2, …): the same arrival gets the same workflow, uuid and traceparent for a seed. */
  seq: number;
  /** The traceparent of the workflow's first request (every request of it shares the trace id). */
  traceparent: string;
  phase: string;
  /** Milliseconds since the run's start: intended start for `invoke`, completion otherwise. */
  tMs: number;
  /** The workflow's name. */
  workflow: string;
  /** The workflow's id: its `${uuid}`. */
  workflowId: string;
  /** On completion: the outcome class (`completed`, `failed`, `jsonrpc:-32603`, `timeout`, …). */
  outcome?: string;
  /** On completion: values the steps extracted. */
  extracted?: Record<string, string>;
  /** On completion: steps started. */
  steps?: number;
  /** On completion: requests sent (steps, poll resends, A2A follow-up polls). */
  requests?: number;
  /** From the intended start (open model) or the start (closed model) to the terminal outcome; on completion. */
  latencyMs?: number;
  /** The HTTP status of the last answer. */
  status?: number;
  /** The connection error, `timeout`, or a JSON-RPC / tool error message. */
  error?: string;
}

/** Options of {@link createLoadDriver}. */
export interface LoadDriverOptions {
  /** A single request: a workflow of one step named `default` (ignored when `workflows` is given). */
  target?: RequestTemplate;
  /** Workflows in a weighted mix: each arrival runs one (picked by seeded draw) step by step. */
  workflows?: WorkflowSpec[];
  /** `open` (default): a fixed arrival rate; `closed`: `connections` workflow loops. */
  model?: 'open' | 'closed';
  /** Open model: workflow arrivals per second of the first phase (default 10). */
  rate?: number;
  /** Closed model: concurrent connections (default 10). */
  connections?: number;
  /** Per-request timeout (default 5000 ms); timeouts are recorded at this value. */
  timeoutMs?: number;
  /** Per-workflow timeout from its (intended) start to its terminal outcome (default 30,000 ms). */
  workflowTimeoutMs?: number;
  /** Protocol following (default {@link DEFAULT_FOLLOW}: A2A tasks polled from 100 ms to 1 s). */
  follow?: FollowOptions;
  /** Name of the first phase (default `load`). */
  phase?: string;
  /** Planned duration of the first phase; its windows are 1/12 of it (default: 5 s windows). */
  phaseDurationMs?: number;
  /** Seed or RNG for ids and the mix (default: a random seed, reported). */
  seed?: string | number;
  rng?: Rng;
  /** Receives every workflow's history events. */
  history?: (event: HistoryEvent) => void;
  /** Which statuses are errors for the `http` series (default: status ≥ 400). */
  isError?: (status: number) => boolean;
  /** Open model: most workflows outstanding before arrivals are dropped (default 10,000). */
  maxInFlight?: number;
  /** Open model: most sockets per origin (default 1,024). */
  maxSockets?: number;
  /** Generator health limits (late arrivals, CPU). */
  limits?: HealthLimits;
  /** Timeline bucket for charts (default 1000 ms). */
  timelineBucketMs?: number;
  /** Skip the reachability check at start (default false). */
  skipPreflight?: boolean;
  /**
   * Open model, several generators (generators.ts): this driver sends only arrival k with
   * k mod count = index of the one seeded schedule. Every arrival's draws are still made, so
   * arrival k has the same workflow, uuid and traceparent as with one generator.
   */
  segment?: { index: number; count: number };
}

/** Options of {@link LoadDriver.markPhase}. */
export interface PhaseOptions {
  /** Open model: the new arrival rate from now on (default: unchanged). */
  rate?: number;
  /** Planned duration; the phase's windows are 1/12 of it. */
  durationMs?: number;
  /** The mark's time on the driver's clock (default: now); several generators get the coordinator's, so their phases line up. */
  atMs?: number;
}

/**
 * Workflows that ended one way in one phase: `{ phase, workflow, class, method?, count, message? }`
 * (the report's shape, so the runner copies `LoadResult.outcomes` as is).
 */
export type OutcomeCount = WorkflowOutcomeCount;

/** Everything a load run produced. */
export interface LoadResult {
  model: 'open' | 'closed';
  seed: string;
  /** ISO time of the start. */
  startedAt: string;
  /** From start to stop (the drain of in-flight workflows after stop is not included). */
  durationMs: number;
  /** The `http` series: the entry hop (first request of each workflow), HTTP-level outcome. */
  series: RecordedSeries;
  /** The `workflow` series: one event per workflow, from its (intended) start to its terminal outcome. */
  workflow: RecordedSeries;
  /**
   * Every series by name, for budgets: `http`, `workflow`, and the scoped ones
   * `workflow{workflow=<name>}`, `workflow{step=<name>}`, `http{workflow=<name>}`, `http{method=<rpc method>}`.
   */
  seriesByName: Record<string, RecordedSeries>;
  /** Phases of the `workflow` series (what the report's phase table shows). */
  phases: PhaseReport[];
  /** Timeline of the `workflow` series. */
  timeline: TimePoint[];
  /** Workflow outcomes by phase, workflow, class (and JSON-RPC method). */
  outcomes: OutcomeCount[];
  /** Phase marks as driven: name, start and the rate in force (open model). */
  schedule: Array<{ name: string; startMs: number; rate?: number; plannedDurationMs?: number }>;
  generator: GeneratorStats;
  validity: Validity;
}

/** A running load generator. */
export interface LoadDriver {
  readonly model: 'open' | 'closed';
  readonly seed: string;
  /** Checks the targets are reachable (exit 3 if not) and starts sending. */
  start(): Promise<void>;
  /** Starts a new phase now (and, open model, optionally a new rate). */
  markPhase(name: string, options?: PhaseOptions): void;
  /** Milliseconds since start. */
  elapsedMs(): number;
  /** Stops starting workflows, waits for those in flight (≤ the workflow timeout) and returns the result. */
  stop(): Promise<LoadResult>;
}

/**
 * Open model: an arrival may be sent up to this much before its intended start. Timers fire up to
 * ~1 ms late; letting them fire early instead and measuring an early request from its actual send
 * removes that systematic send delay without ever under-reporting a latency.
 */
const EARLY_MS = 1;

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

/** The workflows of the options: `workflows`, or the `target` as one workflow of one step. */
function workflowsOf(options: LoadDriverOptions): CompiledWorkflow[] {
  if (options.workflows && options.workflows.length > 0) {
    const names = new Set<string>();
    return options.workflows.map((w) => {
      if (names.has(w.name)) throw new AgentcheckError('usage', `duplicate workflow name '${w.name}'`);
      names.add(w.name);
      return compileWorkflow(w);
    });
  }
  const t = options.target;
  if (!t) throw new AgentcheckError('usage', 'a load run needs a target or workflows');
  return [compileWorkflow({ name: DEFAULT_WORKFLOW, steps: [{ name: DEFAULT_WORKFLOW, ...t }] })];
}

/** Creates a load driver (not started). Throws a usage error for a bad target or option. */
export function createLoadDriver(options: LoadDriverOptions): LoadDriver {
  const model = options.model ?? 'open';
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(timeoutMs > 0)) throw new AgentcheckError('usage', `timeout must be positive, got ${timeoutMs}`);
  const workflowTimeoutMs = options.workflowTimeoutMs ?? 30_000;
  if (!(workflowTimeoutMs > 0)) throw new AgentcheckError('usage', `workflow timeout must be positive, got ${workflowTimeoutMs}`);
  const rate = options.rate ?? 10;
  if (model === 'open' && !(rate >= 0 && Number.isFinite(rate))) throw new AgentcheckError('usage', `rate must be a non-negative number, got ${rate}`);
  const connections = options.connections ?? 10;
  if (model === 'closed' && !(Number.isInteger(connections) && connections >= 1)) {
    throw new AgentcheckError('usage', `connections must be a positive integer, got ${connections}`);
  }
  const workflows = workflowsOf(options);
  const rng = options.rng ?? createRng(options.seed);
  if (model === 'open') return new OpenModelDriver(options, rng, workflows, timeoutMs, workflowTimeoutMs, rate);
  // A plain request (one workflow of one step whose answer needs no reading) keeps autocannon.
  const plain = workflows.length === 1 && workflows[0]!.steps.length === 1 && !workflows[0]!.steps[0]!.readBody && workflowTimeoutMs >= timeoutMs;
  if (plain) {
    if (timeoutMs < 1000) {
      // autocannon's per-connection timer takes seconds and refuses anything below 1.
      throw new AgentcheckError('usage', `the closed model needs a timeout of at least 1s, got ${timeoutMs} ms`, 'raise --timeout, or use the open model (--rate)');
    }
    return new ClosedModelDriver(options, rng, workflows, timeoutMs, workflowTimeoutMs, connections);
  }
  return new ClosedLoopDriver(options, rng, workflows, timeoutMs, workflowTimeoutMs, connections);
}

/** Scoped series name: `workflow{workflow=order}`. */
export function scopedSeriesName(stream: string, key: string, value: string): string {
  return `${stream}{${key}=${value}}`;
}

/** A recorder, or the name of the series it is identical to (so it is not recorded twice). */
type Slot = LatencyRecorder | null;

abstract class BaseDriver implements LoadDriver {
  abstract readonly model: 'open' | 'closed';
  readonly seed: string;
  protected readonly recorder: LatencyRecorder;
  protected readonly workflowRecorder: LatencyRecorder;
  /** `workflow{workflow=…}` / `http{workflow=…}` per workflow index; null when identical to the unscoped series. */
  private readonly byWorkflow: Slot[];
  private readonly httpByWorkflow: Slot[];
  /** `workflow{step=…}` per workflow index and step index; null when identical to another series. */
  private readonly byStep: Slot[][];
  /** `http{method=…}` per workflow index (its entry step's JSON-RPC method); null when identical to `http`. */
  private readonly httpByMethod: Slot[];
  /** Aliases: series name → the name of the series it equals. */
  private readonly aliases = new Map<string, string>();
  private readonly scoped = new Map<string, LatencyRecorder>();
  private readonly outcomeCounts = new Map<string, OutcomeCount>();
  protected readonly rng: Rng;
  private readonly mixRng: Rng;
  private readonly mix: WeightedMix;
  protected readonly isError: (status: number) => boolean;
  protected readonly monitor = new ResourceMonitor();
  protected readonly schedule: LoadResult['schedule'] = [];
  protected readonly transports: Transports;
  protected readonly host: WorkflowHost;
  protected t0 = 0;
  protected startedAt = new Date();
  protected started = false;
  protected stopped = false;
  protected stopMs = 0;
  protected seq = 0;
  protected phaseName: string;
  protected sent = 0;
  /** `http` and `workflow` are the same events (plain single requests): the workflow series aliases http. */
  private readonly workflowIsHttp: boolean;

  constructor(
    protected readonly options: LoadDriverOptions,
    rng: Rng,
    protected readonly workflows: CompiledWorkflow[],
    protected readonly timeoutMs: number,
    protected readonly workflowTimeoutMs: number,
    maxSockets: number,
  ) {
    this.rng = rng.fork('load');
    this.mixRng = rng.fork('mix');
    this.seed = rng.seed;
    this.mix = new WeightedMix(workflows.map((w) => w.weight));
    this.isError = options.isError ?? ((s) => s >= 400);
    const bucket = options.timelineBucketMs ?? 1000;
    const grace = Math.max(timeoutMs, workflowTimeoutMs) + 1000;
    this.recorder = new LatencyRecorder({ name: 'http', graceMs: timeoutMs + 1000, timelineBucketMs: bucket });
    this.workflowIsHttp = options.isError === undefined && workflowTimeoutMs >= timeoutMs && workflows.every((w) => w.steps.length === 1 && !w.steps[0]!.readBody);
    this.workflowRecorder = this.workflowIsHttp ? this.recorder : new LatencyRecorder({ name: 'workflow', graceMs: grace, timelineBucketMs: bucket });
    if (this.workflowIsHttp) this.aliases.set('workflow', 'http');
    const make = (name: string, graceMs: number): LatencyRecorder => {
      let r = this.scoped.get(name);
      if (!r) {
        r = new LatencyRecorder({ name, graceMs, timelineBucketMs: bucket });
        this.scoped.set(name, r);
      }
      return r;
    };
    const single = workflows.length === 1;
    this.byWorkflow = workflows.map((w) => {
      const name = scopedSeriesName('workflow', 'workflow', w.name);
      if (single) this.aliases.set(name, 'workflow');
      else if (this.workflowIsHttp) this.aliases.set(name, scopedSeriesName('http', 'workflow', w.name));
      return single || this.workflowIsHttp ? null : make(name, grace);
    });
    this.httpByWorkflow = workflows.map((w) => {
      const name = scopedSeriesName('http', 'workflow', w.name);
      if (single) this.aliases.set(name, 'http');
      return single ? null : make(name, timeoutMs + 1000);
    });
    // A step name in exactly one workflow that has only that step: its series is the workflow's.
    const stepHomes = new Map<string, number>();
    for (const w of workflows) for (const st of w.steps) stepHomes.set(st.name, (stepHomes.get(st.name) ?? 0) + 1);
    this.byStep = workflows.map((w) =>
      w.steps.map((st) => {
        const name = scopedSeriesName('workflow', 'step', st.name);
        if (w.steps.length === 1 && stepHomes.get(st.name) === 1) {
          this.aliases.set(name, scopedSeriesName('workflow', 'workflow', w.name));
          return null;
        }
        return make(name, grace);
      }),
    );
    const methods = new Set(workflows.map((w) => w.steps[0]!.rpcMethod));
    this.httpByMethod = workflows.map((w) => {
      const m = w.steps[0]!.rpcMethod;
      if (m === undefined) return null;
      const name = scopedSeriesName('http', 'method', m);
      if (methods.size === 1) {
        this.aliases.set(name, 'http');
        return null;
      }
      return make(name, timeoutMs + 1000);
    });
    this.phaseName = options.phase ?? 'load';
    this.transports = new Transports(maxSockets);
    const follow = options.follow ?? DEFAULT_FOLLOW;
    this.host = { now: () => this.elapsedMs(), transports: this.transports, follow, timeoutMs, workflowTimeoutMs, sink: this.sink };
  }

  elapsedMs(): number {
    return this.started ? performance.now() - this.t0 : 0;
  }

  /** Every distinct http(s) origin the workflows send to (event steps' brokers are prepared instead). */
  protected origins(): string[] {
    return Transports.httpOrigins(this.workflows);
  }

  protected async preflight(): Promise<void> {
    if (!this.options.skipPreflight) for (const o of this.origins()) await checkReachable(o, Math.min(this.timeoutMs, 3000));
    // Event steps: connected and subscribed before the first workflow, so no early event is missed.
    await this.transports.prepareEvents(this.workflows, () => this.elapsedMs(), this.workflowTimeoutMs);
  }

  private recorders(): LatencyRecorder[] {
    const all = [this.recorder, ...this.scoped.values()];
    if (!this.workflowIsHttp) all.push(this.workflowRecorder);
    return all;
  }

  protected beginClock(): void {
    this.t0 = performance.now();
    this.startedAt = new Date();
    this.started = true;
    this.monitor.start();
    for (const r of this.recorders()) r.beginPhase(this.phaseName, 0, this.options.phaseDurationMs);
  }

  markPhase(name: string, opts: PhaseOptions = {}): void {
    if (!this.started || this.stopped) throw new Error(`markPhase('${name}') called while the driver is not running`);
    const now = opts.atMs ?? this.elapsedMs();
    this.phaseName = name;
    for (const r of this.recorders()) r.beginPhase(name, now, opts.durationMs);
    this.onPhase(name, now, opts);
  }

  protected abstract onPhase(name: string, atMs: number, opts: PhaseOptions): void;

  /** Lets the recorders release spans nobody can still write to. */
  protected advanceRecorders(now: number): void {
    for (const r of this.recorders()) r.advance(now);
  }

  /**
   * The next arrival's identity. Always the same draws per arrival (a mix draw, a uuid, a
   * traceparent), dropped or not, so arrival i gets the same workflow and ids for a seed.
   */
  protected nextArrival(): { seq: number; index: number; uuid: string; traceparent: string } {
    const index = this.mix.next(this.mixRng);
    const uuid = randomUuid(this.rng);
    const traceparent = randomTraceparent(this.rng);
    return { seq: this.seq++, index, uuid, traceparent };
  }

  /** Starts arrival `a` as a workflow run. */
  protected startWorkflow(a: ReturnType<BaseDriver['nextArrival']>, startMs: number, fromMs: number): WorkflowRun {
    const run = new WorkflowRun(this.workflows[a.index]!, a.index, a.seq, a.uuid, a.traceparent, this.phaseName, startMs, fromMs, this.workflowTimeoutMs);
    if (this.options.history) {
      this.emit({ type: 'invoke', key: this.keyOf(run), seq: run.seq, traceparent: run.traceparent, phase: run.phase, tMs: startMs, workflow: run.workflow.name, workflowId: run.uuid });
    }
    this.sent++;
    void runWorkflow(this.host, run).catch((e: unknown) => {
      // A bug in the runner must not lose the workflow: it ends as an error of its own class.
      if (run.done) return;
      run.done = true;
      this.sink.finish(run, { ok: false, class: 'internal', message: String((e as Error)?.message ?? e), history: 'info', latencyMs: this.elapsedMs() - run.fromMs, timeout: false });
    });
    return run;
  }

  /** The Idempotency-Key of a run's first step (its uuid when the step sends none). */
  protected keyOf(run: WorkflowRun): string {
    const step = run.workflow.steps[0]!;
    return step.key ? step.key.render({ uuid: run.uuid, seq: run.seq, phase: run.phase, workflow: run.workflow.name }) : run.uuid;
  }

  /** Records an arrival that was never started (in-flight cap) as a timeout in every series it belongs to. */
  protected recordDropped(a: ReturnType<BaseDriver['nextArrival']>, startMs: number): void {
    const w = this.workflows[a.index]!;
    this.recorder.record(startMs, this.timeoutMs, 'timeout');
    this.httpByWorkflow[a.index]?.record(startMs, this.timeoutMs, 'timeout');
    this.httpByMethod[a.index]?.record(startMs, this.timeoutMs, 'timeout');
    if (!this.workflowIsHttp) this.workflowRecorder.record(startMs, this.workflowTimeoutMs, 'timeout');
    this.byWorkflow[a.index]?.record(startMs, this.workflowTimeoutMs, 'timeout');
    this.byStep[a.index]![0]?.record(startMs, this.workflowTimeoutMs, 'timeout');
    this.count(this.phaseName, w.name, 'timeout', undefined, 'not sent: too many workflows in flight');
  }

  protected count(phase: string, workflow: string, cls: string, method: string | undefined, message: string | undefined): void {
    const key = `${phase}\u0000${workflow}\u0000${cls}\u0000${method ?? ''}`;
    const c = this.outcomeCounts.get(key);
    if (c) c.count++;
    else this.outcomeCounts.set(key, { phase, workflow, class: cls, ...(method !== undefined ? { method } : {}), count: 1, ...(message !== undefined ? { message } : {}) });
  }

  /** Hook for subclasses: a workflow ended. */
  protected onWorkflowEnd(_run: WorkflowRun): void {}

  private readonly sink: WorkflowSink = {
    entry: (run, status, error, latencyMs, timeout) => {
      // Plain requests: recorded once, as the workflow, in finish().
      if (this.workflowIsHttp || !this.accepts(run)) return;
      const outcome: Outcome = timeout ? 'timeout' : status !== undefined && !this.isError(status) ? 'ok' : 'error';
      const latency = timeout ? this.timeoutMs : latencyMs;
      this.recorder.record(run.startMs, latency, outcome);
      this.httpByWorkflow[run.index]?.record(run.startMs, latency, outcome);
      this.httpByMethod[run.index]?.record(run.startMs, latency, outcome);
      void error;
    },
    step: (run, _step, ok, latencyMs, timeout) => {
      const rec = this.byStep[run.index]![run.steps - 1];
      if (!rec || !this.accepts(run)) return;
      rec.record(run.startMs, Math.max(0, latencyMs), timeout ? 'timeout' : ok ? 'ok' : 'error');
    },
    finish: (run, end) => {
      const outcome: Outcome = end.timeout ? 'timeout' : end.ok ? 'ok' : 'error';
      if (this.accepts(run)) {
        if (this.workflowIsHttp) {
          // Plain requests: the http series is the workflow series; its error rule is the status one.
          const o: Outcome = end.timeout ? 'timeout' : end.status !== undefined && !this.isError(end.status) ? 'ok' : 'error';
          const latency = end.timeout ? this.timeoutMs : end.latencyMs;
          this.recorder.record(run.startMs, latency, o);
          this.httpByWorkflow[run.index]?.record(run.startMs, latency, o);
          this.httpByMethod[run.index]?.record(run.startMs, latency, o);
        } else {
          this.workflowRecorder.record(run.startMs, end.latencyMs, outcome);
          this.byWorkflow[run.index]?.record(run.startMs, end.latencyMs, outcome);
        }
        this.count(run.phase, run.workflow.name, end.class, end.method, end.message);
      }
      if (this.options.history) {
        this.emit({
          type: end.history,
          key: this.keyOf(run),
          seq: run.seq,
          traceparent: run.traceparent,
          phase: run.phase,
          tMs: this.elapsedMs(),
          workflow: run.workflow.name,
          workflowId: run.uuid,
          outcome: end.class,
          extracted: { ...run.extracted },
          steps: run.steps,
          requests: run.requests,
          latencyMs: end.latencyMs,
          ...(end.status !== undefined ? { status: end.status } : {}),
          ...(end.error !== undefined ? { error: end.error } : end.message !== undefined ? { error: end.message } : {}),
        });
      }
      this.onWorkflowEnd(run);
    },
  };

  /** Whether a run's events go into the figures (closed model: not those started after stop). */
  protected accepts(run: WorkflowRun): boolean {
    return !this.stopped || run.startMs <= this.stopMs;
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
    const workflow = this.workflowIsHttp ? { ...series, name: 'workflow' } : this.workflowRecorder.finish(this.stopMs);
    const byName: Record<string, RecordedSeries> = { http: series, workflow };
    for (const [name, r] of this.scoped) byName[name] = r.finish(this.stopMs);
    // Aliases resolve through chains (step → workflow{workflow=…} → workflow → http).
    for (const name of this.aliases.keys()) {
      let target = name;
      for (let i = 0; i < 4 && this.aliases.has(target) && !(target in byName && target !== name); i++) target = this.aliases.get(target)!;
      const s = byName[target];
      if (s) byName[name] = { ...s, name };
    }
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
      workflow,
      seriesByName: byName,
      phases: toPhaseReports(workflow),
      timeline: workflow.timeline,
      outcomes: [...this.outcomeCounts.values()],
      schedule: this.schedule,
      generator,
      validity: judgeGenerator(generator, this.options.limits),
    };
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<LoadResult>;
}

/** The open model: a precise arrival schedule; each arrival runs one workflow on keep-alive pools. */
class OpenModelDriver extends BaseDriver {
  readonly model = 'open' as const;
  private rate: number;
  private phaseStartMs = 0;
  private k = 0;
  private nextIntendedMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  /**
   * Marks given a time still ahead (several generators: the coordinator marks a little ahead so
   * every generator has the mark before it is due), applied when the schedule reaches them.
   */
  private readonly pendingMarks: Array<{ name: string; opts: PhaseOptions & { atMs: number } }> = [];
  private inTick = false;
  /** Workflows in flight, in intended-start order. */
  private readonly inFlight = new Map<number, WorkflowRun>();
  private readonly maxInFlight: number;
  private readonly lateness = createLatencyHistogram();
  private readonly toleranceMs: number;
  private arrivals = 0;
  private late = 0;
  private dropped = 0;
  private inFlightPeak = 0;
  private drained: (() => void) | null = null;

  constructor(options: LoadDriverOptions, rng: Rng, workflows: CompiledWorkflow[], timeoutMs: number, workflowTimeoutMs: number, rate: number) {
    super(options, rng, workflows, timeoutMs, workflowTimeoutMs, options.maxSockets ?? 1024);
    this.rate = rate;
    this.maxInFlight = options.maxInFlight ?? 10_000;
    this.toleranceMs = options.limits?.lateToleranceMs ?? 10;
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.preflight();
    this.beginClock();
    this.schedule.push({ name: this.phaseName, startMs: 0, rate: this.rate, ...(this.options.phaseDurationMs ? { plannedDurationMs: this.options.phaseDurationMs } : {}) });
    this.phaseStartMs = 0;
    this.k = 0;
    this.nextIntendedMs = 0;
    // The sweep aborts overdue requests and workflows and lets the recorders release windows
    // nobody can still write to.
    this.sweeper = setInterval(() => this.sweep(), Math.max(5, Math.min(50, Math.min(this.timeoutMs, this.workflowTimeoutMs) / 4)));
    this.tick();
  }

  /**
   * A mark with a time still ahead waits for the schedule to reach it, so the arrivals before it
   * keep the old rate and phase and those after it get the new ones, whenever the mark arrived.
   * A mark that arrives after arrivals past its time were already drawn (a generator whose
   * coordinator's message came late) cannot take them back: they are counted as late, so a run
   * where that happens often is invalid rather than silently off its one schedule.
   */
  override markPhase(name: string, opts: PhaseOptions = {}): void {
    if (!this.started || this.stopped) throw new Error(`markPhase('${name}') called while the driver is not running`);
    const rate = opts.rate ?? this.rate;
    if (!(rate >= 0 && Number.isFinite(rate))) throw new AgentcheckError('usage', `rate must be a non-negative number, got ${rate}`);
    const { atMs } = opts;
    if (atMs !== undefined && atMs > this.elapsedMs()) {
      this.pendingMarks.push({ name, opts: { ...opts, atMs } });
      this.rearm();
      return;
    }
    if (atMs !== undefined && this.k > 0 && this.rate > 0) {
      // Arrivals of the current phase drawn for times at or after the mark.
      const due = Math.max(0, Math.ceil(((atMs - this.phaseStartMs) * this.rate) / 1000));
      const past = Math.max(0, this.k - due);
      // Only this generator's own arrivals among them were sent (and counted as arrivals).
      const segment = this.options.segment;
      for (let seq = this.seq - past; seq < this.seq; seq++) if (!segment || seq % segment.count === segment.index) this.late++;
    }
    super.markPhase(name, opts);
  }

  protected onPhase(name: string, atMs: number, opts: PhaseOptions): void {
    const rate = opts.rate ?? this.rate;
    this.schedule.push({ name, startMs: atMs, rate, ...(opts.durationMs ? { plannedDurationMs: opts.durationMs } : {}) });
    if (opts.rate !== undefined) {
      // A new rate restarts the schedule at the mark: arrival i of the phase is due at mark + i / rate.
      this.rate = rate;
      this.phaseStartMs = atMs;
      this.k = 0;
      this.nextIntendedMs = atMs;
      if (!this.inTick) this.rearm();
    }
  }

  /** Applies the pending marks due at or before `tMs` (the next arrival's intended time). */
  private applyDueMarks(tMs: number): void {
    while (this.pendingMarks.length > 0 && this.pendingMarks[0]!.opts.atMs <= tMs) {
      const m = this.pendingMarks.shift()!;
      super.markPhase(m.name, m.opts);
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
    if (this.stopped) return;
    let now = this.elapsedMs();
    this.inTick = true;
    try {
      for (;;) {
        // A mark due before the next arrival changes the rate (and restarts the count) first.
        this.applyDueMarks(this.rate > 0 ? Math.min(this.nextIntendedMs, now + EARLY_MS) : now + EARLY_MS);
        if (!(this.rate > 0 && this.nextIntendedMs <= now + EARLY_MS)) break;
        this.dispatch(this.nextIntendedMs, now);
        this.k++;
        this.nextIntendedMs = this.phaseStartMs + this.k * (1000 / this.rate);
        now = this.elapsedMs();
      }
    } finally {
      this.inTick = false;
    }
    const nextMark = this.pendingMarks[0]?.opts.atMs ?? Infinity;
    const nextAt = Math.min(this.rate > 0 ? this.nextIntendedMs : Infinity, nextMark);
    if (nextAt === Infinity) return;
    const delay = nextAt - EARLY_MS - this.elapsedMs();
    // Timers fire no earlier than asked and up to ~1 ms late, hence EARLY_MS. Spinning on
    // setImmediate would be more punctual still, but burns a core at ≥ 1,000 req/s, which harms the
    // measurement more than a fraction of a millisecond of send jitter.
    // Capped at Node's timer limit (a very low rate): the tick re-checks the clock and waits again.
    this.timer = setTimeout(this.tick, Math.min(MAX_TIMER_MS, Math.max(1, Math.floor(delay))));
  };

  private dispatch(intendedMs: number, nowMs: number): void {
    const a = this.nextArrival();
    const segment = this.options.segment;
    // Another generator's arrival: its draws are made above, so the ids of the next ones match.
    if (segment && a.seq % segment.count !== segment.index) return;
    this.arrivals++;
    if (this.inFlight.size >= this.maxInFlight) {
      // Never sent, never vanishes: a bad event at the timeout value (and the run is invalid).
      this.dropped++;
      this.recordDropped(a, intendedMs);
      return;
    }
    const lateBy = nowMs - intendedMs;
    recordMs(this.lateness, Math.max(0, lateBy));
    if (lateBy > this.toleranceMs) this.late++;
    const run = this.startWorkflow(a, intendedMs, Math.min(intendedMs, nowMs));
    if (!run.done) this.inFlight.set(run.seq, run);
    if (this.inFlight.size > this.inFlightPeak) this.inFlightPeak = this.inFlight.size;
  }

  protected override onWorkflowEnd(run: WorkflowRun): void {
    this.inFlight.delete(run.seq);
    if (this.drained && this.inFlight.size === 0) this.drained();
  }

  private sweep(): void {
    const now = this.elapsedMs();
    for (const run of this.inFlight.values()) {
      if (now >= run.deadlineMs) run.expire();
      else if (now >= run.requestDeadlineMs) run.expireRequest();
    }
    this.advanceRecorders(now);
    if (this.drained && this.inFlight.size === 0) this.drained();
  }

  async stop(): Promise<LoadResult> {
    if (!this.started) throw new Error('stop() called before start()');
    if (!this.stopped) {
      this.stopMs = this.elapsedMs();
      this.stopped = true;
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      // Every arrival is accounted for: wait for terminal outcomes or the timeout sweep.
      if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = null;
      if (this.sweeper) clearInterval(this.sweeper);
      this.transports.destroy();
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

  protected override accepts(): boolean {
    // Open model: every arrival before stop is in the record, including those that end after it.
    return true;
  }
}

/**
 * The closed model for workflows (several steps, a mix, or answers that must be read): N loops,
 * each running one workflow at a time, the next as soon as the previous ended, on one keep-alive
 * pool of N sockets per origin. Latency runs from each workflow's start (the closed model's rule).
 */
class ClosedLoopDriver extends BaseDriver {
  readonly model = 'closed' as const;
  private readonly inFlight = new Set<WorkflowRun>();
  private readonly waiters = new Map<WorkflowRun, () => void>();
  private loops: Promise<void>[] = [];
  private sweeper: NodeJS.Timeout | null = null;

  constructor(options: LoadDriverOptions, rng: Rng, workflows: CompiledWorkflow[], timeoutMs: number, workflowTimeoutMs: number, private readonly connections: number) {
    super(options, rng, workflows, timeoutMs, workflowTimeoutMs, connections);
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.preflight();
    this.beginClock();
    this.schedule.push({ name: this.phaseName, startMs: 0, ...(this.options.phaseDurationMs ? { plannedDurationMs: this.options.phaseDurationMs } : {}) });
    this.sweeper = setInterval(() => this.sweep(), Math.max(5, Math.min(50, Math.min(this.timeoutMs, this.workflowTimeoutMs) / 4)));
    for (let i = 0; i < this.connections; i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const now = this.elapsedMs();
      const run = this.startWorkflow(this.nextArrival(), now, now);
      if (run.done) continue;
      this.inFlight.add(run);
      await new Promise<void>((resolve) => this.waiters.set(run, resolve));
      // Yield so a target answering synchronously cannot starve timers.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  protected override onWorkflowEnd(run: WorkflowRun): void {
    this.inFlight.delete(run);
    const w = this.waiters.get(run);
    this.waiters.delete(run);
    w?.();
  }

  private sweep(): void {
    const now = this.elapsedMs();
    for (const run of this.inFlight) {
      if (now >= run.deadlineMs) run.expire();
      else if (now >= run.requestDeadlineMs) run.expireRequest();
    }
    this.advanceRecorders(now);
  }

  protected onPhase(name: string, atMs: number, opts: PhaseOptions): void {
    this.schedule.push({ name, startMs: atMs, ...(opts.durationMs ? { plannedDurationMs: opts.durationMs } : {}) });
  }

  async stop(): Promise<LoadResult> {
    if (!this.started) throw new Error('stop() called before start()');
    if (!this.stopped) {
      this.stopMs = this.elapsedMs();
      this.stopped = true;
      // The N workflows in flight end (terminal or at their timeout); each is in the record.
      await Promise.all(this.loops);
      if (this.sweeper) clearInterval(this.sweeper);
      this.transports.destroy();
    }
    return this.finishResult({ arrivals: this.sent, maxInFlight: this.connections, inFlightPeak: this.connections });
  }

  protected override accepts(run: WorkflowRun): boolean {
    return run.startMs <= this.stopMs || !this.stopped;
  }
}

interface Pending {
  seq: number;
  key: string;
  uuid: string;
  traceparent: string;
  phase: string;
  startMs: number;
  fromMs: number;
  done: boolean;
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Classifies a finished plain request for the history. */
function historyType(status: number | undefined, errorCode: string | undefined, sent = true): 'ok' | 'fail' | 'info' {
  if (status !== undefined) return status < 400 ? 'ok' : status < 500 ? 'fail' : 'info';
  return !sent || (errorCode !== undefined && NOT_SENT.has(errorCode)) ? 'fail' : 'info';
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
  private readonly step: CompiledStep;
  private readonly headText: string;

  constructor(
    options: LoadDriverOptions,
    rng: Rng,
    workflows: CompiledWorkflow[],
    timeoutMs: number,
    workflowTimeoutMs: number,
    private readonly connections: number,
  ) {
    super(options, rng, workflows, timeoutMs, workflowTimeoutMs, connections);
    this.step = workflows[0]!.steps[0]!;
    this.headText = http1HeadText(this.step.url);
  }

  /** One request as bytes, and its entry in flight. */
  private buildNext(): { entry: Pending; buffer: Buffer } {
    const a = this.nextArrival();
    const now = this.elapsedMs();
    const step = this.step;
    const vars = { uuid: a.uuid, seq: a.seq, phase: this.phaseName, workflow: this.workflows[0]!.name };
    const headers: Record<string, string> = {};
    for (const [k, t] of step.headers) headers[k] = t.render(vars);
    const key = step.key ? step.key.render(vars) : a.uuid;
    if (step.key) headers['Idempotency-Key'] = key;
    headers['traceparent'] = a.traceparent;
    const body = step.body?.render(vars);
    const entry: Pending = { seq: a.seq, key, uuid: a.uuid, traceparent: a.traceparent, phase: this.phaseName, startMs: now, fromMs: now, done: false };
    return { entry, buffer: http1RequestBytes(this.headText, { method: step.method, path: step.path.render(vars), headers, ...(body !== undefined ? { body } : {}), readBody: false }) };
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.preflight();
    const { default: runAutocannon } = await import('autocannon');
    this.beginClock();
    this.schedule.push({ name: this.phaseName, startMs: 0, ...(this.options.phaseDurationMs ? { plannedDurationMs: this.options.phaseDurationMs } : {}) });
    const self = this;
    let missingHook = false;
    const opts = {
      url: this.step.url.origin,
      method: this.step.method,
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
          if (self.options.history) self.emit({ type: 'invoke', key: entry.key, seq: entry.seq, traceparent: entry.traceparent, phase: entry.phase, tMs: entry.startMs, workflow: self.workflows[0]!.name, workflowId: entry.uuid });
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
    const cls = timedOut ? 'timeout' : status !== undefined ? (status < 400 ? 'completed' : `http:${status}`) : `connection:${error ?? 'error'}`;
    if (!this.stopped || entry.startMs <= this.stopMs) {
      const outcome: Outcome = timedOut ? 'timeout' : status !== undefined && !this.isError(status) ? 'ok' : 'error';
      this.recorder.record(entry.startMs, latency, outcome);
      this.count(entry.phase, this.workflows[0]!.name, cls, undefined, undefined);
    }
    if (this.options.history) {
      this.emit({
        type: historyType(status, error),
        key: entry.key,
        seq: entry.seq,
        traceparent: entry.traceparent,
        phase: entry.phase,
        tMs: now,
        workflow: this.workflows[0]!.name,
        workflowId: entry.uuid,
        outcome: cls,
        extracted: {},
        steps: 1,
        requests: 1,
        latencyMs: latency,
        ...(status !== undefined ? { status } : {}),
        ...(error !== undefined ? { error } : {}),
      });
    }
    if ((entry.seq & 1023) === 0) this.advanceRecorders(now);
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
        this.emit({ type: 'info', key: entry.key, seq: entry.seq, traceparent: entry.traceparent, phase: entry.phase, tMs: this.elapsedMs(), workflow: this.workflows[0]!.name, workflowId: entry.uuid, outcome: 'abandoned', error: 'abandoned at stop' });
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
export async function runLoad(
  options: Omit<LoadDriverOptions, 'phase' | 'phaseDurationMs'> & { phases: LoadPhase[]; signal?: AbortSignal; makeDriver?: (o: LoadDriverOptions) => LoadDriver },
): Promise<LoadResult> {
  const [first, ...rest] = options.phases;
  if (!first) throw new AgentcheckError('usage', 'a load run needs at least one phase');
  for (const p of options.phases) {
    if (!(p.durationMs > 0)) throw new AgentcheckError('usage', `phase '${p.name}' needs a positive duration`);
  }
  const { makeDriver = createLoadDriver, phases: _phases, signal: _signal, ...driverOptions } = options;
  const driver = makeDriver({ ...driverOptions, phase: first.name, phaseDurationMs: first.durationMs, ...(first.rate !== undefined ? { rate: first.rate } : {}) });
  await driver.start();
  // Any length: phases longer than Node's timer limit (about 596 h) are waited in chunks.
  const sleep = (ms: number): Promise<void> => sleepLong(ms, options.signal);
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
