/**
 * Detectors: conclusions drawn from the traffic agentcheck saw through its proxies (retry storms,
 * loops, broken traces, undeclared calls). One interface here, one file per detector. Each
 * detector turns the run's hops into check results: the unambiguous ones gate the verdict by
 * default (`fail`), the others report (`warn`) unless the scenario makes them gate.
 */
import type { CheckResult } from '../report/model.js';
import type { Hop, PhaseSpan } from './hops.js';
import type { DirectCalls } from './sinkhole.js';
import type { ResolvedAllow } from './topology-allow.js';

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
    /** Set where the platform has no socket table to read (no /proc): why nothing was sampled. */
    unavailable?: string;
    /** Declared outside dependencies (`detectors.topology.allow`), with the addresses their names resolved to. */
    outside?: ResolvedAllow;
  };
  /** What the process runtime's forward proxy (`forward-proxy.ts`) refused, and whom it served. */
  forwardProxy?: ForwardProxyView;
  /** Direct calls between agents, as the containers runtime's network sinkhole answered them. */
  direct?: DirectCalls;
}

/** A call an agent sent through its forward proxy to something that is not one of its declared edges. */
export interface ForwardObservation {
  caller: string;
  /** `host:port` it asked for. */
  target: string;
  count: number;
  /** First time, ms on the load clock (negative: before the load started). */
  firstMs: number;
}

/** The forward proxy's side of the topology check. */
export interface ForwardProxyView {
  /** Every agent given a forward proxy, with the proxy variables its scenario `env` set itself (kept as given). */
  callers: ReadonlyMap<string, readonly string[]>;
  /** Requests and tunnels forwarded to a declared edge, per caller. */
  forwarded: ReadonlyMap<string, number>;
  violations: readonly ForwardObservation[];
  /** Calls forwarded to declared outside dependencies (`detectors.topology.allow`), with the entry that matched. */
  allowed?: ReadonlyArray<ForwardObservation & { entry: string }>;
  /** Agents by their own `host:port`, to name a peer whose port was asked for. */
  peers: ReadonlyMap<string, string>;
}

/** A detector plugin. */
export interface Detector {
  /** Shown as the check's suite (`detector: <name>`). */
  readonly name: string;
  detect(input: DetectorInput): CheckResult[];
}

/** The suite name of a detector's checks. */
export const suiteOf = (d: Pick<Detector, 'name'>): string => `detector: ${d.name}`;
