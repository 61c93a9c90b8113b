/**
 * Workflows of a scenario file: the `load` section as written (`workflows`, the short form
 * `requests`, `workflow_timeout`, `follow`) into the loaded model ({@link ScenarioLoad}'s
 * `workflows`, `workflowTimeoutMs`, `follow`), and the loaded workflows into the driver's
 * {@link WorkflowSpec}s for an entry agent's base URL (event steps: for their broker's
 * `nats://` URL, from `via`, `load.nats` or the scenario's one broker agent).
 */
import { AgentcheckError } from '../errors.js';
import { parseDuration } from '../scenario/duration.js';
import type { LoadInput, ScenarioLoad, ScenarioRequest, ScenarioStep, ScenarioWorkflow, StepInput } from '../scenario/types.js';
import type { StepSpec, WorkflowSpec } from './compile.js';
import type { FollowOptions } from './protocol.js';

/** The default of `load.workflow_timeout`. */
export const WORKFLOW_TIMEOUT_MS = 30_000;

/** The workflow name of a short-form request: its `name`, or `default` (one request) / `request<N>`. */
export function requestWorkflowName(name: string | undefined, index: number, count: number): string {
  return name ?? (count === 1 ? 'default' : `request${index + 1}`);
}

/** The workflow fields of a loaded load section, from the validated input. */
export function loadWorkflowsOf(l: LoadInput): Pick<ScenarioLoad, 'workflowTimeoutMs' | 'follow' | 'workflows'> {
  const a2a = l.follow?.a2a;
  const follow: ScenarioLoad['follow'] = {
    a2a:
      a2a === false
        ? false
        : {
            pollIntervalMs: a2a?.poll_interval !== undefined ? parseDuration(a2a.poll_interval, 'load.follow.a2a.poll_interval') : 100,
            maxIntervalMs: a2a?.max_interval !== undefined ? parseDuration(a2a.max_interval, 'load.follow.a2a.max_interval') : 1000,
            inputRequired: a2a?.input_required ?? 'error',
            authRequired: a2a?.auth_required ?? 'error',
          },
  };
  const requests = l.requests ?? [];
  const workflows: ScenarioWorkflow[] = [
    ...(l.workflows ?? []).map((w) => ({
      name: w.name,
      weight: w.weight ?? 1,
      steps: w.steps.map((s, i): ScenarioStep => {
        const name = s.name ?? `step${i + 1}`;
        if (s.publish || s.await_event) return eventStepOf(s, name);
        return {
          name,
          method: s.method ?? (s.body !== undefined ? 'POST' : 'GET'),
          path: s.path ?? '/',
          headers: { ...(s.headers ?? {}) },
          ...(s.body !== undefined ? { body: s.body } : {}),
          extract: { ...(s.extract ?? {}) },
          ...(s.until ? { until: { path: s.until.path, in: [...s.until.in] } } : {}),
          ...(s.interval !== undefined ? { intervalMs: parseDuration(s.interval, 'step.interval') } : {}),
          ...(s.timeout !== undefined ? { timeoutMs: parseDuration(s.timeout, 'step.timeout') } : {}),
        };
      }),
    })),
    ...requests.map((r, i) => {
      const name = requestWorkflowName(r.name, i, requests.length);
      return {
        name,
        weight: 1,
        steps: [{ name, method: r.method, path: r.path, headers: { ...(r.headers ?? {}) }, ...(r.body !== undefined ? { body: r.body } : {}), extract: {} }],
      };
    }),
  ];
  return {
    workflowTimeoutMs: l.workflow_timeout !== undefined ? parseDuration(l.workflow_timeout, 'load.workflow_timeout') : WORKFLOW_TIMEOUT_MS,
    follow,
    workflows,
    ...(l.nats !== undefined ? { nats: l.nats } : {}),
  };
}

/** A `publish` / `await_event` step as loaded. */
function eventStepOf(s: StepInput, name: string): ScenarioStep {
  const a = s.await_event;
  return {
    name,
    method: 'POST',
    path: '',
    headers: {},
    extract: { ...(s.extract ?? {}) },
    ...(s.publish ? { publish: { subject: s.publish.subject, headers: { ...(s.publish.headers ?? {}) }, ...(s.publish.body !== undefined ? { body: s.publish.body } : {}) } } : {}),
    ...(a ? { awaitEvent: { subject: a.subject, match: { path: a.match.path, equals: a.match.equals } } } : {}),
    ...(a?.timeout !== undefined ? { timeoutMs: parseDuration(a.timeout, 'step.await_event.timeout') } : {}),
    ...(s.via !== undefined ? { via: s.via } : {}),
  };
}

/** What the scenario knows of its brokers: for the default broker of event steps. */
export interface BrokerContext {
  /** The load's target agent. */
  target: string;
  /** The agents that are the `to` of a `protocol: nats` edge, in edge order. */
  natsEdgeTargets: readonly string[];
}

/**
 * The broker agent of an event step without `via` and without `load.nats`: the load's target when
 * it is the `to` of a nats edge, else the one agent that is (undefined when none or several).
 */
export function defaultBrokerAgent(ctx: BrokerContext): string | undefined {
  if (ctx.natsEdgeTargets.includes(ctx.target)) return ctx.target;
  const brokers = [...new Set(ctx.natsEdgeTargets)];
  return brokers.length === 1 ? brokers[0] : undefined;
}

/** `nats://host:port` of an agent's base URL (`http://127.0.0.1:4222` → `nats://127.0.0.1:4222`). */
export function natsUrlOf(agentUrl: string): string {
  const u = new URL(agentUrl);
  return `nats://${u.host}`;
}

/** How {@link driverWorkflows} finds the broker of an event step. */
export interface BrokerLookup extends BrokerContext {
  /** A started agent's base URL. */
  agentUrl(name: string): string | undefined;
}

/** The broker URL of a loaded event step; a config error (exit 2) when it has none. */
export function brokerUrlOf(step: ScenarioStep, load: Pick<ScenarioLoad, 'nats'>, brokers: BrokerLookup | undefined): string {
  const agent = step.via ?? (load.nats === undefined && brokers ? defaultBrokerAgent(brokers) : undefined);
  if (agent !== undefined) {
    const url = brokers?.agentUrl(agent);
    if (url === undefined) throw new AgentcheckError('config', `step '${step.name}': via '${agent}' is not a started agent of the scenario`);
    return natsUrlOf(url);
  }
  if (load.nats !== undefined) return load.nats;
  throw new AgentcheckError('config', `step '${step.name}' publishes or awaits an event but names no broker`, 'give the step via: <broker agent>, or load.nats: nats://host:port');
}

/** The driver's follow options of a loaded load section. */
export function followOptionsOf(load: Pick<ScenarioLoad, 'follow'>): FollowOptions {
  return { a2a: load.follow.a2a === false ? false : { ...load.follow.a2a } };
}

/**
 * The driver's workflows for a loaded load section sent to `baseUrl` (the entry agent's URL).
 * A step may name the Idempotency-Key header itself (any value; `${idempotencyKey}` is an alias of
 * `${uuid}`); `traceparent` headers are the driver's own. Every step sends one key (default: the
 * workflow's uuid) so each workflow's requests carry the same key.
 */
export function driverWorkflows(baseUrl: string, load: Pick<ScenarioLoad, 'workflows' | 'nats'>, brokers?: BrokerLookup): WorkflowSpec[] {
  const alias = (s: string): string => s.replaceAll('${idempotencyKey}', '${uuid}').replaceAll('${traceparent}', '');
  const aliasDeep = (v: unknown): unknown =>
    typeof v === 'string' ? alias(v) : Array.isArray(v) ? v.map(aliasDeep) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, aliasDeep(x)])) : v;
  return load.workflows.map((w) => ({
    name: w.name,
    weight: w.weight,
    steps: w.steps.map((s): StepSpec => {
      if (s.publish || s.awaitEvent) return eventStepSpec(s, brokerUrlOf(s, load, brokers), alias, aliasDeep);
      const headers: Record<string, string> = {};
      let idempotencyKey: string | undefined;
      for (const [name, value] of Object.entries(s.headers)) {
        if (name.toLowerCase() === 'idempotency-key') idempotencyKey = alias(value);
        else if (name.toLowerCase() !== 'traceparent') headers[name] = alias(value);
      }
      const body = s.body === undefined ? undefined : typeof s.body === 'string' ? alias(s.body) : (aliasDeep(s.body) as StepSpec['body']);
      return {
        name: s.name,
        url: `${baseUrl}${alias(s.path)}`,
        method: s.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        idempotencyKey: idempotencyKey ?? '${uuid}',
        ...(Object.keys(s.extract).length > 0 ? { extract: s.extract } : {}),
        ...(s.until ? { until: s.until } : {}),
        ...(s.intervalMs !== undefined ? { intervalMs: s.intervalMs } : {}),
        ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
      };
    }),
  }));
}

/** The driver's event step: its broker URL resolved, `${idempotencyKey}` aliased as in HTTP steps. */
function eventStepSpec(s: ScenarioStep, url: string, alias: (v: string) => string, aliasDeep: (v: unknown) => unknown): StepSpec {
  const extract = Object.keys(s.extract).length > 0 ? { extract: s.extract } : {};
  const timeout = s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {};
  if (s.awaitEvent) return { name: s.name, url, awaitEvent: { subject: s.awaitEvent.subject, match: { path: s.awaitEvent.match.path, equals: alias(s.awaitEvent.match.equals) } }, ...extract, ...timeout };
  const p = s.publish!;
  const headers: Record<string, string> = {};
  let idempotencyKey: string | undefined;
  for (const [name, value] of Object.entries(p.headers)) {
    if (name.toLowerCase() === 'idempotency-key') idempotencyKey = alias(value);
    else if (name.toLowerCase() !== 'traceparent') headers[name] = alias(value);
  }
  const body = p.body === undefined ? undefined : typeof p.body === 'string' ? alias(p.body) : (aliasDeep(p.body) as NonNullable<StepSpec['publish']>['body']);
  return { name: s.name, url, publish: { subject: alias(p.subject), headers, ...(body !== undefined ? { body } : {}) }, idempotencyKey: idempotencyKey ?? '${uuid}', ...extract, ...timeout };
}

/** Short-form requests as the loaded model keeps them. */
export function loadRequestsOf(l: LoadInput): ScenarioRequest[] {
  return (l.requests ?? []).map((r) => ({
    name: r.name ?? `${r.method} ${r.path}`,
    method: r.method,
    path: r.path,
    headers: { ...(r.headers ?? {}) },
    ...(r.body !== undefined ? { body: r.body } : {}),
  }));
}
