/**
 * Running a scenario: a value in, a value out, through five stages that pass typed values
 * (Jepsen's `run!` is the model: a test map in, a completed map out, checkers that compose):
 *
 *   start   (stages/start.ts)    backend + team                      → {@link Started}
 *   drive   (stages/drive.ts)    warm-up, load, fault timeline       → {@link Driven}
 *   collect (stages/collect.ts)  hop records, journal, edge series   → {@link Collected}
 *   judge   (stages/judge.ts)    checkers: budgets, tail, invariants → {@link Judged}
 *   report  (stages/report.ts)   one RunReport and its verdict
 *
 * This file only sequences them and owns teardown: every exit path (success, failed check, crash,
 * exception, abort) stops the driver, removes the faults, stops the team and closes the backend.
 * The CLI writes the reports and maps the verdict to an exit code.
 */
import path from 'node:path';
import { isAgentcheckError } from '../errors.js';
import type { JournalEntry } from '../chaos/journal.js';
import type { InvariantResult, RunReport } from '../report/model.js';
import { collectStage, type Collected } from './stages/collect.js';
import { createRunContext } from './stages/context.js';
import { driveStage, type Driven } from './stages/drive.js';
import { StoreEvidence } from '../evidence/run-evidence.js';
import type { RunEvidence } from './stages/evidence.js';
import { defaultCheckers, judgeStage, type Checker, type Judged } from './stages/judge.js';
import type { RunScenarioOptions } from './stages/options.js';
import { reportStage } from './stages/report.js';
import { StartFailed, startStage, stopStarted, type Started } from './stages/start.js';
import type { Scenario } from './types.js';
import { JOURNAL_FILE, JournalDrain } from './journal-file.js';

export type { RunProgressEvent, RunScenarioOptions } from './stages/options.js';
export { newRunId } from './stages/start.js';

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

/** Extra knobs of {@link runScenarioDetailed} for callers that compose runs (game days, tests). */
export interface RunStagesOptions {
  /** The judge stage's checkers (default {@link defaultCheckers}); detectors are added here. */
  checkers?: readonly Checker[];
  /** Where the drive stage keeps the driver's history (default: the SQLite evidence store in the report folder). */
  evidence?: RunEvidence;
}

/** {@link runScenario}, also handing back the error behind an `error` verdict (the CLI maps it to an exit code). */
export async function runScenarioDetailed(scenario: Scenario, options: RunScenarioOptions, stages: RunStagesOptions = {}): Promise<ScenarioRunOutcome> {
  const startedAt = new Date().toISOString();
  const ctx = createRunContext(scenario, options);
  // The run's evidence lives in <outDir>/evidence.sqlite, not in memory (docs/evidence.md).
  const evidence = stages.evidence ?? StoreEvidence.open(options.outDir);
  const store = evidence instanceof StoreEvidence ? evidence.store : undefined;
  let started: Started | undefined;
  let driven: Driven | undefined;
  let collected: Collected | undefined;
  let judged: Judged | undefined;
  let drain: JournalDrain | undefined;
  let failure: unknown;
  let agents: RunReport['agents'] = [];
  try {
    try {
      started = await startStage(ctx);
    } catch (err) {
      if (!(err instanceof StartFailed)) throw err;
      await stopStarted(err.partial);
      agents = err.partial.agentReports ?? err.partial.team?.agentReports ?? [];
      if (isAgentcheckError(err.cause) && err.cause.code === 'config') throw err.cause;
      // An interrupt during start-up is judged as an abort below, not as an environment error.
      if (!ctx.signal.aborted || isAgentcheckError(err.cause)) failure = err.cause;
    }
    if (started) {
      agents = started.team.agentReports;
      // journal.ndjson in the report folder, read as the run goes (journal-file.ts).
      const journaledEdges = started.backend.embedded ? [...started.team.proxies].filter(([, p]) => p.edge.protocol !== 'tcp').map(([edge, p]) => ({ edge, proxyName: p.proxyName })) : [];
      drain = new JournalDrain(started.backend.url, journaledEdges, path.join(options.outDir, JOURNAL_FILE)).start();
      // Hop records stream into the store as they happen: no proxy buffer caps a long run.
      store?.attachSink(started.backend, started.team.proxies);
      driven = await driveStage(ctx, started, evidence);
      if (store) {
        if (driven.load) store.setDriverOrigin('main', Date.parse(driven.load.startedAt));
        await store.finish();
      }
      if (driven.error !== undefined) failure = driven.error;
      else {
        collected = await collectStage(started, driven, drain, store);
        if (collected.journalLost) ctx.notes.push(`note: ${collected.journalLost} fault decisions were evicted from the proxy's journal before they were saved`);
        if (driven.completed) judged = await judgeStage({ ctx, agentUrls: started.agentUrls, evidence, driven, collected }, stages.checkers ?? defaultCheckers());
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    // Whatever ended the run, the journal file gets every decision made before the proxies stop.
    await drain?.stop().catch(() => undefined);
    if (started) await stopStarted(started);
    await evidence.close().catch(() => undefined);
  }
  // A configuration error found on the way (a fault the proxy refused, a bad target) is exit 2.
  if (isAgentcheckError(failure) && failure.code === 'config') throw failure;
  const report = reportStage(ctx, { startedAt, agents, ...(driven ? { driven } : {}), ...(collected ? { collected } : {}), ...(judged ? { judged } : {}), ...(failure !== undefined ? { failure } : {}) });
  const journal = collected?.journal ?? drain?.entries ?? [];
  return failure === undefined ? { report, journal } : { report, error: failure, journal };
}

export type { InvariantResult };
export type { Checker, CheckerOutput, JudgeInput } from './stages/judge.js';
export type { RunEvidence } from './stages/evidence.js';
