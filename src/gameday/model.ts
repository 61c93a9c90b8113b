/** The loaded game day: what `gameday plan` shows and `gameday run` runs (see docs/gameday.md). */
import type { Scenario } from '../scenario/types.js';
import type { AbortCondition } from './abort-condition.js';

/** Name of the phase the steady state is measured in, before the method. */
export const STEADY_PHASE = 'steady-state';
/** Name of the phase after the method: the steady state again, and the recovery window. */
export const AFTER_PHASE = 'after';

/** The recovery clause: after the last fault is removed, goodput ≥ `goodput` × steady and p99 ≤ `p99` × steady within `withinMs`, and stays. */
export interface RecoveryClause {
  withinMs: number;
  /** Share of the steady-state goodput (0.9 for "90%"). */
  goodput: number;
  /** Share of the steady-state p99 (1.5 for "150%"). */
  p99: number;
  /** Sliding window width, ms. */
  windowMs: number;
}

/** One rollback command. */
export interface RollbackStep {
  name: string;
  command: string[];
  timeoutMs: number;
}

/** One cell of a trigger sweep: the experiment with one fault's magnitude and its phase's duration set. */
export interface SweepCell {
  magnitude: number;
  durationMs: number;
  scenario: Scenario;
}

/** A trigger sweep over a fault attribute's magnitude × its phase's duration. */
export interface Sweep {
  phase: string;
  fault: number;
  edge: string;
  type: string;
  attribute: string;
  magnitudes: number[];
  durationsMs: number[];
  cells: SweepCell[];
}

/** One experiment, with its run scenario: the team's agents, edges and load; phases steady-state, the method, after. */
export interface Experiment {
  name: string;
  description?: string;
  weight: number;
  restart: boolean;
  steadyMs: number;
  /** The method's phase names, in order. */
  methodPhases: string[];
  recovery?: RecoveryClause;
  abort: AbortCondition[];
  rollback: RollbackStep[];
  scenario: Scenario;
  sweep?: Sweep;
}

/** A loaded, validated game day. */
export interface GameDay {
  name: string;
  description?: string;
  /** The game-day file (absolute). */
  file: string;
  /** The team's scenario file (absolute) and the scenario loaded from it. */
  teamFile: string;
  team: Scenario;
  experiments: Experiment[];
}

/**
 * Whether an experiment runs on a team of its own: when it asks (`restart`), and always with an
 * `exactly_once` invariant (the effects of earlier experiments would look unexpected to it).
 */
export function needsOwnTeam(exp: Pick<Experiment, 'restart' | 'scenario'>): boolean {
  return exp.restart || exp.scenario.invariants.some((i) => i.kind === 'exactly_once');
}
