/**
 * The scenario model, twice: {@link ScenarioInput} is what a user writes (YAML, JSON, or
 * TypeScript through `defineScenario()`), {@link Scenario} is what the loader hands the runner:
 * validated, durations in milliseconds, defaults filled, paths absolute, ids computed.
 * The schema in `schema.ts` is the authority on the input shape; docs/scenario.md documents it.
 */

/** A duration: a number of milliseconds, or a string such as `"500ms"`, `"2s"`, `"1m30s"`. */
export type DurationInput = number | string;

/** A command line: one string (split like a shell would, no expansion) or an argv array. */
export type CommandInput = string | string[];

/** The HTTP methods a load request may use. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** Scenario file as written. See docs/scenario.md for every field and its default. */
export interface ScenarioInput {
  /** JSON Schema reference for editors; ignored by agentcheck. */
  $schema?: string;
  name: string;
  description?: string;
  /** Seed of the run's RNG (fault decisions, generated ids). Default: random, printed in the report. */
  seed?: number | string;
  /** Load before the first phase whose results are discarded. Default 0. */
  warmup?: DurationInput;
  /** Which fault proxy serves the edges. Default `{ backend: 'embedded' }`. */
  chaos?: ChaosInput;
  /** Where the agents run. Default `process`. */
  runtime?: 'process' | 'containers';
  agents: AgentInput[];
  edges: EdgeInput[];
  phases: PhaseInput[];
  load?: LoadInput;
  slo?: SloInput[];
  invariants?: InvariantInput[];
  /** Detectors of the traffic the proxies saw (all on by default). */
  detectors?: DetectorsInput;
}

/** The fault proxy: agentcheck's own (`embedded`) or a real Toxiproxy. */
export interface ChaosInput {
  backend: 'embedded' | 'toxiproxy';
  /** Toxiproxy API URL (process runtime), e.g. `http://127.0.0.1:8474`. */
  url?: string;
  /** Proxy image (containers runtime). */
  image?: string;
}

/** One agent of the team. */
export interface AgentInput {
  name: string;
  /** Attach mode: the base URL of an agent that already runs (no command/image/build); never started or stopped. */
  url?: string;
  /** Process runtime: how to start it. */
  command?: CommandInput;
  /** Working directory, relative to the scenario file's folder. Default: that folder. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string | number | boolean>;
  /** Containers runtime: an image used as is. */
  image?: string;
  /** Containers runtime: an image built from a Dockerfile. */
  build?: { context: string; dockerfile?: string };
  /** The port the agent listens on (given to it as `PORT`). Default `auto` (a free port). */
  port?: number | 'auto';
  /** How to know it is ready. Default `{ tcp: true, timeout: '10s' }`. */
  readiness?: { http?: string; tcp?: true; timeout?: DurationInput };
}

/** A caller → callee connection, routed through one proxy. */
export interface EdgeInput {
  from: string;
  to: string;
  /** The environment variable the caller reads the callee's (proxied) base URL from (not for a caller attached by url). */
  env?: string;
  /** A proxy that already runs beside the team, on a Toxiproxy-compatible API. */
  proxy?: EdgeProxyInput;
  /** `http` enables message-level faults on this edge; `nats` NATS message faults (an edge to a NATS server). Default `http`. */
  protocol?: 'http' | 'tcp' | 'nats';
}

/** An edge's proxy on a remote Toxiproxy-compatible API (agentcheck proxy or Toxiproxy). */
export interface EdgeProxyInput {
  /** API base URL, e.g. `http://10.0.0.5:8474`. */
  api: string;
  /** Proxy name on that API. */
  name: string;
  /** `host:port` it listens on; with `upstream`, the proxy is created when missing (and deleted at the end). */
  listen?: string;
  /** `host:port` it forwards to; checked against an existing proxy. */
  upstream?: string;
}

/** Request matching for message-level faults. */
export interface FaultMatchInput {
  /** HTTP method(s). */
  method?: string | string[];
  /** Path glob(s) without the query string, e.g. `/charges` or `/a2a/**`. */
  path?: string | string[];
  /** Header values the request must carry (`*` matches any run of characters). */
  header?: Record<string, string>;
  /** The JSON-RPC `method`(s) in the request body (A2A `SendMessage`, MCP `tools/call`). */
  jsonrpc_method?: string | string[];
  /** nats edges: NATS subject(s), `*` / `>` wildcards. */
  subject?: string | string[];
  /** nats edges: `publish` (caller → server) and/or `deliver` (server → caller); default both. */
  direction?: string | string[];
  /** nats edges: JetStream stream of a delivery or ack. */
  stream?: string;
  /** nats edges: JetStream consumer of a delivery or ack. */
  consumer?: string;
}

/** One fault applied to one edge for the length of a phase. */
export interface FaultInput {
  /** `"from->to"`, naming an edge. */
  edge: string;
  /** The toxic type, e.g. `latency`, `duplicate`. */
  type: string;
  /** Toxic name. Default `<phase>-<type>-<index>`. */
  name?: string;
  stream?: 'upstream' | 'downstream';
  /** Share of connections affected, 0..1. Default 1. */
  toxicity?: number;
  attributes?: Record<string, unknown>;
  match?: FaultMatchInput;
  /** Message-level: per-request firing probability, 0..1 (the same as `toxicity` there; set one). */
  probability?: number;
  /** Message-level: fire on the first N matching requests only. */
  first?: number;
  /** Message-level: fire on every Nth matching request. */
  every?: number;
}

/** One step of the timeline. */
export interface PhaseInput {
  name: string;
  duration: DurationInput;
  faults?: FaultInput[];
  /** Overrides the load's rate during this phase. */
  load?: { rate?: number };
}

/** One request template; strings may hold placeholders such as `${uuid}`. */
export interface RequestInput {
  name?: string;
  method: HttpMethod;
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless a string. */
  body?: unknown;
}

/** A step that publishes a message to a NATS broker; strings may hold placeholders. */
export interface PublishInput {
  subject: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless a string. */
  body?: unknown;
}

/** A step that waits for the NATS event that matches its workflow. */
export interface AwaitEventInput {
  /** Subscribed before the run (wildcards allowed, no placeholders). */
  subject: string;
  /** The event whose JSON holds `equals` (a template, e.g. `${uuid}`) at `path` completes the step. */
  match: { path: string; equals: string };
  /** Longest wait from the step's start. Default: the workflow timeout. */
  timeout?: DurationInput;
}

/**
 * One step of a workflow; strings may hold placeholders, including names earlier steps extract.
 * An HTTP request (`path`), or an event step (`publish` / `await_event`) on a NATS broker.
 */
export interface StepInput {
  /** Unique in its workflow. Default `step<N>`. */
  name?: string;
  /** Default GET, or POST with a body. */
  method?: HttpMethod;
  /** An HTTP step's request path (an HTTP step has a path, an event step has none). */
  path?: string;
  publish?: PublishInput;
  await_event?: AwaitEventInput;
  /** Event steps: the agent whose port is the broker (default: load.nats, else the scenario's one broker). */
  via?: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless a string. */
  body?: unknown;
  /** name → path into the JSON answer, e.g. `{ taskId: 'result.id' }`. */
  extract?: Record<string, string>;
  /** Poll: resend until the value at `path` is one of `in`. */
  until?: { path: string; in: Array<string | number | boolean | null> };
  /** Poll: wait between resends. Default `100ms`. */
  interval?: DurationInput;
  /** Poll: give up after this long from the step's start. Default: the workflow timeout. */
  timeout?: DurationInput;
}

/** A named workflow of the mix. */
export interface WorkflowInput {
  name: string;
  /** Default 1. */
  weight?: number;
  steps: StepInput[];
}

/** Protocol following; on by default. */
export interface FollowInput {
  a2a?:
    | false
    | {
        poll_interval?: DurationInput;
        max_interval?: DurationInput;
        input_required?: 'error' | 'ok';
        auth_required?: 'error' | 'ok';
      };
}

/** The traffic driven at the entry agent. */
export interface LoadInput {
  target: string;
  /** `open`: fixed arrival rate (default); `closed`: N connections back to back. */
  model?: 'open' | 'closed';
  /** Requests per second (open model). Default 20. */
  rate?: number;
  /** Connections (closed model; open-model concurrency cap). Default 10. */
  connections?: number;
  /** Open model: generator processes sharing one seeded schedule (arrival k → generator k mod N). Default 1. */
  generators?: number;
  /** Default: the sum of the phases. */
  duration?: DurationInput;
  /** Per-request timeout. Default `2s`. */
  timeout?: DurationInput;
  /**
   * Open model: an arrival sent later than this after its intended start counts as late. Default
   * `50ms` (the agents share the machine with the generator; `agentcheck load` defaults to 10 ms).
   */
  late_tolerance?: DurationInput;
  /** Open model: more late arrivals than this share (0..1) makes the run invalid (exit 4). Default 0.05. */
  max_late?: number;
  /** A whole workflow's timeout (intended start → terminal outcome). Default `30s`. */
  workflow_timeout?: DurationInput;
  /** Protocol following. Default: A2A tasks followed, polls from 100 ms to 1 s. */
  follow?: FollowInput;
  /** Workflows in a weighted mix. */
  workflows?: WorkflowInput[];
  /** The short form: each request is a one-step workflow of weight 1. Give workflows, requests, or both. */
  requests?: RequestInput[];
  /** Event steps: a broker that runs elsewhere, `nats://host:port` (a step's `via` wins). */
  nats?: string;
}

/** An SLO budget expression, or one with a name and a phase scope. */
export type SloInput = string | { budget: string; phases?: string[]; name?: string };

/** Tuning of the detectors; `false` turns one off. See docs/detectors.md. */
export interface DetectorsInput {
  /** Retry amplification: largest attempts per logical request on any edge in any phase (default 3). */
  amplification?: false | { limit?: number };
  /** Call cycles within a trace, and step repetition. */
  loops?: false | { allow?: string[]; repetition?: 'warn' | 'gate'; threshold?: number };
  /** Trace continuity: smallest share of outbound requests carrying the inbound trace id (default 1). */
  traces?: false | { min_share?: number };
  /** Callers honour 429 / Retry-After. */
  retry_after?: false;
  /**
   * Topology conformance (process runtime: the forward proxy and the agents' sockets; containers:
   * the network sinkhole). `allow`: declared outside dependencies, `host[:port]`, `*.domain[:port]`,
   * `IP/CIDR[:port]` (IPv6 in brackets before a port), or `{ from: agent, to: … }` for one caller.
   */
  topology?: false | { allow?: Array<string | { from: string; to: string }> };
}

/** A check run at the end of the run (and optionally after each phase). */
export interface InvariantInput {
  name: string;
  /** GET `path` on `agent`; passes when it answers JSON `{ ok: true }`. */
  http?: { agent: string; path: string };
  /** Passes when the command exits 0. */
  command?: CommandInput;
  /** Each key the load driver submitted has exactly one effect in the agent's effect list. */
  exactly_once?: {
    /** `list`: dot path to the array in the probe's answer (default: the answer, or its only array property). */
    effects: { agent: string; path: string; list?: string };
    /** Dot path of the key in each effect; also the request body field submitted keys are read from (without `join`). */
    key: string;
    /** Join on this value the workflow extracted (e.g. `taskId`) instead of a request body field. */
    join?: string;
  };
  /** Default `end`. */
  after?: 'end' | 'each-phase';
  /** `each-phase`: also sampled every `interval` while each phase (and its faults) is active. */
  during?: 'each-phase';
  /** Sampling interval with `during`. Default `1s`. */
  interval?: DurationInput;
}

// ---------------------------------------------------------------------------------------------
// The loaded model.

/** A validated scenario with defaults filled; what `runScenario` consumes. */
export interface Scenario {
  name: string;
  description?: string;
  /** The RNG seed as a string, when the file set one. */
  seed?: string;
  warmupMs: number;
  chaos: { backend: 'embedded' | 'toxiproxy'; url?: string; image?: string };
  runtime: 'process' | 'containers';
  agents: ScenarioAgent[];
  edges: ScenarioEdge[];
  phases: ScenarioPhase[];
  load?: ScenarioLoad;
  slo: ScenarioSlo[];
  invariants: ScenarioInvariant[];
  /** Detector settings as written (defaults applied by the judge stage). */
  detectors: DetectorsInput;
  /** Sum of the phase durations (excluding warm-up). */
  totalDurationMs: number;
  /** Where it came from: the file (absolute) if any, and the folder relative paths resolve against. */
  source: { file?: string; baseDir: string };
}

/** Readiness probe of an agent. */
export type Readiness = { kind: 'http'; path: string; timeoutMs: number } | { kind: 'tcp'; timeoutMs: number };

/** A loaded agent. */
export interface ScenarioAgent {
  name: string;
  /** Attach mode: the running agent's base URL (no trailing slash); agentcheck never starts it. */
  url?: string;
  /** argv; present whenever the runtime is `process`. */
  command?: string[];
  /** Absolute working directory. */
  cwd: string;
  env: Record<string, string>;
  image?: string;
  /** `context` is absolute; `dockerfile` is relative to it, as Docker expects. */
  build?: { context: string; dockerfile?: string };
  port: number | 'auto';
  readiness: Readiness;
}

/** A loaded edge; `id` is `"from->to"`. */
export interface ScenarioEdge {
  id: string;
  from: string;
  to: string;
  /** The caller's variable for the proxied URL; `''` when the caller is attached by url (its environment is not agentcheck's). */
  env: string;
  protocol: 'http' | 'tcp' | 'nats';
  /** The proxy already runs on this remote API (attach mode). */
  proxy?: EdgeProxyInput;
}

/** A loaded fault. Message-level options are passed through as written. */
export interface ScenarioFault {
  /** Edge id `"from->to"`. */
  edge: string;
  from: string;
  to: string;
  type: string;
  /** Unique within the scenario. */
  name: string;
  stream?: 'upstream' | 'downstream';
  /** 0..1; for a message-level toxic, `probability` when the file set it. */
  toxicity: number;
  attributes: Record<string, unknown>;
  /** True for the HTTP message-level toxics (drop, duplicate, http_error, …). */
  messageLevel: boolean;
  match?: FaultMatchInput;
  probability?: number;
  first?: number;
  every?: number;
}

/** A loaded phase; `startMs` is its offset from the end of the warm-up. */
export interface ScenarioPhase {
  name: string;
  durationMs: number;
  startMs: number;
  faults: ScenarioFault[];
  load?: { rate?: number };
}

/** A loaded request template. */
export interface ScenarioRequest {
  name: string;
  method: HttpMethod;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A loaded workflow step: durations in ms, method filled. */
export interface ScenarioStep {
  name: string;
  method: HttpMethod;
  /** An HTTP step's path; `''` for an event step. */
  path: string;
  /** An event step: publish this message. */
  publish?: { subject: string; headers: Record<string, string>; body?: unknown };
  /** An event step: wait for this event (the wait's timeout is `timeoutMs`). */
  awaitEvent?: { subject: string; match: { path: string; equals: string } };
  /** An event step's broker agent as written (`via`). */
  via?: string;
  headers: Record<string, string>;
  body?: unknown;
  extract: Record<string, string>;
  until?: { path: string; in: Array<string | number | boolean | null> };
  intervalMs?: number;
  timeoutMs?: number;
}

/** A loaded workflow. */
export interface ScenarioWorkflow {
  name: string;
  weight: number;
  steps: ScenarioStep[];
}

/** A loaded load section. */
export interface ScenarioLoad {
  target: string;
  model: 'open' | 'closed';
  rate: number;
  connections: number;
  /** Generator processes (1: the driver runs in the CLI process). */
  generators: number;
  durationMs: number;
  timeoutMs: number;
  /** Arrivals later than this are late (open model). */
  lateToleranceMs: number;
  /** Largest share of late arrivals before the run is invalid. */
  maxLateFraction: number;
  /** The short form as written (each is also in `workflows`, as a one-step workflow). */
  requests: ScenarioRequest[];
  /** Per workflow, intended start → terminal outcome. */
  workflowTimeoutMs: number;
  /** A2A following (false: off). */
  follow: { a2a: false | { pollIntervalMs: number; maxIntervalMs: number; inputRequired: 'error' | 'ok'; authRequired: 'error' | 'ok' } };
  /** Every workflow driven: `workflows` as written, then one per request of the short form. */
  workflows: ScenarioWorkflow[];
  /** `load.nats`: the broker of event steps without `via`, when it runs elsewhere. */
  nats?: string;
}

/** A loaded SLO budget; `budget` is the expression as written (parsed by src/load). */
export interface ScenarioSlo {
  name: string;
  budget: string;
  phases?: string[];
}

/** A loaded invariant. */
export type ScenarioInvariant = (
  | { kind: 'http'; name: string; after: 'end' | 'each-phase'; agent: string; path: string }
  | { kind: 'command'; name: string; after: 'end' | 'each-phase'; command: string[]; cwd: string }
  | {
      kind: 'exactly_once';
      name: string;
      after: 'end' | 'each-phase';
      effects: { agent: string; path: string; list?: string };
      key: string;
      join?: string;
    }
) & {
  /** Sampling interval while each phase is active (`during: each-phase`); absent when not sampled. */
  duringIntervalMs?: number;
};
