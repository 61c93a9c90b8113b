/**
 * Stage 2, drive: the timeline. Warm-up load (kept as evidence, not measured), then the main load
 * driver through every phase, applying each phase's faults at its start and removing them at its
 * end, with progress events and the invariants asked for after each phase. Whatever ends it (the
 * end of the timeline, Ctrl-C, an agent crash, a bug), the driver is stopped and every applied
 * fault removed before it returns: {@link Driven} says how far it got.
 */
import { AgentcheckError } from '../../errors.js';
import { createLoadDriver, type LoadDriver, type LoadResult } from '../../load/driver.js';
import { createGeneratorsDriver } from '../../load/generators.js';
import type { CheckStatus, FaultWindow, InvariantResult } from '../../report/model.js';
import { evaluateInvariant } from '../invariants.js';
import { sleep } from '../runtimes/wait.js';
import { applyFaultPhase, removeFaults, type AppliedFault } from '../timeline.js';
import { driverWorkflows, followOptionsOf } from '../../workflow/scenario.js';
import type { ScenarioInvariant, ScenarioPhase } from '../types.js';
import type { InvariantContext } from '../invariants.js';
import type { DetectorInput } from '../../detect/detector.js';
import { SocketViewThread } from '../../detect/socket-view.js';
import { RunAborted, type RunContext } from './context.js';
import type { RunEvidence } from './evidence.js';
import { invariantContext } from './invariant-context.js';
import { LiveFigures, type LiveWindow } from './live-figures.js';
import type { Started } from './start.js';
import type { ContainerTeam } from '../runtimes/containers.js';

/** What the drive stage produced. */
export interface Driven {
  /** The main driver's result (phases, series, generator health); absent without a load section. */
  load?: LoadResult;
  /** When each phase with faults had them applied, on the driver's clock. */
  faultWindows: FaultWindow[];
  /** Invariants evaluated after each phase (`after: each-phase`). */
  phaseInvariants: InvariantResult[];
  /** True when the whole timeline ran. */
  completed: boolean;
  /** A bug or environment error that ended the drive early (an abort is not one). */
  error?: unknown;
  /** Set when an abort condition ended the timeline: why, when it fired, and when the faults were gone. */
  abortedBy?: { reason: string; atMs: number; faultsRemovedAtMs: number };
  /** The process runtime's socket view: what each agent connected to, and what it was allowed to. */
  sockets?: DetectorInput['sockets'];
  /** The containers runtime's network sinkhole: direct calls between agents. */
  direct?: DetectorInput['direct'];
  /** The process runtime's forward proxy: what each agent asked it for that it refused. */
  forwardProxy?: DetectorInput['forwardProxy'];
}

export type { LiveWindow } from './live-figures.js';

/** What an abort condition sees while the timeline runs. */
export interface LiveView {
  /** Milliseconds on the driver's clock. */
  nowMs: number;
  /** The phase running now. */
  phase: string;
  /** Figures over the last `ms` milliseconds (at most 60 s back). */
  window(ms: number): LiveWindow;
}

/** Optional hooks of the drive stage, for callers that steer a run (game days). */
export interface DriveHooks {
  /**
   * Checked every `abortCheckMs` while the timeline runs: a string ends the timeline at once, the
   * faults are removed, and {@link Driven.abortedBy} says why and when.
   */
  abortWhen?: (live: LiveView) => string | undefined;
  /** Default 200 ms: faults are gone well within 1 s of the condition becoming true. */
  abortCheckMs?: number;
  /** Each timeline action as it happens (phase started, faults applied, faults removed, abort). */
  onAction?: (action: DriveAction) => void;
}

/** One action of the timeline, on the driver's clock. */
export interface DriveAction {
  kind: 'phase' | 'faults-applied' | 'faults-removed' | 'abort';
  phase: string;
  atMs: number;
  detail?: string;
}

/** The timeline ended by an abort condition. */
class TimelineAborted extends Error {}

/** Runs the timeline on a started team; never throws (see {@link Driven}). */
export async function driveStage(ctx: RunContext, started: Started, evidence: RunEvidence, hooks: DriveHooks = {}): Promise<Driven> {
  const { scenario, options, signal } = ctx;
  const { backend, team } = started;
  const driven: Driven = { faultWindows: [], phaseInvariants: [], completed: false };
  const live = new LiveFigures();
  const applied: AppliedFault[] = [];
  let driver: LoadDriver | undefined;
  let view: SocketViewThread | undefined;
  let abortTimer: NodeJS.Timeout | undefined;
  let abortRemoval: Promise<void> | undefined;
  try {
    const first = scenario.phases[0];
    if (scenario.load && first) {
      const load = scenario.load;
      const entry = team.agents.get(load.target);
      if (!entry) throw new AgentcheckError('config', `load.target '${load.target}' is not an agent of the scenario`);
      // Every workflow of the mix is driven (the short-form requests are one-step workflows).
      // Event steps reach their broker agent directly, not through an edge's proxy (the load is not an agent of the team).
      const brokers = { target: load.target, natsEdgeTargets: scenario.edges.filter((e) => e.protocol === 'nats').map((e) => e.to), agentUrl: (n: string) => team.agents.get(n)?.url };
      const workflows = driverWorkflows(entry.url, load, brokers);
      const shared = { workflows, follow: followOptionsOf(load), workflowTimeoutMs: load.workflowTimeoutMs, model: load.model, connections: load.connections, timeoutMs: load.timeoutMs };
      if (scenario.warmupMs > 0) {
        options.onFirstRequest?.(ctx.clock());
        const warm = createLoadDriver({ ...shared, rate: load.rate, phase: 'warmup', seed: `${ctx.seed}/warmup`, history: (e) => evidence.record(e, 'warmup') });
        await warm.start();
        await sleep(scenario.warmupMs, signal);
        await warm.stop();
        ctx.checkAbort();
      }
      // load.generators > 1: N generator processes behind the same LoadDriver interface (generators.ts).
      driver = createGeneratorsDriver({
        generators: load.generators,
        ...shared,
        limits: { lateToleranceMs: load.lateToleranceMs, maxLateFraction: load.maxLateFraction },
        rate: first.load?.rate ?? load.rate,
        phase: first.name,
        phaseDurationMs: first.durationMs,
        seed: ctx.seed,
        history: (e) => {
          evidence.record(e, 'main');
          if (e.type !== 'invoke') live.add(e.type === 'ok', e.tMs, e.latencyMs);
        },
      });
    }

    const watch = socketView(ctx, started, () => (driver ? driver.elapsedMs() : 0));
    if (watch) {
      driven.sockets = watch.sockets;
      view = watch.view;
      view?.start();
    }
    // Phase boundaries are kept against one clock so they do not drift.
    const runStart = ctx.clock();
    if (scenario.warmupMs === 0 || !driver) options.onFirstRequest?.(runStart);
    if (driver) await driver.start();
    const d = driver;
    const elapsed = () => (d ? d.elapsedMs() : ctx.clock() - runStart);
    const progress = (phase: ScenarioPhase, message?: string) => {
      const now = elapsed();
      options.onProgress?.({ phase: phase.name, elapsedMs: now, totalMs: scenario.totalDurationMs, requests: live.completed, errors: live.errors, p99Ms: live.p99(now), ...(message ? { message } : {}) });
    };
    const act = (kind: DriveAction['kind'], phase: string, detail?: string) => hooks.onAction?.({ kind, phase, atMs: elapsed(), ...(detail ? { detail } : {}) });
    let current = scenario.phases[0]?.name ?? '';
    let transitioning = false;
    const timeline = new AbortController();
    const phaseSignal = AbortSignal.any([signal, timeline.signal]);
    if (hooks.abortWhen) {
      const abortWhen = hooks.abortWhen;
      let checking = false;
      abortTimer = setInterval(() => {
        // Not while a phase's faults are being applied: the journal must show them before the abort.
        if (checking || transitioning || timeline.signal.aborted) return;
        const now = elapsed();
        const reason = abortWhen({ nowMs: now, phase: current, window: (ms) => live.window(now, ms) });
        if (reason === undefined) return;
        checking = true;
        act('abort', current, reason);
        timeline.abort();
        // Faults first, everything else after: the abort is judged by how fast they are gone.
        abortRemoval = deleteToxics(backend.url, applied).finally(() => {
          driven.abortedBy = { reason, atMs: now, faultsRemovedAtMs: elapsed() };
          act('faults-removed', current, 'abort');
        });
      }, hooks.abortCheckMs ?? 200);
    }
    let boundary = 0;
    for (const [index, phase] of scenario.phases.entries()) {
      ctx.checkAbort();
      if (timeline.signal.aborted) throw new TimelineAborted();
      current = phase.name;
      if (index > 0 && driver) driver.markPhase(phase.name, { durationMs: phase.durationMs, ...(phase.load?.rate !== undefined ? { rate: phase.load.rate } : {}) });
      const phaseStart = elapsed();
      progress(phase, `phase ${phase.name}`);
      act('phase', phase.name);
      transitioning = true;
      try {
        applied.push(...(await applyFaultPhase(backend.client, team.proxies, phase, applied)));
        if (phase.faults.length > 0) act('faults-applied', phase.name, phase.faults.map((f) => `${f.type} ${f.edge}`).join(', '));
      } finally {
        transitioning = false;
      }
      boundary += phase.durationMs;
      const ticker = setInterval(() => progress(phase), 1000);
      const samplers = scenario.invariants
        .filter((i) => i.duringIntervalMs !== undefined && i.kind !== 'exactly_once')
        .map((inv) => new DuringSampler(inv, phase.name, () => invariantContext(ctx, started.agentUrls, evidence), elapsed));
      try {
        await sleep(boundary - elapsed(), phaseSignal);
      } finally {
        clearInterval(ticker);
        // Sampled while the faults were on: judged before they are removed, stopped on any exit.
        for (const sampler of samplers) driven.phaseInvariants.push(await sampler.stop());
      }
      if (phase.faults.length > 0) driven.faultWindows.push(faultWindow(phase, phaseStart, elapsed()));
      const before = applied.length;
      // A fault the next phase has unchanged stays on (timeline.ts): no unfaulted gap between them.
      await removeFaults(backend.client, applied, scenario.phases[index + 1]);
      if (applied.length < before && !timeline.signal.aborted) act('faults-removed', phase.name, `${before - applied.length} of ${before}`);
      ctx.checkAbort();
      if (timeline.signal.aborted) throw new TimelineAborted();
      // exactly_once is judged once, at the end: mid-run, requests still in flight would look lost.
      for (const inv of scenario.invariants.filter((i) => i.after === 'each-phase' && i.kind !== 'exactly_once')) {
        driven.phaseInvariants.push(await evaluateInvariant(inv, phase.name, invariantContext(ctx, started.agentUrls, evidence)));
      }
    }
    driven.completed = true;
  } catch (err) {
    // An abort condition ended the timeline: not an error, and `abortedBy` says why.
    const aborted = err instanceof RunAborted || err instanceof TimelineAborted || signal.aborted;
    if (isConfigError(err)) throw err;
    if (!aborted) driven.error = err;
  } finally {
    if (abortTimer) clearInterval(abortTimer);
    await abortRemoval;
    if (view && driven.sockets) {
      driven.sockets.observations = await view.stop();
      if (view.failure) driven.sockets.failure = view.failure;
    }
    // Epoch ms → the load clock, taken before the driver stops.
    const epochOffset = Date.now() - (driver ? driver.elapsedMs() : 0);
    if (started.forward) driven.forwardProxy = forwardProxyView(started, epochOffset);
    if (driver) driven.load = await driver.stop().catch(() => undefined);
    // Containers: read after the load stopped, so the last direct calls are in.
    const directCalls = (started.team as Partial<ContainerTeam>).directCalls;
    if (directCalls && ctx.scenario.detectors?.topology !== false) driven.direct = await directCalls((epochMs) => epochMs - epochOffset);
    await removeFaults(backend.client, applied).catch(() => undefined);
  }
  return driven;
}

/**
 * The socket view of a process-runtime team: each agent's process group, and the addresses it may
 * connect to (the listen addresses of its declared edges' proxies and of its forward-proxy
 * listener). None for containers (each agent is on a network of its own, and its sinkhole records
 * direct calls: `Driven.direct`); where /proc cannot be read, no view, and the sockets say why.
 */
function socketView(ctx: RunContext, started: Started, now: () => number): { view?: SocketViewThread; sockets: NonNullable<Driven['sockets']> } | undefined {
  if ((ctx.options.runtime ?? ctx.scenario.runtime) === 'containers' || ctx.scenario.detectors?.topology === false) return undefined;
  // Attached agents (attach.ts) are no process of ours: no sockets to read.
  const agents = [...started.team.agents.values()].filter((a) => a.pid > 0);
  if (agents.length === 0) return undefined;
  const view = new SocketViewThread(agents.map((a) => ({ name: a.name, pgid: a.pid, port: a.port })), now);
  const allowed = new Map<string, Set<string>>(agents.map((a) => [a.name, new Set<string>()]));
  for (const p of started.team.proxies.values()) allowed.get(p.edge.from)?.add(p.listen);
  // Its own forward-proxy listener is a declared way out too (what it asks there is judged there).
  for (const [name, set] of allowed) {
    const listen = started.forward?.proxy.listenOf(name);
    if (listen) set.add(listen);
  }
  const peers = new Map(agents.map((a) => [`${a.host}:${a.port}`, a.name]));
  if (!view.available) return { sockets: { observations: [], allowed, peers, unavailable: 'this system has no /proc, so the sockets agents hold could not be read' } };
  const outside = started.outside ? { outside: started.outside } : {};
  return { view, sockets: { observations: [], allowed, peers, ...outside } };
}

/** What the forward proxy refused, on the load clock (`epochOffset`: Date.now() at 0 ms), with the agents' own addresses to name peers. */
function forwardProxyView(started: Started, epochOffset: number): NonNullable<Driven['forwardProxy']> {
  const { proxy, kept } = started.forward!;
  // Since the previous drive on this team ended (its start-up, for the first).
  const { violations, forwarded, allowed } = proxy.take();
  return {
    callers: new Map(proxy.callerNames().map((name) => [name, kept.get(name) ?? []])),
    forwarded,
    allowed: allowed.map((a) => ({ caller: a.caller, target: a.target, count: a.count, firstMs: a.firstAtMs - epochOffset, entry: a.entry })),
    violations: violations.map((v) => ({ caller: v.caller, target: v.target, count: v.count, firstMs: v.firstAtMs - epochOffset })),
    peers: new Map([...started.team.agents.values()].map((a) => [`${a.host}:${a.port}`, a.name])),
  };
}

const STATUS_RANK: Record<CheckStatus, number> = { fail: 4, invalid: 3, warn: 2, pass: 1, skipped: 0 };

/**
 * Samples one invariant every `interval` while a phase runs (its faults applied), one probe at a
 * time, and sums the samples into one result for the phase: the worst status, the first finding
 * with the time it was seen, and the counts.
 */
class DuringSampler {
  private readonly samples: Array<{ atMs: number; result: InvariantResult }> = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly inv: ScenarioInvariant,
    private readonly phase: string,
    private readonly context: () => InvariantContext,
    private readonly now: () => number,
  ) {
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      const atMs = this.now();
      this.running = evaluateInvariant(this.inv, this.phase, this.context()).then((result) => {
        this.samples.push({ atMs, result });
        this.running = null;
        if (!this.stopped) this.schedule();
      });
    }, this.inv.duringIntervalMs);
  }

  async stop(): Promise<InvariantResult> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const base = { name: this.inv.name, kind: this.inv.kind, when: `during ${this.phase}` };
    if (this.samples.length === 0) {
      return { ...base, status: 'invalid', finding: `no sample was taken during ${this.phase} (interval ${this.inv.duringIntervalMs} ms is longer than the phase)` };
    }
    const worst = this.samples.reduce((a, b) => (STATUS_RANK[b.result.status] > STATUS_RANK[a.result.status] ? b : a));
    const failed = this.samples.filter((s) => s.result.status === 'fail').length;
    const counts = { samples: this.samples.length, failed, invalid: this.samples.filter((s) => s.result.status === 'invalid').length };
    const finding = worst.result.finding !== undefined ? `${worst.result.finding} (at ${(worst.atMs / 1000).toFixed(1)} s; ${failed} of ${counts.samples} samples failed)` : undefined;
    return { ...base, status: worst.result.status, ...(finding ? { finding } : {}), details: { ...counts, first: worst.result.details } };
  }
}

/**
 * Removes applied faults with one `DELETE /proxies/{p}/toxics/{t}` each, all at once (the client
 * library's path takes three requests per toxic): the abort path, where every millisecond of a
 * fault left on counts. A toxic already gone is fine; `applied` is emptied.
 */
async function deleteToxics(apiUrl: string, applied: AppliedFault[]): Promise<void> {
  const leaving = applied.splice(0);
  await Promise.allSettled(
    leaving.map(async ({ fault, proxyName, remote }) => {
      const res = await fetch(`${remote?.api ?? apiUrl}/proxies/${encodeURIComponent(proxyName)}/toxics/${encodeURIComponent(fault.name)}`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
    }),
  );
}

function isConfigError(err: unknown): boolean {
  return err instanceof AgentcheckError && err.code === 'config';
}

function faultWindow(phase: ScenarioPhase, startMs: number, endMs: number): FaultWindow {
  return { startMs, endMs, label: `${phase.name}: ${phase.faults.map((f) => `${f.type} ${f.edge}`).join(', ')}`, phase: phase.name };
}
