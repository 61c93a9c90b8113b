/**
 * The run context: what every stage of a scenario run reads and nothing stage-specific. Built once
 * by {@link createRunContext} from the scenario and the caller's options; stages receive it with the
 * typed value the previous stage produced (start → drive → collect → judge → report).
 */
import path from 'node:path';
import { isAmplificationBudget, parseAmplificationBudget, type AmplificationBudget } from '../../detect/amplification-budget.js';
import { AgentcheckError } from '../../errors.js';
import { compileBudgets, type Budget } from '../../load/budget.js';
import type { Scenario } from '../types.js';
import type { RunScenarioOptions } from './options.js';

/** Thrown inside a stage when the run's signal fired (Ctrl-C, an agent crash): the stage unwinds, the report says why. */
export class RunAborted extends Error {
  constructor() {
    super('run aborted');
  }
}

/** Shared, read-mostly facts of one run. */
export interface RunContext {
  readonly scenario: Scenario;
  readonly options: RunScenarioOptions;
  /** The seed in force (the option, else the scenario's, else a fresh random one). */
  readonly seed: string;
  /** Milliseconds since the run's start (the clock of every `startMs`/`tMs` in the report). */
  readonly clock: () => number;
  /** Fires on the caller's abort (Ctrl-C) and on {@link RunContext.abort} (an agent crashed). */
  readonly signal: AbortSignal;
  /** Ends the run early for an internal reason (the reason is kept for the report). */
  abort(reason: string): void;
  /** The first internal abort reason, if any. */
  readonly abortReason: () => string | undefined;
  /** Where agents' logs go. */
  readonly logDir: string;
  /** Budgets compiled before anything starts: a typo is a configuration error, not a failed run. */
  readonly budgets: Budget[];
  /** `edge.a->b.amplification <= N` budgets: limits for the amplification detector. */
  readonly amplificationBudgets: readonly AmplificationBudget[];
  /** Informational lines for the report's reasons (never change the verdict). */
  readonly notes: string[];
  /** Throws {@link RunAborted} when the run's signal fired. */
  checkAbort(): void;
}

/** Builds the context; compiles the budgets (throws a configuration error, exit 2, on a bad one). */
export function createRunContext(scenario: Scenario, options: RunScenarioOptions): RunContext {
  const t0 = performance.now();
  const internal = new AbortController();
  const signal = AbortSignal.any([internal.signal, ...(options.signal ? [options.signal] : [])]);
  let reason: string | undefined;
  const edges = scenario.edges.map((e) => `${e.from}->${e.to}`);
  // Amplification budgets are limits for the detector, not series budgets (see amplification-budget.ts).
  const amplificationBudgets: AmplificationBudget[] = [];
  const seriesBudgets = scenario.slo.filter((s) => {
    if (!isAmplificationBudget(s.budget)) return true;
    const parsed = parseAmplificationBudget(s.budget, edges);
    if (typeof parsed === 'string') throw new AgentcheckError('config', `slo '${s.budget}': ${parsed}`);
    amplificationBudgets.push(parsed);
    return false;
  });
  const budgets = compileBudgets(
    seriesBudgets.map((s) => (s.phases ? { budget: s.budget, phases: s.phases } : s.budget)),
    { phases: scenario.phases.map((p) => p.name), edges },
  );
  return {
    scenario,
    options,
    seed: options.seed ?? scenario.seed ?? String(Math.floor(Math.random() * 2 ** 31)),
    clock: () => Math.round(performance.now() - t0),
    signal,
    abort(why: string) {
      reason ??= why;
      internal.abort();
    },
    abortReason: () => reason,
    logDir: path.join(options.outDir, 'logs'),
    budgets,
    amplificationBudgets,
    notes: [],
    checkAbort() {
      if (signal.aborted) throw new RunAborted();
    },
  };
}
