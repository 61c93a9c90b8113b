/**
 * Running a scenario: a value in, a value out. `runScenario(scenario, options)` starts the chaos
 * backend and the team, drives load through the phases while applying each phase's faults,
 * evaluates budgets and invariants, tears everything down on every exit path, and returns the
 * {@link RunReport}. The CLI only writes the reports and maps the verdict to an exit code.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import { AgentcheckError, isAgentcheckError } from '../errors.js';
import { History } from '../idempotency/history.js';
import { compileBudgets, evaluateBudgets, type Budget } from '../load/budget.js';
import { createLoadDriver, type HistoryEvent as DriverHistoryEvent, type LoadDriver, type LoadResult } from '../load/driver.js';
import { compileTemplate } from '../load/template.js';
import { attributeTail, nearestRank, type HopRecord, type WorkflowSample } from '../load/attribution.js';
import type { EdgeRecord } from '../chaos/http/records.js';
import type { JournalEntry } from '../chaos/journal.js';
import type { RecordedSeries } from '../load/recorder.js';
import {
  REPORT_VERSION,
  type BudgetResult,
  type FaultWindow,
  type InvariantResult,
  type RunReport,
  type Verdict,
} from '../report/model.js';
import { judgeReport } from '../report/verdict.js';
import { collectEdges } from './edges.js';
import { evaluateInvariant, type InvariantContext } from './invariants.js';
import { startTeam, type StartedTeam } from './team.js';
import { applyFaultPhase, removeFaults, type AppliedFault } from './timeline.js';
import { openChaosBackend, type ChaosBackend } from './chaos-backend.js';
import { sleep } from './runtimes/wait.js';
import type { Scenario, ScenarioPhase, ScenarioRequest } from './types.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Live progress of a run, for a TTY line or CI log lines. */
export interface RunProgressEvent {
  phase: string;
  elapsedMs: number;
  totalMs: number;
  requests: number;
  errors: number;
  /** p99 latency of the requests that completed in the last 5 s, ms; null with none. */
  p99Ms: number | null;
  message?: string;
}

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** Report folder; agents' logs go to `<outDir>/logs`. */
  outDir: string;
  /** A real Toxiproxy's API URL instead of the embedded proxy. */
  toxiproxyUrl?: string;
  /** Overrides the scenario's seed. */
  seed?: string;
  /** Aborts the run (Ctrl-C): teardown still runs and the report is marked aborted. */
  signal?: AbortSignal;
  /** Called at phase changes and about once a second. */
  onProgress?: (event: RunProgressEvent) => void;
  /** Where agents run; default the scenario's `runtime` (`process` unless it says otherwise). */
  runtime?: 'process' | 'containers';
  /** Progress lines while starting (image builds, containers started). */
  onLog?: (line: string) => void;
  /** Called once the first load request is about to be sent (for the start-up benchmark). */
  onFirstRequest?: (elapsedMs: number) => void;
}

class RunAborted extends Error {}

/**
 * The load request of a scenario as the driver's template. The scenario may name the
 * Idempotency-Key header itself (any value; `${idempotencyKey}` is an alias of `${uuid}`);
 * the driver always sends one key per request and records it in the history.
 */
function driverTarget(baseUrl: string, request: ScenarioRequest) {
  const alias = (s: string) => s.replaceAll('${idempotencyKey}', '${uuid}').replaceAll('${traceparent}', '');
  const headers: Record<string, string> = {};
  let idempotencyKey: string | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.toLowerCase() === 'idempotency-key') idempotencyKey = alias(value);
    else if (name.toLowerCase() !== 'traceparent') headers[name] = alias(value);
  }
  let body: string | undefined;
  if (request.body !== undefined) {
    body = alias(typeof request.body === 'string' ? request.body : JSON.stringify(request.body));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type') && typeof request.body !== 'string') {
      headers['Content-Type'] = 'application/json';
    }
  }
  return {
    url: `${baseUrl}${alias(request.path)}`,
    method: request.method,
    headers,
    ...(body !== undefined ? { body } : {}),
    idempotencyKey: idempotencyKey ?? '${uuid}',
  };
}

/**
 * How to turn a driver history event into the business key an `exactly_once` invariant judges
 * by: the request body's field `keyField` rendered with the request's variables, or the
 * Idempotency-Key itself when the body has no such field.
 */
function historyKeyFor(request: ScenarioRequest | undefined, keyField: string, keyTemplate: string) {
  const field = request?.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>)[keyField] : undefined;
  if (typeof field !== 'string') return (e: DriverHistoryEvent) => e.key;
  const alias = (s: string) => s.replaceAll('${idempotencyKey}', '${uuid}');
  const template = compileTemplate(alias(field), `load.requests[0].body.${keyField}`);
  // The driver reports the rendered Idempotency-Key; when it is the bare uuid, it is the uuid.
  const keyIsUuid = alias(keyTemplate) === '${uuid}';
  return (e: DriverHistoryEvent) => (keyIsUuid ? template.render({ uuid: e.key, seq: e.seq, phase: e.phase }) : e.key);
}

/**
 * Runs `scenario` and returns its report. Never leaves a process, proxy or toxic behind: every
 * exit path (success, failed check, crash, exception, abort) goes through the same teardown.
 * Configuration errors found before anything starts are thrown (exit 2); environment errors
 * (an agent that does not start) are reported with verdict `error` and rethrown by the CLI.
 */
export async function runScenario(scenario: Scenario, options: RunScenarioOptions): Promise<RunReport> {
  return (await runScenarioDetailed(scenario, options)).report;
}

/** The outcome of {@link runScenarioDetailed}: the report, and the error that ended the run early, if any. */
export interface ScenarioRunOutcome {
  report: RunReport;
  /** Set when the verdict is `error`: what went wrong (an environment AgentcheckError, or a bug). */
  error?: unknown;
  /** Every message-level fault decision the proxies journaled (fired or not), for explaining and shrinking. */
  journal: JournalEntry[];
}

/** {@link runScenario}, also handing back the error behind an `error` verdict (the CLI maps it to an exit code). */
export async function runScenarioDetailed(scenario: Scenario, options: RunScenarioOptions): Promise<ScenarioRunOutcome> {
  const t0 = performance.now();
  const clock = () => Math.round(performance.now() - t0);
  const seed = options.seed ?? scenario.seed ?? String(Math.floor(Math.random() * 2 ** 31));
  const logDir = path.join(options.outDir, 'logs');
  const report: RunReport = {
    version: REPORT_VERSION,
    tool: { name: 'agentcheck', version },
    kind: 'scenario',
    title: scenario.name,
    ...(scenario.source.file ? { source: scenario.source.file } : {}),
    seed,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    verdict: 'error',
    reasons: [],
    agents: [],
    phases: [],
    budgets: [],
    invariants: [],
    edges: [],
    checks: [],
    timeline: [],
    faultWindows: [],
  };

  // Budgets are compiled before anything starts: a typo is a configuration error (exit 2), not a
  // failed run after a minute of load.
  const phaseNames = scenario.phases.map((p) => p.name);
  const budgets: Budget[] = compileBudgets(
    scenario.slo.map((s) => (s.phases ? { budget: s.budget, phases: s.phases } : s.budget)),
    { phases: phaseNames, edges: scenario.edges.map((e) => `${e.from}->${e.to}`) },
  );

  const internal = new AbortController();
  const signal = AbortSignal.any([internal.signal, ...(options.signal ? [options.signal] : [])]);
  let crashReason: string | undefined;

  let backend: ChaosBackend | undefined;
  let team: StartedTeam | undefined;
  let driver: LoadDriver | undefined;
  const applied: AppliedFault[] = [];
  // Warm-up traffic has real effects too, so its history is kept (tagged, since seq restarts per driver).
  const driverEvents: Array<DriverHistoryEvent & { driver: string }> = [];
  let loadResult: LoadResult | undefined;
  const loadInvalid: string[] = [];
  let failure: unknown;
  const journal: JournalEntry[] = [];
  let finished = false;
  const notes: string[] = [];
  // Running figures for progress, kept incrementally (the history itself can be long).
  const live = { completed: 0, errors: 0, recent: [] as Array<[tMs: number, latencyMs: number]> };
  const recentP99 = (nowMs: number): number | null => {
    const from = live.recent.findIndex(([t]) => t >= nowMs - 5000);
    live.recent.splice(0, from < 0 ? live.recent.length : from);
    return nearestRank(live.recent.map(([, ms]) => ms), 99);
  };
  const checkAbort = () => {
    if (signal.aborted) throw new RunAborted();
  };

  try {
    if ((options.runtime ?? scenario.runtime) === 'containers') {
      if (options.toxiproxyUrl) {
        throw new AgentcheckError('config', '--toxiproxy-url applies to the process runtime; with containers set chaos: { backend: toxiproxy, image: … } in the scenario');
      }
      // Loaded only here: Testcontainers is heavy and a process run never needs it.
      const { startContainerTeam } = await import('./runtimes/containers.js');
      const containerTeam = await startContainerTeam(scenario, { runId: newRunId(), logDir, signal, clock, seed, ...(options.onLog ? { onProgress: options.onLog } : {}) });
      team = containerTeam;
      backend = containerTeam.backend;
    } else {
      backend = await openChaosBackend(scenario, { ...(options.toxiproxyUrl ? { toxiproxyUrl: options.toxiproxyUrl } : {}), seed });
      checkAbort();
      team = await startTeam(scenario, { client: backend.client, logDir, signal, clock });
    }
    report.agents = team.agentReports;
    void team.crashed.then((c) => {
      crashReason ??= `agent '${c.agent}' crashed (exit ${c.exit})`;
      internal.abort();
    });
    checkAbort();

    const agentUrls = new Map([...team.agents].map(([name, a]) => [name, a.url]));
    const invariantContext = (): InvariantContext => ({
      agentUrls,
      history: (keyField) => historyFor(keyField),
      ...(duplicatesDelivered !== undefined ? { duplicatesDelivered } : {}),
    });
    let duplicatesDelivered: number | undefined;
    const request = scenario.load?.requests[0];
    const keyHeader = Object.entries(request?.headers ?? {}).find(([name]) => name.toLowerCase() === 'idempotency-key')?.[1];
    // Built from the driver's events when judged (always at the end, when nothing is in flight).
    const historyFor = (keyField: string): History['events'] => {
      const keyOf = historyKeyFor(request, keyField, keyHeader ?? '${uuid}');
      const h = new History(() => 0);
      const ops = new Map<string, number>();
      for (const e of driverEvents) {
        if (e.type === 'invoke') ops.set(`${e.driver}:${e.seq}`, h.invoke(keyOf(e), e.phase));
        else {
          const op = ops.get(`${e.driver}:${e.seq}`);
          if (op !== undefined) h[e.type](op, e.status !== undefined ? String(e.status) : e.error);
        }
      }
      return h.events;
    };

    const first = scenario.phases[0];
    if (scenario.load && first) {
      const load = scenario.load;
      const entry = team.agents.get(load.target);
      if (!entry) throw new AgentcheckError('config', `load.target '${load.target}' is not an agent of the scenario`);
      const target = driverTarget(entry.url, load.requests[0]!);
      if (load.requests.length > 1) {
        notes.push(`note: only the first of ${load.requests.length} request templates is driven`);
      }
      if (scenario.warmupMs > 0) {
        options.onFirstRequest?.(clock());
        const warm = createLoadDriver({ target, model: load.model, rate: load.rate, connections: load.connections, timeoutMs: load.timeoutMs, phase: 'warmup', seed: `${seed}/warmup`, history: (e) => driverEvents.push({ ...e, driver: 'warmup' }) });
        await warm.start();
        await sleep(scenario.warmupMs, signal);
        await warm.stop();
        checkAbort();
      }
      driver = createLoadDriver({
        limits: { lateToleranceMs: load.lateToleranceMs, maxLateFraction: load.maxLateFraction },
        target,
        model: load.model,
        rate: first.load?.rate ?? load.rate,
        connections: load.connections,
        timeoutMs: load.timeoutMs,
        phase: first.name,
        phaseDurationMs: first.durationMs,
        seed,
        history: (e) => {
          driverEvents.push({ ...e, driver: 'main' });
          if (e.type === 'invoke') return;
          live.completed++;
          if (e.type !== 'ok') live.errors++;
          if (e.latencyMs !== undefined) live.recent.push([e.tMs, e.latencyMs]);
        },
      });
    }

    // The timeline. Phase boundaries are kept against one clock so they do not drift.
    const runStart = clock();
    if (scenario.warmupMs === 0 || !driver) options.onFirstRequest?.(runStart);
    if (driver) await driver.start();
    const elapsed = () => (driver ? driver.elapsedMs() : clock() - runStart);
    let boundary = 0;
    for (const [index, phase] of scenario.phases.entries()) {
      checkAbort();
      if (index > 0 && driver) driver.markPhase(phase.name, { durationMs: phase.durationMs, ...(phase.load?.rate !== undefined ? { rate: phase.load.rate } : {}) });
      const phaseStart = elapsed();
      options.onProgress?.({ phase: phase.name, elapsedMs: phaseStart, totalMs: scenario.totalDurationMs, requests: live.completed, errors: live.errors, p99Ms: recentP99(phaseStart), message: `phase ${phase.name}` });
      applied.push(...(await applyFaultPhase(backend.client, team.proxies, phase)));
      boundary += phase.durationMs;
      const ticker = setInterval(() => {
        const now = elapsed();
        options.onProgress?.({ phase: phase.name, elapsedMs: now, totalMs: scenario.totalDurationMs, requests: live.completed, errors: live.errors, p99Ms: recentP99(now) });
      }, 1000);
      await sleep(boundary - elapsed(), signal);
      clearInterval(ticker);
      if (phase.faults.length > 0) {
        report.faultWindows.push(faultWindow(phase, phaseStart, elapsed()));
      }
      await removeFaults(backend.client, applied);
      checkAbort();
      // exactly_once is judged once, at the end: mid-run, requests still in flight would look lost.
      for (const inv of scenario.invariants.filter((i) => i.after === 'each-phase' && i.kind !== 'exactly_once')) {
        report.invariants.push(await evaluateInvariant(inv, phase.name, invariantContext()));
      }
    }
    if (driver) {
      loadResult = await driver.stop();
      driver = undefined;
    }
    checkAbort();

    const edges = await collectEdges(backend, team, loadResult);
    report.edges = edges.reports;
    journal.push(...edges.journal);
    duplicatesDelivered = edges.duplicatesDelivered;

    if (loadResult) {
      report.phases = loadResult.phases.map((p) => ({ ...p, faults: faultsOf(scenario.phases.find((s) => s.name === p.name)) }));
      report.timeline = loadResult.timeline;
      report.load = { ...loadResult.generator, model: loadResult.model, validity: loadResult.validity };
      if (!loadResult.validity.valid) loadInvalid.push(...loadResult.validity.reasons);
      const series: Record<string, RecordedSeries> = { http: loadResult.series, ...edges.series };
      report.budgets = evaluateBudgets(budgets, { series, phases: phaseNames }) as BudgetResult[];
      report.tail = tailAttribution(budgets, driverEvents.filter((e) => e.driver === 'main'), edges.records);
      for (const edge of report.edges) {
        const share = report.tail.edges.find((t) => t.edge === edge.edge)?.share;
        if (share !== undefined) edge.slowShare = share;
      }
    } else if (budgets.length > 0) {
      loadInvalid.push('the scenario has SLO budgets but no load section, so nothing was measured');
    }
    for (const inv of scenario.invariants.filter((i) => i.after === 'end' || i.kind === 'exactly_once')) {
      report.invariants.push(await evaluateInvariant(inv, 'end', invariantContext()));
    }
    finished = true;
  } catch (err) {
    const agentReports = (err as { agentReports?: RunReport['agents'] }).agentReports;
    if (agentReports) report.agents = agentReports;
    if (err instanceof RunAborted || (signal.aborted && !isAgentcheckError(err))) {
      // Judged below: an interrupt makes it `aborted`, a crashed agent makes it `fail`.
    } else if (isAgentcheckError(err) && err.code === 'config') {
      throw err;
    } else {
      failure = err;
    }
  } finally {
    // Teardown, in reverse order of start-up; each step runs whatever the previous did.
    if (driver) loadResult ??= await driver.stop().catch(() => undefined);
    if (backend) await removeFaults(backend.client, applied).catch(() => undefined);
    if (team) await team.stop().catch(() => undefined);
    if (backend) await backend.close().catch(() => undefined);
    report.durationMs = clock();
    if (options.signal?.aborted) {
      report.aborted = { signal: String(options.signal.reason ?? 'SIGINT'), reason: 'interrupted before the run finished; figures cover what ran' };
    }
    if (loadResult && report.phases.length === 0) {
      report.phases = loadResult.phases.map((p) => ({ ...p, faults: faultsOf(scenario.phases.find((s) => s.name === p.name)) }));
      report.timeline = loadResult.timeline;
    }
    if (failure !== undefined && !report.aborted) {
      report.verdict = 'error';
      report.reasons = [(failure as Error).message ?? String(failure)];
    } else {
      if (!finished && !report.aborted && !report.agents.some((a) => a.status === 'crashed')) {
        loadInvalid.push(crashReason ?? 'the run stopped before its end');
      }
      const judged = judgeReport(report, loadInvalid);
      report.verdict = judged.verdict;
      report.reasons = [...judged.reasons, ...notes];
    }
  }
  return failure === undefined ? { report, journal } : { report, error: failure, journal };
}

/**
 * Which edge dominated each slow workflow. "Slow" is above the percentile of the first latency
 * percentile budget on the entry (`p(99)` → the slowest 1 %), else above p99.
 */
function tailAttribution(budgets: Budget[], events: DriverHistoryEvent[], records: Map<string, EdgeRecord[]>): NonNullable<RunReport['tail']> {
  const latencyBudget = budgets.find((b) => b.measure === 'latency' && b.stat.kind === 'percentile' && (b.stream === 'http' || b.stream === 'workflow'));
  const percentile = latencyBudget && latencyBudget.stat.kind === 'percentile' ? latencyBudget.stat.p : 99;
  const workflows: WorkflowSample[] = events
    .filter((e) => e.type !== 'invoke' && e.latencyMs !== undefined)
    .map((e) => ({ traceparent: e.traceparent, latencyMs: e.latencyMs!, id: e.key }));
  const hops: HopRecord[] = [];
  for (const [edge, list] of records) {
    for (const r of list) {
      if (r.traceparent && r.copyOf === undefined) {
        hops.push({ edge, traceparent: r.traceparent, latencyMs: r.latencyMs, startMs: Date.parse(r.time), ...(r.status !== null ? { status: r.status } : {}) });
      }
    }
  }
  return { percentile, ...attributeTail(workflows, hops, { percentile }) };
}

function faultsOf(phase: ScenarioPhase | undefined) {
  return (phase?.faults ?? []).map((f) => ({ edge: f.edge, type: f.type, name: f.name, ...(f.stream ? { stream: f.stream } : {}), attributes: f.attributes }));
}

function faultWindow(phase: ScenarioPhase, startMs: number, endMs: number): FaultWindow {
  return { startMs, endMs, label: `${phase.name}: ${phase.faults.map((f) => `${f.type} ${f.edge}`).join(', ')}` };
}

/** A fresh run id (used in report folders and container labels). */
export function newRunId(): string {
  return randomUUID().slice(0, 8);
}

export type { InvariantResult };
