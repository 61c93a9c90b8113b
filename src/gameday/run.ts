/**
 * Running a game day: per experiment, steady state → method → after on a started team (one team
 * shared by the experiments, or a fresh one per experiment), composed from the scenario run's
 * stages (context, start, drive with abort conditions, collect, judge, report). Whatever ends an
 * experiment (the hypothesis held or not, an abort condition, an exception, SIGINT/SIGTERM/SIGHUP),
 * its faults are removed (the drive stage), the proxies are checked clean through their API, and
 * its rollback commands run, each journaled. An interrupt stops the game day after that cleanup.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ExitCode, isAgentcheckError } from '../errors.js';
import type { TimePoint } from '../report/model.js';
import { evaluateInvariant } from '../scenario/invariants.js';
import { collectStage } from '../scenario/stages/collect.js';
import { createRunContext, type RunContext } from '../scenario/stages/context.js';
import { driveStage, type DriveHooks, type Driven } from '../scenario/stages/drive.js';
import { MemoryEvidence } from '../scenario/stages/evidence.js';
import { invariantContext } from '../scenario/stages/invariant-context.js';
import { defaultCheckers, judgeStage } from '../scenario/stages/judge.js';
import { reportStage } from '../scenario/stages/report.js';
import { StartFailed, startStage, stopStarted, type Started } from '../scenario/stages/start.js';
import type { Scenario } from '../scenario/types.js';
import { windowConditionFires } from './abort-condition.js';
import { GameDayJournal, type JournalLine } from './journal.js';
import { AFTER_PHASE, STEADY_PHASE, needsOwnTeam, type Experiment, type GameDay } from './model.js';
import { figuresOf, judgeRecovery, samplesOf } from './recovery.js';
import type { ExperimentReport, ExperimentRun, ExperimentVerdict, GameDayReport, SweepReport } from './report-model.js';
import { GAMEDAY_REPORT_VERSION } from './report-model.js';
import { runRollback, restoreProxies } from './rollback.js';
import { exitCodeOf, resilienceScore } from './score.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Options of {@link runGameDay}. */
export interface RunGameDayOptions {
  /** The game-day folder: journal.ndjson, the reports, agents' logs per experiment. */
  outDir: string;
  /** Ctrl-C / SIGTERM / SIGHUP: the running experiment is cleaned up and rolled back, the rest are not run. */
  signal?: AbortSignal;
  toxiproxyUrl?: string;
  seed?: string;
  onLog?: (line: string) => void;
  /** Each journal line as it is written (progress, tests watching the proxies from outside). */
  onJournal?: (line: JournalLine) => void;
}

/** A started team and whether it belongs to one experiment. */
interface TeamHandle {
  started: Started;
  own: boolean;
}

/** Runs every experiment of `gameday`; never throws for a failed experiment (its verdict says it). */
export async function runGameDay(gameday: GameDay, options: RunGameDayOptions): Promise<GameDayReport> {
  const startedAt = new Date().toISOString();
  const journal = new GameDayJournal(options.outDir, options.onJournal);
  const log = options.onLog ?? (() => undefined);
  const signal = options.signal ?? new AbortController().signal;
  journal.write('gameday-start', { name: gameday.name, source: gameday.file, team: gameday.teamFile, experiments: gameday.experiments.map((e) => e.name) });
  const onInterrupt = () => journal.write('interrupt', { signal: String(signal.reason ?? 'SIGINT') });
  signal.addEventListener('abort', onInterrupt, { once: true });

  let shared: Started | undefined;
  const teamFor = async (exp: Experiment, scenario: Scenario, dir: string): Promise<TeamHandle> => {
    const own = needsOwnTeam({ restart: exp.restart, scenario });
    if (!own && shared) return { started: shared, own };
    const ctx = createRunContext(own ? scenario : gameday.team, teamOptions(own ? dir : path.join(options.outDir, 'team'), options, signal));
    try {
      const started = await startStage(ctx);
      journal.write('team-start', { ...(own ? { experiment: exp.name } : {}), agents: [...started.agentUrls.keys()], proxies: [...started.team.proxies.values()].map((p) => p.proxyName) });
      if (!own) shared = started;
      return { started, own };
    } catch (err) {
      if (err instanceof StartFailed) {
        await stopStarted(err.partial);
        throw err.cause;
      }
      throw err;
    }
  };

  const experiments: ExperimentReport[] = [];
  try {
    for (const exp of gameday.experiments) {
      if (signal.aborted) {
        experiments.push(notRun(exp, 'interrupted', `not run: interrupted by ${String(signal.reason ?? 'a signal')}`));
        continue;
      }
      log(`agentcheck: experiment ${exp.name}`);
      experiments.push(await runExperiment(exp, gameday, options, journal, signal, teamFor));
      log(`agentcheck: experiment ${exp.name}: ${experiments[experiments.length - 1]!.verdict}`);
    }
  } finally {
    if (shared) {
      await stopStarted(shared);
      journal.write('team-stop', {});
    }
    signal.removeEventListener('abort', onInterrupt);
  }
  const score = resilienceScore(experiments);
  const { exitCode, summary } = exitCodeOf(experiments, signal.aborted);
  journal.write('gameday-end', { exitCode, summary, score: score.value });
  return {
    version: GAMEDAY_REPORT_VERSION,
    kind: 'gameday',
    tool: { name: 'agentcheck', version },
    name: gameday.name,
    ...(gameday.description ? { description: gameday.description } : {}),
    source: gameday.file,
    team: gameday.teamFile,
    startedAt,
    durationMs: journal.now(),
    experiments,
    score,
    exitCode,
    summary,
    ...(signal.aborted ? { interrupted: { signal: String(signal.reason ?? 'SIGINT') } } : {}),
  };
}

function teamOptions(outDir: string, options: RunGameDayOptions, signal: AbortSignal) {
  return { outDir, signal, ...(options.toxiproxyUrl ? { toxiproxyUrl: options.toxiproxyUrl } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) };
}

function emptyRun(verdict: ExperimentVerdict, reason: string): ExperimentRun {
  return { verdict, reasons: [reason], durationMs: 0, budgets: [], invariants: [], checks: [], phases: [], faultWindows: [], timeline: [], toxicsLeft: [] };
}

function notRun(exp: Experiment, verdict: ExperimentVerdict, reason: string): ExperimentReport {
  return { ...emptyRun(verdict, reason), name: exp.name, ...(exp.description ? { description: exp.description } : {}), weight: exp.weight, restarted: exp.restart, rollback: [], findings: [] };
}

type TeamFor = (exp: Experiment, scenario: Scenario, dir: string) => Promise<TeamHandle>;

/** One experiment (every sweep cell of it), then its rollback, whatever happened. */
async function runExperiment(exp: Experiment, gameday: GameDay, options: RunGameDayOptions, journal: GameDayJournal, signal: AbortSignal, teamFor: TeamFor): Promise<ExperimentReport> {
  const dir = path.join(options.outDir, 'experiments', exp.name);
  mkdirSync(dir, { recursive: true });
  journal.write('experiment-start', { experiment: exp.name, phases: exp.scenario.phases.map((p) => ({ name: p.name, durationMs: p.durationMs, faults: p.faults.map((f) => `${f.type} ${f.edge}`) })) });
  const t0 = performance.now();
  let run: ExperimentRun;
  let sweep: SweepReport | undefined;
  try {
    if (exp.sweep) {
      sweep = { phase: exp.sweep.phase, edge: exp.sweep.edge, type: exp.sweep.type, attribute: exp.sweep.attribute, magnitudes: exp.sweep.magnitudes, durationsMs: exp.sweep.durationsMs, cells: [], boundary: [] };
      for (const cell of exp.sweep.cells) {
        if (signal.aborted) break;
        const label = `${exp.sweep.attribute}=${cell.magnitude} for ${cell.durationMs}ms`;
        const r = await runOnce(exp, cell.scenario, path.join(dir, `cell-${cell.magnitude}-${cell.durationMs}ms`), journal, signal, teamFor, options.seed, label);
        sweep.cells.push({ ...r, magnitude: cell.magnitude, durationMs: r.durationMs, faultDurationMs: cell.durationMs });
      }
      sweep.boundary = sweepBoundary(sweep);
      run = worstRun(sweep.cells) ?? emptyRun('interrupted', 'not run: interrupted');
      run = { ...run, reasons: [...sweepLines(sweep), ...run.reasons] };
    } else {
      run = await runOnce(exp, exp.scenario, dir, journal, signal, teamFor, options.seed);
    }
  } catch (err) {
    // A bug or a failed start: the experiment's verdict is `error`; the rollback still runs below.
    const message = isAgentcheckError(err) ? err.message : `internal error: ${(err as Error).stack ?? String(err)}`;
    if (signal.aborted) {
      // Interrupted while its team was starting: not an environment problem.
      run = emptyRun('interrupted', `interrupted by ${String(signal.reason ?? 'a signal')} before the experiment ran`);
    } else {
      journal.write('error', { experiment: exp.name, message, ...(isAgentcheckError(err) ? { exitCode: err.exitCode } : {}) });
      run = { ...emptyRun('error', message), errorExitCode: isAgentcheckError(err) ? err.exitCode : ExitCode.Internal };
    }
  }
  run.durationMs = Math.round(performance.now() - t0);
  const rollback = await runRollback(exp.rollback, path.dirname(gameday.file), (r) => journal.write('rollback-step', { experiment: exp.name, ...r }));
  const report: ExperimentReport = {
    ...run,
    name: exp.name,
    ...(exp.description ? { description: exp.description } : {}),
    weight: exp.weight,
    restarted: needsOwnTeam(exp),
    rollback,
    ...(sweep ? { sweep } : {}),
    findings: [],
  };
  report.findings = findingsOf(report);
  journal.write('experiment-end', { experiment: exp.name, verdict: report.verdict, reasons: report.reasons, findings: report.findings });
  return report;
}

/**
 * The seed of one experiment (or sweep cell): the game day's seed (the option, else the team
 * scenario's) qualified by the experiment's name and cell, so it is reproducible run to run but
 * differs between experiments. With one seed for all, every experiment would send the same workflow
 * ids, message ids and Idempotency-Keys, and a team shared between experiments (`restart: false`)
 * would rightly answer the repeats from its de-duplication caches without doing the work: the fault
 * would then be applied to traffic that never comes (0 decisions) and the hypothesis judged on
 * replayed answers — a pass for the wrong reason. `undefined` (no seed anywhere) keeps the run
 * context's fresh random seed per experiment.
 */
export function experimentSeed(base: string | number | undefined, experiment: string, cell?: string): string | undefined {
  if (base === undefined) return undefined;
  return [String(base), experiment, ...(cell ? [cell] : [])].join('/');
}

/**
 * One run of an experiment's timeline on a team: drive with the abort conditions, collect, judge,
 * the steady-state / during / after figures and the recovery clause; then the proxies checked clean.
 */
async function runOnce(exp: Experiment, scenario: Scenario, dir: string, journal: GameDayJournal, signal: AbortSignal, teamFor: TeamFor, seed: string | undefined, cell?: string): Promise<ExperimentRun> {
  const at = { experiment: exp.name, ...(cell ? { cell } : {}) };
  const startedAt = new Date().toISOString();
  const team = await teamFor(exp, scenario, dir);
  const { started } = team;
  const runSeed = experimentSeed(seed ?? scenario.seed, exp.name, cell);
  const ctx = createRunContext(scenario, { outDir: dir, signal, ...(runSeed !== undefined ? { seed: runSeed } : {}) });
  journal.write('measurement', { ...at, what: 'seed', seed: ctx.seed });
  void started.team.crashed.then((c) => ctx.abort(`agent '${c.agent}' crashed (exit ${c.exit})`));
  const evidence = new MemoryEvidence();
  const guard = abortGuard(exp, ctx, started, evidence, journal, at);
  let out: ExperimentRun | undefined;
  try {
    const driven = await driveStage(ctx, started, evidence, guard.hooks);
    guard.stop();
    if (driven.error !== undefined) throw driven.error;
    const collected = await collectStage(started, driven);
    // Every message-level fault decision the proxies made (fired or not), next to the journal.
    if (collected.journal.length > 0) writeFileSync(path.join(dir, 'fault-decisions.ndjson'), collected.journal.map((j) => JSON.stringify(j)).join('\n') + '\n');
    journal.write('measurement', { ...at, what: 'fault-decisions', count: collected.journal.length, fired: collected.journal.filter((j) => j.fired).length });
    const judged = driven.completed ? await judgeStage({ ctx, agentUrls: started.agentUrls, evidence, driven, collected }, defaultCheckers()) : undefined;
    const runReport = reportStage(ctx, { startedAt, agents: started.team.agentReports, driven, collected, ...(judged ? { judged } : {}) });
    const run = measure(exp, driven, evidence, journal, at);
    run.budgets = runReport.budgets;
    run.invariants = runReport.invariants;
    run.checks = runReport.checks;
    for (const b of run.budgets) journal.write('measurement', { ...at, what: 'budget', expression: b.expression, scope: b.scope, status: b.status, measured: b.measured, objective: b.objective, unit: b.unit });
    for (const i of run.invariants) journal.write('measurement', { ...at, what: 'invariant', name: i.name, when: i.when, status: i.status, ...(i.finding ? { finding: i.finding } : {}) });
    const verdict = verdictOf(runReport.verdict, run, driven, signal);
    run.verdict = verdict;
    out = run;
    run.reasons = [...(driven.abortedBy ? [`aborted: ${driven.abortedBy.reason}; faults removed ${driven.abortedBy.faultsRemovedAtMs - driven.abortedBy.atMs} ms after it fired`] : []), ...(run.recovery ? [`recovery ${run.recovery.status}: ${run.recovery.reason}`] : []), ...runReport.reasons];
    return run;
  } finally {
    guard.stop();
    await evidence.close().catch(() => undefined);
    // The drive stage removed the faults; this reads the proxies' own API to be sure (and repairs).
    const restored = await restoreProxies(started);
    if (out) out.toxicsLeft = restored.found;
    journal.write('proxies-restored', { ...at, toxicsFound: restored.found, removed: restored.removed, readable: restored.readable });
    if (team.own) {
      await stopStarted(started);
      journal.write('team-stop', at);
    }
  }
}

/** The drive hooks: abort conditions (window ones on live figures, invariants sampled) and the journal of every timeline action. */
function abortGuard(exp: Experiment, ctx: RunContext, started: Started, evidence: MemoryEvidence, journal: GameDayJournal, at: Record<string, string>): { hooks: DriveHooks; stop: () => void } {
  const method = new Set(exp.methodPhases);
  const windows = exp.abort.filter((c) => c.kind !== 'invariant');
  const invariantConditions = exp.abort.filter((c) => c.kind === 'invariant');
  let broken: string | undefined;
  const timers: NodeJS.Timeout[] = [];
  const startSampling = (phase: string) => {
    for (const c of invariantConditions) {
      const inv = ctx.scenario.invariants.find((i) => i.name === c.invariant);
      if (!inv) continue;
      let running = false;
      timers.push(
        setInterval(() => {
          if (running || broken) return;
          running = true;
          void evaluateInvariant(inv, phase, invariantContext(ctx, started.agentUrls, evidence))
            .then((r) => {
              if (r.status === 'fail') broken = `${c.text}${r.finding ? ` (${r.finding})` : ''}`;
            })
            .finally(() => {
              running = false;
            });
        }, c.everyMs),
      );
    }
  };
  const stop = () => {
    for (const t of timers.splice(0)) clearInterval(t);
  };
  let sampling = false;
  const hooks: DriveHooks = {
    ...(exp.abort.length > 0
      ? {
          abortWhen: (live) => {
            // The conditions guard the method; after it, the recovery clause judges.
            if (!method.has(live.phase)) return undefined;
            if (broken) return broken;
            for (const c of windows) {
              const why = windowConditionFires(c, live.window(c.windowMs));
              if (why) return why;
            }
            return undefined;
          },
        }
      : {}),
    onAction: (a) => {
      journal.write(a.kind, { ...at, phase: a.phase, runMs: a.atMs, ...(a.detail ? { detail: a.detail } : {}) });
      if (a.kind === 'phase' && method.has(a.phase) && !sampling) {
        sampling = true;
        startSampling(a.phase);
      }
      if ((a.kind === 'phase' && !method.has(a.phase)) || a.kind === 'abort') stop();
    },
  };
  return { hooks, stop };
}

/** Steady state, during, after and the recovery clause, from the driver's own history. */
function measure(exp: Experiment, driven: Driven, evidence: MemoryEvidence, journal: GameDayJournal, at: Record<string, string>): ExperimentRun {
  const load = driven.load;
  const run: ExperimentRun = { verdict: 'completed', reasons: [], durationMs: 0, budgets: [], invariants: [], checks: [], phases: [], faultWindows: driven.faultWindows, timeline: load?.timeline ?? ([] as TimePoint[]), toxicsLeft: [], ...(driven.abortedBy ? { abortedBy: driven.abortedBy } : {}) };
  if (!load) return run;
  const schedule = load.schedule;
  run.phases = schedule.map((s, i) => ({ name: s.name, startMs: s.startMs, endMs: schedule[i + 1]?.startMs ?? load.durationMs }));
  const samples = samplesOf(evidence.completions());
  const span = (name: string) => run.phases.find((p) => p.name === name);
  const steady = span(STEADY_PHASE);
  const after = span(AFTER_PHASE);
  if (steady) {
    run.steady = figuresOf(samples, steady.startMs, steady.endMs);
    journal.write('measurement', { ...at, what: 'steady-state', ...run.steady });
  }
  const methodSpans = run.phases.filter((p) => exp.methodPhases.includes(p.name));
  if (methodSpans.length > 0) {
    run.during = figuresOf(samples, methodSpans[0]!.startMs, methodSpans[methodSpans.length - 1]!.endMs);
    journal.write('measurement', { ...at, what: 'during', ...run.during });
  }
  if (after && driven.completed) {
    // The steady state again: the last steady-state-long stretch of the after phase.
    run.after = figuresOf(samples, Math.max(after.startMs, after.endMs - exp.steadyMs), after.endMs);
    journal.write('measurement', { ...at, what: 'after', ...run.after });
    if (exp.recovery && run.steady) {
      const removedAt = Math.max(after.startMs, ...driven.faultWindows.map((w) => w.endMs));
      run.recovery = judgeRecovery(exp.recovery, samples, run.steady, removedAt, after.endMs);
      journal.write('measurement', { ...at, what: 'recovery', status: run.recovery.status, recoveredAfterMs: run.recovery.recoveredAfterMs, reason: run.recovery.reason });
    }
  }
  return run;
}

/** The experiment's verdict from the run's verdict, the recovery clause and how the drive ended. */
function verdictOf(runVerdict: string, run: ExperimentRun, driven: Driven, signal: AbortSignal): ExperimentVerdict {
  if (signal.aborted) return 'interrupted';
  if (driven.abortedBy) return 'aborted';
  if (runVerdict === 'error') return 'error';
  if (runVerdict === 'fail' || run.recovery?.status === 'fail') return 'deviated';
  if (runVerdict === 'pass' && (run.recovery?.status ?? 'pass') === 'pass') return 'completed';
  // invalid, or a run that stopped early without a reason of its own (an agent crash aborts it): never a pass.
  return runVerdict === 'aborted' ? 'deviated' : 'invalid';
}

const VERDICT_RANK: Record<ExperimentVerdict, number> = { interrupted: 5, error: 4, aborted: 3, deviated: 2, invalid: 1, completed: 0 };

function worstRun<T extends ExperimentRun>(runs: readonly T[]): T | undefined {
  return runs.reduce<T | undefined>((a, b) => (a === undefined || VERDICT_RANK[b.verdict] > VERDICT_RANK[a.verdict] ? b : a), undefined);
}

/** Per fault duration, the smallest magnitude whose recovery failed and the largest below it that held. */
export function sweepBoundary(sweep: SweepReport): SweepReport['boundary'] {
  return sweep.durationsMs.map((durationMs) => {
    const cells = sweep.cells.filter((c) => c.faultDurationMs === durationMs).sort((a, b) => a.magnitude - b.magnitude);
    const failing = cells.find((c) => c.recovery?.status === 'fail' || c.verdict === 'aborted');
    const holding = cells.filter((c) => c.recovery?.status === 'pass' && (failing === undefined || c.magnitude < failing.magnitude));
    return { durationMs, firstFailing: failing?.magnitude ?? null, lastHolding: holding.length > 0 ? holding[holding.length - 1]!.magnitude : null };
  });
}

function sweepLines(sweep: SweepReport): string[] {
  return sweep.boundary.map((b) =>
    b.firstFailing === null
      ? `sweep ${sweep.type} ${sweep.edge} for ${b.durationMs} ms: recovered at every ${sweep.attribute} up to ${sweep.magnitudes[sweep.magnitudes.length - 1]}`
      : `sweep ${sweep.type} ${sweep.edge} for ${b.durationMs} ms: tips at ${sweep.attribute} = ${b.firstFailing}${b.lastHolding !== null ? ` (recovered at ${b.lastHolding})` : ''}`,
  );
}

/** Stable identifiers of what failed (the trend compares them between game days). */
export function findingsOf(r: ExperimentReport): string[] {
  const out = new Set<string>();
  for (const b of r.budgets) if (b.status === 'fail') out.add(`budget ${b.expression} [${b.scope}]`);
  for (const i of r.invariants) if (i.status === 'fail') out.add(`invariant ${i.name}`);
  for (const c of r.checks) if (c.status === 'fail') out.add(`${c.suite} ${c.name}`);
  if (r.recovery?.status === 'fail') out.add('recovery');
  if (r.abortedBy) out.add(`abort ${r.abortedBy.reason.replace(/ \(.*$/, '')}`);
  for (const b of r.sweep?.boundary ?? []) if (b.firstFailing !== null) out.add(`sweep tips at ${r.sweep!.attribute} ${b.firstFailing} for ${b.durationMs} ms`);
  for (const s of r.rollback) if (s.status === 'failed') out.add(`rollback ${s.name}`);
  if (r.toxicsLeft.length > 0) out.add('toxics left on the proxies');
  return [...out].sort();
}
