/**
 * Workflows as the driver takes them ({@link WorkflowSpec}) and compiled for sending
 * ({@link CompiledWorkflow}): templates compiled with the names earlier steps extract, paths
 * parsed, each step told whether its response body must be read (JSON-RPC requests, `extract`,
 * `until`) — a plain request's body is skipped, as before workflows existed. A step is an HTTP
 * request, or an event step on a NATS broker (`publish`, `awaitEvent`: see nats.ts).
 */
import { AgentcheckError } from '../errors.js';
import { compileTemplate, type CompiledTemplate } from '../load/template.js';
import { parseMatchPath, validSubject, validSubscribeSubject } from './nats.js';
import { parsePath, type JsonPath } from './path.js';

/**
 * One step of a workflow: a request, what to extract from its answer, and an optional poll
 * condition; or, with `publish` / `awaitEvent`, an event step on the NATS broker at `url`.
 */
export interface StepSpec {
  /** Name in figures and budgets (`{step=…}`). Default `step<N>` (1-based). */
  name?: string;
  /**
   * Absolute http(s) URL; its path and query may use template variables. An event step: the
   * broker's `nats://host:port`.
   */
  url: string;
  /**
   * Publish a message instead of sending a request: the subject, headers and body are templates
   * (a JSON body is sent as JSON text, its placeholders JSON-escaped). A JetStream publish (the
   * PubAck decides) when a stream binds the subject, a core publish otherwise.
   */
  publish?: { subject: string; headers?: Record<string, string>; body?: string | Record<string, unknown> | unknown[] };
  /**
   * Wait for the event on `subject` (wildcards allowed) whose JSON has `match.equals` (a template,
   * e.g. `${uuid}`) at `match.path`; `timeoutMs` bounds the wait (default: the workflow's timeout).
   */
  awaitEvent?: { subject: string; match: { path: string; equals: string } };
  /** HTTP method (default GET, or POST when there is a body). */
  method?: string;
  headers?: Record<string, string>;
  /**
   * A string template, or a JSON value: then sent as JSON, and the variables inside its strings
   * are JSON-escaped (an extracted value cannot break the document).
   */
  body?: string | Record<string, unknown> | unknown[];
  /** Idempotency-Key value (a template; default `${uuid}`, the workflow's), or false to send none. */
  idempotencyKey?: string | false;
  /** Names to extract from this step's answer: name → path into its JSON body (`result.id`), the PubAck or the event. */
  extract?: Record<string, string>;
  /** Poll: resend this step until the value at `path` is one of `in` (compared as text). */
  until?: { path: string; in: ReadonlyArray<string | number | boolean | null> };
  /** Poll: wait between resends (default 100 ms). */
  intervalMs?: number;
  /** Poll, or an await step: give up after this long from the step's start (default: the workflow's timeout). */
  timeoutMs?: number;
}

/** A named workflow: steps run in order; its weight in the mix (default 1). */
export interface WorkflowSpec {
  name: string;
  weight?: number;
  steps: StepSpec[];
}

/** A compiled step. */
export interface CompiledStep {
  name: string;
  /** An HTTP request, a NATS publish, or a wait for a NATS event. */
  kind: 'http' | 'publish' | 'await';
  url: URL;
  /** `http://host:port` (the key of its connection pool), `nats://host:port` for an event step. */
  origin: string;
  /** HTTP method; `PUB` / `AWAIT` for event steps. */
  method: string;
  /** The request target; the subject of a publish step. */
  path: CompiledTemplate;
  /** Request headers; a publish step's message headers. */
  headers: Array<[string, CompiledTemplate]>;
  /** Request body; a publish step's message data. */
  body: CompiledTemplate | null;
  key: CompiledTemplate | null;
  /** An await step: the subject subscribed to, and which events complete it. */
  awaitEvent?: { subject: string; path: JsonPath; equals: CompiledTemplate };
  /** The JSON-RPC method of the body, when the body is a JSON-RPC request. */
  rpcMethod?: string;
  /** Read (and keep, bounded) the response body. */
  readBody: boolean;
  extract: Array<{ name: string; path: JsonPath }>;
  until?: { path: JsonPath; in: ReadonlySet<string> };
  /**
   * Follow an A2A task this step's answer leaves non-terminal. False when a later step of the
   * workflow is a poll step (`until`): that step is the follow-up the user wrote.
   */
  followTasks: boolean;
  intervalMs: number;
  timeoutMs?: number;
}

/** A compiled workflow. */
export interface CompiledWorkflow {
  name: string;
  weight: number;
  steps: CompiledStep[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The JSON-RPC method of a body (object or JSON text), or undefined when it is not a JSON-RPC request. */
export function rpcMethodOf(body: unknown): string | undefined {
  let v = body;
  if (typeof body === 'string') {
    if (!body.includes('"jsonrpc"')) return undefined;
    try {
      v = JSON.parse(body);
    } catch {
      // A templated body may not be JSON until rendered; read the method from the text.
      return /"method"\s*:\s*"([^"$]+)"/.exec(body)?.[1];
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  return o.jsonrpc === '2.0' && typeof o.method === 'string' ? o.method : undefined;
}

function extractOf(s: StepSpec, where: string): CompiledStep['extract'] {
  return Object.entries(s.extract ?? {}).map(([n, p]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new AgentcheckError('usage', `${where}: extract name '${n}' must be letters, digits and '_'`);
    return { name: n, path: parsePath(p) };
  });
}

/** A `publish` or `awaitEvent` step: its broker URL, subject, templates and match. */
function compileEventStep(s: StepSpec, name: string, where: string, known: readonly string[]): CompiledStep {
  if (s.publish && s.awaitEvent) throw new AgentcheckError('usage', `${where}: a step publishes or awaits an event, not both`);
  if (s.until) throw new AgentcheckError('usage', `${where}: until applies to HTTP steps only`);
  let url: URL;
  try {
    url = new URL(s.url);
  } catch {
    throw new AgentcheckError('usage', `not a URL: '${s.url}' (${where})`, 'give the broker as nats://127.0.0.1:4222');
  }
  if (url.protocol !== 'nats:' || url.hostname === '') throw new AgentcheckError('usage', `${where}: the broker must be a nats://host:port URL, got '${s.url}'`);
  const origin = `nats://${url.host}`;
  const opts = { extracted: known };
  const extract = extractOf(s, where);
  const common = { name, url, origin, readBody: true, extract, followTasks: false, intervalMs: 100, ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}) };
  if (s.publish) {
    const p = s.publish;
    // A static subject is checked here; a templated one when it is rendered (an error outcome).
    if (!p.subject.includes('${') && !validSubject(p.subject)) throw new AgentcheckError('usage', `${where}: '${p.subject}' is not a subject to publish to`, 'dot-separated tokens without spaces or wildcards, e.g. order.placed');
    const headers = Object.entries(p.headers ?? {}).map(([k, v]): [string, CompiledTemplate] => {
      if (!TOKEN.test(k)) throw new AgentcheckError('usage', `invalid header name '${k}' (${where})`);
      return [k, compileTemplate(v, `header ${k} of ${where}`, { ...opts, escape: 'header' })];
    });
    const jsonBody = p.body !== undefined && typeof p.body !== 'string';
    const bodyText = p.body === undefined ? undefined : typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
    return {
      ...common,
      kind: 'publish',
      method: 'PUB',
      path: compileTemplate(p.subject, `the subject of ${where}`, { ...opts, escape: 'header' }),
      headers,
      body: bodyText !== undefined ? compileTemplate(bodyText, `the body of ${where}`, { ...opts, escape: jsonBody ? 'json' : 'none' }) : null,
      key: s.idempotencyKey === false ? null : compileTemplate(s.idempotencyKey ?? '${uuid}', `the Idempotency-Key of ${where}`, { ...opts, escape: 'header' }),
    };
  }
  const a = s.awaitEvent!;
  if (a.subject.includes('${')) throw new AgentcheckError('usage', `${where}: the subject of await_event cannot hold placeholders`, 'the subscription is opened before the run; match the workflow with match: { path, equals: "${uuid}" }');
  if (!validSubscribeSubject(a.subject)) throw new AgentcheckError('usage', `${where}: '${a.subject}' is not a subject to subscribe to`, 'dot-separated tokens, * for one token, > for the rest (no placeholders: the subscription is opened before the run)');
  if (s.timeoutMs !== undefined && !(s.timeoutMs > 0)) throw new AgentcheckError('usage', `${where}: timeout must be positive`);
  return {
    ...common,
    kind: 'await',
    method: 'AWAIT',
    path: compileTemplate(a.subject, `the subject of ${where}`),
    headers: [],
    body: null,
    key: null,
    awaitEvent: { subject: a.subject, path: parseMatchPath(a.match.path, `${where} match.path`), equals: compileTemplate(a.match.equals, `match.equals of ${where}`, { ...opts, escape: 'none' }) },
  };
}

/** Compiles one workflow; usage errors (exit 2) name the workflow and step. */
export function compileWorkflow(spec: WorkflowSpec): CompiledWorkflow {
  const weight = spec.weight ?? 1;
  if (!(Number.isFinite(weight) && weight > 0)) throw new AgentcheckError('usage', `workflow '${spec.name}': weight must be a number > 0, got ${weight}`);
  if (spec.steps.length === 0) throw new AgentcheckError('usage', `workflow '${spec.name}' has no steps`);
  const known: string[] = [];
  const names = new Set<string>();
  const steps = spec.steps.map((s, i): CompiledStep => {
    const name = s.name ?? `step${i + 1}`;
    const where = `workflow '${spec.name}' step '${name}'`;
    if (names.has(name)) throw new AgentcheckError('usage', `${where}: duplicate step name`);
    names.add(name);
    if (s.publish || s.awaitEvent) {
      const step = compileEventStep(s, name, where, known);
      for (const e of step.extract) if (!known.includes(e.name)) known.push(e.name);
      return step;
    }
    let url: URL;
    try {
      url = new URL(s.url);
    } catch {
      throw new AgentcheckError('usage', `not a URL: '${s.url}' (${where})`, 'give an absolute URL such as http://127.0.0.1:8080/orders');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AgentcheckError('usage', `unsupported protocol '${url.protocol}' in ${s.url}`, 'use http:// or https://');
    // `${…}` in a URL path is percent-encoded by the URL parser; read the raw path back from the input.
    const rawPath = s.url.replace(/^[a-z]+:\/\/[^/?#]*/i, '') || '/';
    const method = (s.method ?? (s.body !== undefined ? 'POST' : 'GET')).toUpperCase();
    if (!/^[A-Z]+$/.test(method)) throw new AgentcheckError('usage', `invalid HTTP method '${s.method}' (${where})`);
    const opts = { extracted: known };
    const headers = Object.entries(s.headers ?? {}).map(([k, v]): [string, CompiledTemplate] => {
      if (!TOKEN.test(k)) throw new AgentcheckError('usage', `invalid header name '${k}' (${where})`);
      return [k, compileTemplate(v, `header ${k} of ${where}`, { ...opts, escape: 'header' })];
    });
    const jsonBody = s.body !== undefined && typeof s.body !== 'string';
    const bodyText = s.body === undefined ? undefined : typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
    if (jsonBody && !headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', compileTemplate('application/json', 'Content-Type')]);
    const rpcMethod = rpcMethodOf(s.body);
    const extract = extractOf(s, where);
    const until = s.until ? { path: parsePath(s.until.path), in: new Set(s.until.in.map((v) => (v === null ? 'null' : String(v)))) } : undefined;
    const step: CompiledStep = {
      name,
      kind: 'http',
      url,
      origin: url.origin,
      method,
      path: compileTemplate(rawPath.startsWith('/') ? rawPath : `/${rawPath}`, `the URL of ${where}`, { ...opts, escape: 'path' }),
      headers,
      body: bodyText !== undefined ? compileTemplate(bodyText, `the body of ${where}`, { ...opts, escape: jsonBody ? 'json' : 'none' }) : null,
      key: s.idempotencyKey === false ? null : compileTemplate(s.idempotencyKey ?? '${uuid}', `the Idempotency-Key of ${where}`, { ...opts, escape: 'header' }),
      ...(rpcMethod !== undefined ? { rpcMethod } : {}),
      readBody: rpcMethod !== undefined || extract.length > 0 || until !== undefined,
      extract,
      ...(until ? { until } : {}),
      followTasks: !until && !spec.steps.slice(i + 1).some((later) => later.until !== undefined),
      intervalMs: s.intervalMs ?? 100,
      ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
    };
    if (!(step.intervalMs > 0)) throw new AgentcheckError('usage', `${where}: interval must be positive`);
    for (const e of extract) if (!known.includes(e.name)) known.push(e.name);
    return step;
  });
  return { name: spec.name, weight, steps };
}
