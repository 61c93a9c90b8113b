/**
 * Several load generators behind the one {@link LoadDriver} interface (issue 17): N child
 * processes of the CLI (generator-process.ts), each its own process group registered with the
 * reaper, each sending segment i of N of ONE seeded open-model schedule (arrival k goes to
 * generator k mod N, so the union is what one generator would send, with the same workflow, uuid
 * and traceparent per arrival). All are made ready, then released at one wall-clock instant; phase
 * marks go to all with a time {@link MARK_LEAD_MS} ahead of the coordinator's; on stop their results are merged exactly
 * (merge.ts: HDR histograms added, never percentiles averaged) and their histories forwarded as
 * they come. A generator that falls behind (or fails) makes the run invalid, as with one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentcheckError, type AgentcheckErrorCode } from '../errors.js';
import { trackProcessGroup, untrackProcessGroup } from '../reaper/watchdog.js';
import { checkReachable, createLoadDriver, type HistoryEvent, type LoadDriver, type LoadDriverOptions, type LoadResult, type PhaseOptions } from './driver.js';
import { mergeLoadResults } from './merge.js';
import { Transports } from '../workflow/transport.js';

/** The driver options a generator process gets (no functions: they cross the IPC channel). */
export type GeneratorOptions = Omit<LoadDriverOptions, 'history' | 'rng' | 'isError' | 'segment' | 'skipPreflight'>;

/** Coordinator → generator. */
export type ToGenerator =
  | { type: 'init'; options: GeneratorOptions; segment: { index: number; count: number }; history: boolean }
  | { type: 'go'; atEpochMs: number }
  | { type: 'phase'; name: string; options: PhaseOptions }
  | { type: 'stop' };

/** Generator → coordinator. */
export type ToCoordinator =
  | { type: 'ready' }
  | { type: 'started' }
  | { type: 'history'; events: HistoryEvent[] }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string; code?: string; hint?: string };

/** How long a generator may take to become ready or to start (a loaded CI machine forks slowly). */
const READY_TIMEOUT_MS = 60_000;
/** The release instant is this far after the last generator said ready (the IPC fan-out fits in it). */
const RELEASE_LEAD_MS = 250;
/**
 * A phase mark takes effect this long after the coordinator makes it (the IPC fan-out fits in it
 * on a busy machine); a generator that still gets it late counts the arrivals it drew past it as
 * late, so the run is invalid rather than off its one schedule.
 */
export const MARK_LEAD_MS = 100;

/** The generator program: compiled JS next to this module, or dist's when running from TypeScript sources (tests). */
function generatorScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'generator-process.js');
  const built = path.resolve(path.dirname(here), '../../dist/load/generator-process.js');
  if (!existsSync(built)) throw new AgentcheckError('environment', `several load generators need the built generator program (${built})`, 'run `npx tsc -p tsconfig.build.json`');
  return built;
}

/** Options of {@link createMultiGeneratorDriver}. */
export interface MultiGeneratorOptions extends LoadDriverOptions {
  /** Number of generator processes (≥ 2; 1 is the in-process driver). */
  generators: number;
}

class Generator {
  readonly child: ChildProcess;
  private readonly waiters: Array<{ type: ToCoordinator['type']; resolve: (m: ToCoordinator) => void; reject: (e: Error) => void }> = [];
  failure: Error | undefined;

  constructor(
    script: string,
    readonly index: number,
    onHistory: (events: HistoryEvent[]) => void,
  ) {
    // Its own process group (detached) so the reaper can kill it and whatever it started.
    this.child = fork(script, [], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' }, serialization: 'advanced' });
    if (this.child.pid) trackProcessGroup(this.child.pid, `load generator ${index + 1}`);
    this.child.on('message', (m: ToCoordinator) => {
      if (m.type === 'history') return onHistory(m.events);
      if (m.type === 'error') return this.fail(toError(m));
      const at = this.waiters.findIndex((w) => w.type === m.type);
      if (at >= 0) this.waiters.splice(at, 1)[0]!.resolve(m);
    });
    this.child.once('exit', (code, signal) => {
      if (this.child.pid) untrackProcessGroup(this.child.pid);
      this.fail(new AgentcheckError('environment', `load generator ${index + 1} exited (${signal ?? code}) before it was done`));
    });
    this.child.on('error', (err) => this.fail(err));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  send(m: ToGenerator): void {
    if (this.child.connected) this.child.send(m);
  }

  /** The next message of `type`, or the generator's failure, or a timeout. */
  expect<T extends ToCoordinator['type']>(type: T, timeoutMs: number): Promise<Extract<ToCoordinator, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new AgentcheckError('environment', `load generator ${this.index + 1} sent no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ToCoordinator, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  kill(): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function toError(m: Extract<ToCoordinator, { type: 'error' }>): Error {
  return m.code ? new AgentcheckError(m.code as AgentcheckErrorCode, m.message, m.hint) : new Error(m.message);
}

/** {@link LoadDriver} over N generator processes (see the module comment). */
class MultiGeneratorDriver implements LoadDriver {
  readonly model = 'open' as const;
  readonly seed: string;
  private readonly generators: Generator[] = [];
  private readonly schedule: LoadResult['schedule'] = [];
  private t0 = 0;
  private startedAt = new Date();
  private started = false;
  private stopping: Promise<LoadResult> | undefined;

  constructor(private readonly options: MultiGeneratorOptions) {
    // Validates the options as one driver would (a usage error here, not in N children), and fixes the seed.
    const probe = createLoadDriver({ ...stripFunctions(options), skipPreflight: true });
    this.seed = probe.seed;
  }

  elapsedMs(): number {
    return this.started ? performance.now() - this.t0 : 0;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (!this.options.skipPreflight) {
      const origins = new Set(Transports.httpOrigins(this.options.workflows ?? []));
      if (this.options.target) origins.add(new URL(this.options.target.url).origin);
      for (const o of origins) await checkReachable(o, Math.min(this.options.timeoutMs ?? 5000, 3000));
    }
    const script = generatorScript();
    const history = this.options.history;
    const onHistory = (events: HistoryEvent[]) => {
      if (!history) return;
      for (const e of events) {
        try {
          history(e);
        } catch {
          // A faulty history consumer must not kill the run (as in the driver).
        }
      }
    };
    const count = this.options.generators;
    const shared: GeneratorOptions = { ...stripFunctions(this.options), seed: this.seed };
    try {
      for (let i = 0; i < count; i++) this.generators.push(new Generator(script, i, onHistory));
      for (const g of this.generators) g.send({ type: 'init', options: shared, segment: { index: g.index, count }, history: !!history });
      await Promise.all(this.generators.map((g) => g.expect('ready', READY_TIMEOUT_MS)));
      const atEpochMs = Date.now() + RELEASE_LEAD_MS;
      const started = Promise.all(this.generators.map((g) => g.expect('started', READY_TIMEOUT_MS)));
      for (const g of this.generators) g.send({ type: 'go', atEpochMs });
      // The coordinator's clock starts at the same instant as the generators'.
      this.t0 = performance.now() + (atEpochMs - Date.now());
      this.startedAt = new Date(atEpochMs);
      this.started = true;
      this.schedule.push({ name: this.options.phase ?? 'load', startMs: 0, rate: this.options.rate ?? 10, ...(this.options.phaseDurationMs ? { plannedDurationMs: this.options.phaseDurationMs } : {}) });
      await started;
    } catch (err) {
      this.killAll();
      throw err;
    }
  }

  markPhase(name: string, options: PhaseOptions = {}): void {
    if (!this.started || this.stopping) throw new Error(`markPhase('${name}') called while the driver is not running`);
    // A little ahead, so every generator has the mark before it is due and switches rate at the
    // same arrival: one that got it late would already have drawn old-rate arrivals past it.
    const atMs = this.elapsedMs() + MARK_LEAD_MS;
    const last = this.schedule[this.schedule.length - 1];
    this.schedule.push({ name, startMs: atMs, rate: options.rate ?? last?.rate ?? this.options.rate ?? 10, ...(options.durationMs ? { plannedDurationMs: options.durationMs } : {}) });
    for (const g of this.generators) g.send({ type: 'phase', name, options: { ...options, atMs } });
  }

  stop(): Promise<LoadResult> {
    if (!this.started) return Promise.reject(new Error('stop() called before start()'));
    this.stopping ??= this.collect();
    return this.stopping;
  }

  private async collect(): Promise<LoadResult> {
    const durationMs = this.elapsedMs();
    // Each drains its workflows in flight (≤ the workflow timeout) before it answers.
    const wait = (this.options.workflowTimeoutMs ?? 30_000) + READY_TIMEOUT_MS;
    const results = this.generators.map((g) => g.expect('result', wait));
    for (const g of this.generators) g.send({ type: 'stop' });
    try {
      const settled = await Promise.allSettled(results);
      const done = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value.result] : []));
      const failed = settled.flatMap((r, i) => (r.status === 'rejected' ? [`load generator ${i + 1} of ${settled.length} failed: ${(r.reason as Error)?.message ?? r.reason}`] : []));
      // Nothing to report at all: the error itself. Otherwise what the others measured, invalid
      // (a segment of the schedule is missing, so it is never a pass).
      if (done.length === 0) throw (settled[0] as PromiseRejectedResult).reason;
      const merged = mergeLoadResults(done, {
        schedule: this.schedule,
        startedAt: this.startedAt.toISOString(),
        durationMs: Math.round(durationMs * 1000) / 1000,
        ...(this.options.limits ? { limits: this.options.limits } : {}),
      });
      if (failed.length > 0) merged.validity = { valid: false, reasons: [...failed, ...merged.validity.reasons] };
      return merged;
    } finally {
      this.killAll();
    }
  }

  private killAll(): void {
    for (const g of this.generators) {
      g.kill();
      if (g.child.pid) untrackProcessGroup(g.child.pid);
    }
  }
}

function stripFunctions(o: LoadDriverOptions): GeneratorOptions {
  const { history: _h, rng: _r, isError: _e, segment: _s, skipPreflight: _p, generators: _g, ...rest } = o as MultiGeneratorOptions;
  return rest;
}

/**
 * A load driver for `generators` processes; with 1 (or a closed model), the ordinary in-process
 * driver. Several generators need the open model (a closed model's loops have no shared schedule).
 */
export function createGeneratorsDriver(options: LoadDriverOptions & { generators?: number }): LoadDriver {
  const n = options.generators ?? 1;
  if (!(Number.isInteger(n) && n >= 1)) throw new AgentcheckError('usage', `generators must be a positive integer, got ${n}`);
  const { generators: _g, ...single } = options;
  if (n === 1) return createLoadDriver(single);
  if ((options.model ?? 'open') !== 'open') throw new AgentcheckError('usage', 'several load generators need the open model (one seeded arrival schedule to share)', 'drop generators, or use a rate instead of connections');
  if (options.rng) throw new AgentcheckError('usage', 'several load generators take a seed, not an rng (each process makes its own from the seed)');
  return new MultiGeneratorDriver({ ...options, generators: n });
}
