/**
 * The run report: one versioned value that every reporter (JSON, JUnit, Markdown, HTML) renders.
 * `agentcheck scenario run`, `agentcheck load` and `agentcheck idempotency` all produce it, so a CI
 * job reads the same files whatever command it ran.
 */

/** Bumped on any incompatible change to {@link RunReport}. */
export const REPORT_VERSION = 1;

/** Outcome of one check. `invalid` means the check could not be judged (no data, too few samples). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'invalid' | 'skipped';

/** The verdict of a whole run; maps to the exit code (pass 0, fail 1, invalid 4, error 3, aborted 1). */
export type Verdict = 'pass' | 'fail' | 'invalid' | 'error' | 'aborted';

/** Latency percentiles in milliseconds (microsecond precision, so fractional). */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** One phase of the timeline as it actually ran. */
export interface PhaseReport {
  name: string;
  /** Milliseconds since the run's start. */
  startMs: number;
  endMs: number;
  /** Faults that were applied during this phase (edge and toxic). */
  faults: Array<{ edge: string; type: string; name: string; stream?: string; attributes?: Record<string, unknown> }>;
  requests: number;
  errors: number;
  timeouts: number;
  latency: LatencySummary | null;
  throughput: number;
}

/** One time bucket of the run (for the charts). */
export interface TimePoint {
  /** Milliseconds since the run's start (bucket start). */
  tMs: number;
  requests: number;
  errors: number;
  p50: number | null;
  p99: number | null;
}

/** A fault window for shading charts. */
export interface FaultWindow {
  startMs: number;
  endMs: number;
  label: string;
  /** The scenario phase whose faults these were (absent for windows that are not a phase's, e.g. an abort). */
  phase?: string;
}

/** One SLO budget evaluated over a scope (a phase, a window, or the whole run). */
export interface BudgetResult {
  /** The expression as written, e.g. `p(99) < 300ms`. */
  expression: string;
  metric: string;
  /** Phase name, or `run` for the whole run. */
  scope: string;
  status: CheckStatus;
  /** Measured value in the objective's unit (ms, ratio 0..1, req/s), or null with no data. */
  measured: number | null;
  /** The objective's threshold, in the same unit. */
  objective: number;
  unit: 'ms' | 'ratio' | 'per_second';
  samples: number;
  /** Burn rate over the scope, when the budget has an objective ratio. */
  burnRate?: number;
  /** Highest burn rate over the scope's windows (1/12 of the phase). */
  maxWindowBurnRate?: number;
  /** Why it failed or is invalid, in words. */
  reason?: string;
  /** The SLO objective as a ratio of good events (`p(99)` → 0.99, `error_rate < 1%` → 0.99), when the budget has one; burn rates are relative to it. Optional, added in report version 1. */
  objectiveRatio?: number;
  /** The budget judged over each short window of the scope (1/12 of the phase), in time order. Optional, added in report version 1. */
  windows?: BudgetWindowResult[];
}

/** One budget judged over one short window of a phase (1/12 of it). `skipped`: too few samples to judge. */
export interface BudgetWindowResult {
  /** Milliseconds since the run's start. */
  startMs: number;
  endMs: number;
  status: CheckStatus;
  /** Measured value in the budget's unit, or null with no data. */
  measured: number | null;
  samples: number;
  burnRate?: number;
}

/** One invariant (HTTP probe, command, exactly-once ledger) result. */
export interface InvariantResult {
  name: string;
  kind: 'http' | 'command' | 'exactly_once';
  /** `end` or the phase after which it was checked. */
  when: string;
  status: CheckStatus;
  /** One-line finding, e.g. "3 orders charged twice: o-1, o-7, o-9". */
  finding?: string;
  details?: unknown;
}

/** One agent of the team as started. */
export interface AgentReport {
  name: string;
  runtime: 'process' | 'container';
  url?: string;
  status: 'started' | 'failed' | 'crashed' | 'stopped';
  /** Milliseconds since the run's start when the agent was spawned. */
  startMs?: number;
  /** Milliseconds from spawn until the readiness check passed (the JUnit case's time). Added in report version 1, optional. */
  readyMs?: number;
  /** Path of the captured log, relative to the report folder. */
  log?: string;
  error?: string;
}

/** Per-edge (caller → callee) hop figures from the proxy's per-request records. */
export interface EdgeReport {
  edge: string;
  /** `nats`: a broker edge; `requests`, `errors` and `latency` are then unknown (0 / null) and its figures are in {@link subjects}. */
  protocol: 'http' | 'tcp' | 'nats';
  requests: number;
  errors: number;
  latency: LatencySummary | null;
  /** Share (0..1) of requests through this edge that carried a `traceparent`. */
  traceparentPropagated: number | null;
  /** Fault decisions that fired on this edge, by toxic type. */
  faultsFired: Record<string, number>;
  /** Share (0..1) of slow workflows this edge dominated (tail attribution). */
  slowShare?: number;
  /** This edge's hops over time (same buckets as {@link RunReport.timeline}). Optional, added in report version 1. */
  timeline?: TimePoint[];
  /** A nats edge's per-subject figures, as its proxy counted them (JetStream API subjects and request inboxes left out). */
  subjects?: SubjectFigures[];
}

/** One subject's figures on a nats edge (`GET /proxies/{p}/records`, see docs/message-faults.md). */
export interface SubjectFigures {
  subject: string;
  /** Messages read from clients (PUB/HPUB). */
  published: number;
  /** Messages read from the server (MSG/HMSG; JetStream status messages excluded). */
  delivered: number;
  /** Messages our `drop` did not forward. */
  dropped: number;
  /** Extra copies our `duplicate` sent. */
  duplicated: number;
  /** Deliveries whose JetStream delivery count was above 1. */
  redeliveries: number;
  /** JetStream acks seen (`+ACK`, empty, `+NXT`). */
  acks: number;
  /** Acks our `drop_ack` swallowed. */
  acksDropped: number;
  /** Consumer lag: the highest pending count seen on a delivery; null when no JetStream delivery was seen. */
  maxPending: number | null;
}

/**
 * How many workflows ended in one outcome class, in one phase. The same shape as the load driver's
 * `OutcomeCount`, so the runner copies `LoadResult.outcomes` as is.
 */
export interface WorkflowOutcomeCount {
  phase: string;
  workflow: string;
  /** Outcome class: `completed` (the one ok class), `failed`, `canceled`, `rejected`, `input-required`, `auth-required`, `timeout`, `jsonrpc:<code>`, `mcp:isError`, `http:<status>`, `connection:<code>`, … */
  class: string;
  /** The JSON-RPC method whose answer decided it, when there was one. */
  method?: string;
  count: number;
  /** The first error message seen for this class (a JSON-RPC `error.message`, a tool's text). */
  message?: string;
}

/** The workflows the load drove: terminal outcomes and latencies (start to terminal outcome). */
export interface WorkflowsReport {
  /** One row per (phase, workflow, class[, method]). */
  outcomes: WorkflowOutcomeCount[];
  /** Latency of each named workflow over the whole run, intended start to terminal outcome. */
  latency?: Array<{ workflow: string; latency: LatencySummary | null }>;
  /**
   * The entry hop over time (the `http` series: the first request of each workflow), when it is not
   * the same as {@link RunReport.timeline} (which is the workflow series).
   */
  entryTimeline?: TimePoint[];
}

/** A generic extra check (contracts, idempotency properties) so every command shares the report shape. */
export interface CheckResult {
  suite: string;
  name: string;
  status: CheckStatus;
  message?: string;
  details?: unknown;
}

/** The replay of a scenario run: `agentcheck scenario run <file> --seed <seed> --replay <journal>`. */
export interface ReplayInfo {
  /** The one command that replays this run (set when it failed). */
  command?: string;
  /** This run's journal.ndjson. */
  journal: string;
  seed: string;
  /** When this run was itself a replay (`--replay`): the run it replayed and whether it reproduced it. */
  of?: { journal: string; verdict: Verdict; failed: string[]; reproduced: boolean; message: string };
}

/** Everything a run produced. */
export interface RunReport {
  version: typeof REPORT_VERSION;
  tool: { name: 'agentcheck'; version: string };
  kind: 'scenario' | 'load' | 'idempotency' | 'contracts';
  title: string;
  /** The scenario file or target URL. */
  source?: string;
  seed?: string;
  startedAt: string;
  durationMs: number;
  verdict: Verdict;
  /** Why the verdict is what it is, one line each (first is the headline). */
  reasons: string[];
  aborted?: { signal?: string; reason: string };
  /** How to replay this run's fault decisions exactly (set on a failed scenario run), and, for a replay, whether it reproduced. */
  replay?: ReplayInfo;
  agents: AgentReport[];
  phases: PhaseReport[];
  budgets: BudgetResult[];
  invariants: InvariantResult[];
  edges: EdgeReport[];
  checks: CheckResult[];
  /** The load's timeline: one point per bucket of the workflow series (for plain requests, the requests). */
  timeline: TimePoint[];
  faultWindows: FaultWindow[];
  /** Workflow outcomes by class and per-workflow latency, when a load ran. Optional, added in report version 1. */
  workflows?: WorkflowsReport;
  /**
   * Tail attribution: which edge took most of the time of each slow workflow (slower than the
   * `percentile` of entry latencies), joined on the trace id of `traceparent`.
   */
  tail?: {
    percentile: number;
    thresholdMs: number;
    workflows: number;
    slow: number;
    unattributed: number;
    edges: Array<{ edge: string; dominated: number; share: number; meanTimeShare: number }>;
    examples: Array<{ id?: string; traceId: string; latencyMs: number; edge: string | null; edgeMs: number }>;
  };
  /** Free-form load-generator figures (target rate, achieved rate, late arrivals, CPU). */
  load?: Record<string, unknown>;
}
