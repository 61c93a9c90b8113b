/**
 * Workflows of a scenario file: the `load` section as written (`workflows`, the short form
 * `requests`, `workflow_timeout`, `follow`) into the loaded model ({@link ScenarioLoad}'s
 * `workflows`, `workflowTimeoutMs`, `follow`), and the loaded workflows into the driver's
 * {@link WorkflowSpec}s for an entry agent's base URL.
 */
import { parseDuration } from '../scenario/duration.js';
import type { LoadInput, ScenarioLoad, ScenarioRequest, ScenarioWorkflow } from '../scenario/types.js';
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
      steps: w.steps.map((s, i) => ({
        name: s.name ?? `step${i + 1}`,
        method: s.method ?? (s.body !== undefined ? 'POST' : 'GET'),
        path: s.path,
        headers: { ...(s.headers ?? {}) },
        ...(s.body !== undefined ? { body: s.body } : {}),
        extract: { ...(s.extract ?? {}) },
        ...(s.until ? { until: { path: s.until.path, in: [...s.until.in] } } : {}),
        ...(s.interval !== undefined ? { intervalMs: parseDuration(s.interval, 'step.interval') } : {}),
        ...(s.timeout !== undefined ? { timeoutMs: parseDuration(s.timeout, 'step.timeout') } : {}),
      })),
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
  return { workflowTimeoutMs: l.workflow_timeout !== undefined ? parseDuration(l.workflow_timeout, 'load.workflow_timeout') : WORKFLOW_TIMEOUT_MS, follow, workflows };
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
export function driverWorkflows(baseUrl: string, load: Pick<ScenarioLoad, 'workflows'>): WorkflowSpec[] {
  const alias = (s: string): string => s.replaceAll('${idempotencyKey}', '${uuid}').replaceAll('${traceparent}', '');
  const aliasDeep = (v: unknown): unknown =>
    typeof v === 'string' ? alias(v) : Array.isArray(v) ? v.map(aliasDeep) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, aliasDeep(x)])) : v;
  return load.workflows.map((w) => ({
    name: w.name,
    weight: w.weight,
    steps: w.steps.map((s): StepSpec => {
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
