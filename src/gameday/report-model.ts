/** The game day's report (`gameday.json`): what every writer renders and `gameday report DIR` reads back. */
import type { BudgetResult, CheckResult, FaultWindow, InvariantResult, TimePoint } from '../report/model.js';
import type { Figures, RecoveryResult } from './recovery.js';
import type { RollbackResult } from './rollback.js';

/** Version of the JSON layout. */
export const GAMEDAY_REPORT_VERSION = 1;

/**
 * An experiment's verdict: `completed` (the hypothesis held), `deviated` (it did not), `aborted`
 * (an abort condition fired: the method was stopped), `interrupted` (a signal), `error` (the
 * environment or a bug ended it), `invalid` (it ran but could not be judged: too little data).
 */
export type ExperimentVerdict = 'completed' | 'deviated' | 'aborted' | 'interrupted' | 'error' | 'invalid';

/** One run of an experiment's timeline (the experiment itself, or one sweep cell). */
export interface ExperimentRun {
  verdict: ExperimentVerdict;
  reasons: string[];
  durationMs: number;
  steady?: Figures;
  during?: Figures;
  after?: Figures;
  recovery?: RecoveryResult;
  abortedBy?: { reason: string; atMs: number; faultsRemovedAtMs: number };
  budgets: BudgetResult[];
  invariants: InvariantResult[];
  checks: CheckResult[];
  phases: Array<{ name: string; startMs: number; endMs: number }>;
  faultWindows: FaultWindow[];
  timeline: TimePoint[];
  /** Toxics found on the proxies after the run (the drive stage should have removed them all). */
  toxicsLeft: string[];
  /** With verdict `error`: the exit code of the error (3 environment, 2 configuration, 70 a bug). */
  errorExitCode?: number;
}

/** One cell of a trigger sweep. */
export interface SweepCellReport extends ExperimentRun {
  magnitude: number;
  durationMs: number;
  /** The fault phase's duration (the swept one). */
  faultDurationMs: number;
}

/** The sweep's summary. */
export interface SweepReport {
  phase: string;
  edge: string;
  type: string;
  attribute: string;
  magnitudes: number[];
  durationsMs: number[];
  cells: SweepCellReport[];
  /** Per fault duration: the smallest magnitude whose recovery failed (null: it always recovered). */
  boundary: Array<{ durationMs: number; firstFailing: number | null; lastHolding: number | null }>;
}

/** One experiment in the report. */
export interface ExperimentReport extends ExperimentRun {
  name: string;
  description?: string;
  weight: number;
  /** Whether it ran on a team of its own. */
  restarted: boolean;
  rollback: RollbackResult[];
  sweep?: SweepReport;
  /** Stable identifiers of what failed, for the trend (new / fixed findings). */
  findings: string[];
}

/** The resilience score. */
export interface ResilienceScore {
  /** 0..100. */
  value: number | null;
  formula: string;
  heldWeight: number;
  judgedWeight: number;
}

/** The whole game day. */
export interface GameDayReport {
  version: number;
  kind: 'gameday';
  tool: { name: 'agentcheck'; version: string };
  name: string;
  description?: string;
  source: string;
  team: string;
  startedAt: string;
  durationMs: number;
  experiments: ExperimentReport[];
  score: ResilienceScore;
  exitCode: number;
  /** One line saying why the exit code is what it is. */
  summary: string;
  interrupted?: { signal: string };
  trend?: import('./trend.js').Trend;
}
