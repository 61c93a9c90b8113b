/**
 * Stage 5, report: one {@link RunReport} from the values the other stages produced, with the one
 * verdict rule of `src/report/verdict.ts`. Any stage may be missing (a run that stopped early):
 * the report then covers what ran, and a run that did not finish is never a pass.
 */
import { createRequire } from 'node:module';
import type { LoadResult } from '../../load/driver.js';
import { REPORT_VERSION, type AgentReport, type RunReport } from '../../report/model.js';
import { judgeReport } from '../../report/verdict.js';
import type { ScenarioPhase } from '../types.js';
import type { Collected } from './collect.js';
import type { RunContext } from './context.js';
import type { Driven } from './drive.js';
import type { Judged } from './judge.js';

const require = createRequire(import.meta.url);
const { version } = require('../../../package.json') as { version: string };

/** What the report stage is given; every stage's value is optional. */
export interface ReportInput {
  startedAt: string;
  agents: AgentReport[];
  driven?: Driven;
  collected?: Collected;
  judged?: Judged;
  /** The error that made the run end with verdict `error` (an environment problem or a bug). */
  failure?: unknown;
}

/** Builds the report and its verdict. */
export function reportStage(ctx: RunContext, input: ReportInput): RunReport {
  const { scenario } = ctx;
  const { driven, collected, judged } = input;
  const load = driven?.load;
  const report: RunReport = {
    version: REPORT_VERSION,
    tool: { name: 'agentcheck', version },
    kind: 'scenario',
    title: scenario.name,
    ...(scenario.source.file ? { source: scenario.source.file } : {}),
    seed: ctx.seed,
    startedAt: input.startedAt,
    durationMs: ctx.clock(),
    verdict: 'error',
    reasons: [],
    agents: input.agents,
    phases: load ? phaseReports(load, scenario.phases) : [],
    budgets: judged?.budgets ?? [],
    invariants: judged?.invariants ?? driven?.phaseInvariants ?? [],
    edges: collected?.edges ?? [],
    checks: judged?.checks ?? [],
    timeline: load?.timeline ?? [],
    faultWindows: driven?.faultWindows ?? [],
  };
  if (load && judged) report.load = { ...load.generator, model: load.model, validity: load.validity };
  if (load) {
    // The timeline is the workflow series; the entry hop's own is kept when it differs (async tasks).
    report.workflows = { outcomes: load.outcomes, ...(load.workflow.timeline !== load.series.timeline && load.series.timeline.length > 0 ? { entryTimeline: load.series.timeline } : {}) };
  }
  if (collected) {
    for (const edge of report.edges) {
      const series = collected.series[`edge.${edge.edge}`];
      if (series && series.timeline.length > 0) edge.timeline = series.timeline;
    }
  }
  if (judged?.tail) {
    report.tail = judged.tail;
    for (const edge of report.edges) {
      const share = judged.tail.edges.find((t) => t.edge === edge.edge)?.share;
      if (share !== undefined) edge.slowShare = share;
    }
  }
  if (ctx.options.signal?.aborted) {
    report.aborted = { signal: String(ctx.options.signal.reason ?? 'SIGINT'), reason: 'interrupted before the run finished; figures cover what ran' };
  }
  if (input.failure !== undefined && !report.aborted) {
    report.reasons = [(input.failure as Error).message ?? String(input.failure)];
    return report;
  }
  const invalid = [...(judged?.invalid ?? [])];
  if (load && judged && !load.validity.valid) invalid.push(...load.validity.reasons);
  if (!judged && !report.aborted && !report.agents.some((a) => a.status === 'crashed')) {
    invalid.push(ctx.abortReason() ?? 'the run stopped before its end');
  }
  const verdict = judgeReport(report, invalid);
  report.verdict = verdict.verdict;
  report.reasons = [...verdict.reasons, ...ctx.notes];
  return report;
}

function phaseReports(load: LoadResult, phases: ScenarioPhase[]): RunReport['phases'] {
  return load.phases.map((p) => ({ ...p, faults: faultsOf(phases.find((s) => s.name === p.name)) }));
}

function faultsOf(phase: ScenarioPhase | undefined) {
  return (phase?.faults ?? []).map((f) => ({ edge: f.edge, type: f.type, name: f.name, ...(f.stream ? { stream: f.stream } : {}), attributes: f.attributes }));
}
