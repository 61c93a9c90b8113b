/**
 * Stage 4, judge: checkers read what the run produced and say what held. Each {@link Checker} is
 * one plugin (budgets, tail attribution, invariants at the end; detectors plug in the same way)
 * and contributes its part of the verdict; {@link judgeStage} runs them in order and merges their
 * outputs. Checkers never throw for a finding: a failed or unjudgeable check is a result.
 */
import type { HistoryEvent as DriverHistoryEvent } from '../../load/driver.js';
import { evaluateBudgets } from '../../load/budget.js';
import { attributeTail, type HopRecord, type WorkflowSample } from '../../load/attribution.js';
import type { BudgetResult, CheckResult, InvariantResult, RunReport } from '../../report/model.js';
import { evaluateInvariant } from '../invariants.js';
import type { Collected } from './collect.js';
import type { RunContext } from './context.js';
import type { Driven } from './drive.js';
import type { RunEvidence } from './evidence.js';
import { detectorChecker } from './detectors.js';
import { StoreEvidence } from '../../evidence/run-evidence.js';
import { faultCoverageChecker } from './fault-coverage.js';
import { invariantContext } from './invariant-context.js';

/** Everything a checker may read. */
export interface JudgeInput {
  ctx: RunContext;
  agentUrls: Map<string, string>;
  evidence: RunEvidence;
  driven: Driven;
  collected: Collected;
}

/** One checker's contribution to the report. */
export interface CheckerOutput {
  budgets?: BudgetResult[];
  invariants?: InvariantResult[];
  checks?: CheckResult[];
  tail?: NonNullable<RunReport['tail']>;
  /** Reasons the run cannot be judged (exit 4), e.g. budgets declared without any load. */
  invalid?: string[];
}

/** A plugin of the judge stage. */
export interface Checker {
  readonly name: string;
  check(input: JudgeInput): Promise<CheckerOutput>;
}

/** The merged outputs of every checker. */
export interface Judged {
  budgets: BudgetResult[];
  invariants: InvariantResult[];
  checks: CheckResult[];
  tail?: NonNullable<RunReport['tail']>;
  invalid: string[];
}

/** SLO budgets per phase and per window over every recorded series. */
export const budgetChecker: Checker = {
  name: 'budgets',
  async check({ ctx, driven, collected }) {
    if (ctx.budgets.length === 0) return {};
    if (!driven.load) return { invalid: ['the scenario has SLO budgets but no load section, so nothing was measured'] };
    const phases = ctx.scenario.phases.map((p) => p.name);
    return { budgets: evaluateBudgets(ctx.budgets, { series: collected.series, phases }) as BudgetResult[] };
  },
};

/**
 * Which edge dominated each slow workflow. "Slow" is above the percentile of the first latency
 * percentile budget on the entry (`p(99)` → the slowest 1 %), else above p99. An analysis, not a
 * gate: it adds no check.
 */
export const tailChecker: Checker = {
  name: 'tail attribution',
  async check({ ctx, driven, evidence, collected }) {
    if (!driven.load) return {};
    const latencyBudget = ctx.budgets.find((b) => b.measure === 'latency' && b.stat.kind === 'percentile' && (b.stream === 'http' || b.stream === 'workflow'));
    const percentile = latencyBudget && latencyBudget.stat.kind === 'percentile' ? latencyBudget.stat.p : 99;
    // Workflows judged to their terminal outcome; each one's hops are those that started within
    // its own window (on the hops' wall clock), so work done after it ended is not blamed on it.
    // With the evidence store this is one query that holds only the slow workflows' hops.
    if (evidence instanceof StoreEvidence) {
      const { series: _series, ...tail } = evidence.store.tailAttribution({ series: 'workflow', percentile });
      return { tail };
    }
    const zero = Date.parse(driven.load.startedAt);
    const workflows: WorkflowSample[] = [];
    for (const e of evidence.completions() as Iterable<DriverHistoryEvent>) {
      if (e.latencyMs !== undefined) workflows.push({ traceparent: e.traceparent, latencyMs: e.latencyMs, id: e.key, startMs: zero + e.tMs - e.latencyMs, endMs: zero + e.tMs });
    }
    const hops: HopRecord[] = [];
    for (const r of collected.hops()) {
      if (r.traceparent && r.copyOf === undefined) {
        hops.push({ edge: r.edge, traceparent: r.traceparent, latencyMs: r.latencyMs, startMs: Date.parse(r.time), ...(r.status !== null ? { status: r.status } : {}) });
      }
    }
    return { tail: { percentile, ...attributeTail(workflows, hops, { percentile }) } };
  },
};

/**
 * Invariants at the end (and every `exactly_once`, which is only judged at the end: mid-run,
 * requests still in flight would look lost), plus the ones taken after each phase during drive.
 */
export const invariantChecker: Checker = {
  name: 'invariants',
  async check({ ctx, agentUrls, evidence, driven, collected }) {
    const results = [...driven.phaseInvariants];
    const context = invariantContext(ctx, agentUrls, evidence, collected.duplicatesDelivered);
    for (const inv of ctx.scenario.invariants.filter((i) => i.after === 'end' || i.kind === 'exactly_once')) {
      results.push(await evaluateInvariant(inv, 'end', context));
    }
    return { invariants: results };
  },
};

/** The checkers of a scenario run, in report order. */
export function defaultCheckers(): Checker[] {
  return [budgetChecker, tailChecker, invariantChecker, faultCoverageChecker, detectorChecker()];
}

/** Runs every checker and merges their outputs. */
export async function judgeStage(input: JudgeInput, checkers: readonly Checker[] = defaultCheckers()): Promise<Judged> {
  const judged: Judged = { budgets: [], invariants: [], checks: [], invalid: [] };
  for (const checker of checkers) {
    const out = await checker.check(input);
    judged.budgets.push(...(out.budgets ?? []));
    judged.invariants.push(...(out.invariants ?? []));
    judged.checks.push(...(out.checks ?? []));
    judged.invalid.push(...(out.invalid ?? []));
    if (out.tail) judged.tail = out.tail;
  }
  return judged;
}
