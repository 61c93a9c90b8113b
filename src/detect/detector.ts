/**
 * Detectors: conclusions drawn from the traffic agentcheck saw through its proxies (retry storms,
 * loops, broken traces, undeclared calls). One interface here, one file per detector. Each
 * detector turns the run's hops into check results: the unambiguous ones gate the verdict by
 * default (`fail`), the others report (`warn`) unless the scenario makes them gate.
 */
import type { CheckResult } from '../report/model.js';
import type { Hop, PhaseSpan } from './hops.js';
import type { DirectCalls } from './sinkhole.js';

/** One workflow as the load driver started it (the entry agent's inbound traffic). */
export interface EntryWorkflow {
  traceId: string | null;
  tMs: number;
  phase: string;
}

/** A connection an agent process held, seen from the outside (the process runtime's socket view). */
export interface SocketObservation {
  agent: string;
  /** `host:port` it was connected to. */
  remote: string;
  /** First time seen, ms on the load clock. */
  firstMs: number;
  /** Times seen across samples. */
  count: number;
}

/** What every detector may read. */
export interface DetectorInput {
  hops: readonly Hop[];
  /** The scenario's declared edges (`from->to`). */
  edges: ReadonlyArray<{ id: string; from: string; to: string }>;
  /** The entry agent (load target), if there is load. */
  entry?: string;
  /** Workflows the load driver started (warm-up included). */
  workflows: readonly EntryWorkflow[];
  phases: readonly PhaseSpan[];
  /** Connections agent processes held (process runtime only), with the addresses that were allowed. */
  sockets?: {
    observations: readonly SocketObservation[];
    allowed: ReadonlyMap<string, ReadonlySet<string>>;
    peers: ReadonlyMap<string, string>;
    /** Set when sampling failed: nothing may be concluded from the (empty) observations. */
    failure?: string;
  };
  /** Direct calls between agents, as the containers runtime's network sinkhole answered them. */
  direct?: DirectCalls;
}

/** A detector plugin. */
export interface Detector {
  /** Shown as the check's suite (`detector: <name>`). */
  readonly name: string;
  detect(input: DetectorInput): CheckResult[];
}

/** The suite name of a detector's checks. */
export const suiteOf = (d: Pick<Detector, 'name'>): string => `detector: ${d.name}`;
