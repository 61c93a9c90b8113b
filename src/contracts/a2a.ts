/**
 * A2A (Agent2Agent) contract builders: JSON-RPC 2.0 exchanges for SendMessage / message/send,
 * GetTask / tasks/get and CancelTask / tasks/cancel in the v1.0 and v0.3 spellings, and agent-card
 * expectations. The protocol version is pinned in the contract: by the method name always, and for
 * v1.0 also by a required `A2A-Version: 1.0` request header (a request without it is 0.3).
 * Facts: v1.0 roles `ROLE_USER`/`ROLE_AGENT`, states `TASK_STATE_*`, parts without `kind`, SendMessage
 * result `{task}` or `{message}`; v0.3 roles `user`/`agent`, lower-case states, `kind` on parts, tasks
 * and messages, message/send result is the Task or Message itself.
 */
import { MatchersV3 } from '@pact-foundation/pact';
import type { HttpExchange, HttpRequestSpec } from './consumer.js';

const { eachLike, regex } = MatchersV3;

/** Type-matches an example, but passes a matcher through untouched (no nested matchers). */
function like(example: unknown): unknown {
  return MatchersV3.isMatcher(example) ? example : MatchersV3.like(example);
}

/** The A2A protocol versions the builders speak. */
export type A2AVersion = '1.0' | '0.3';

/** The methods, by operation and version. */
export const A2A_METHODS = {
  sendMessage: { '1.0': 'SendMessage', '0.3': 'message/send' },
  getTask: { '1.0': 'GetTask', '0.3': 'tasks/get' },
  cancelTask: { '1.0': 'CancelTask', '0.3': 'tasks/cancel' },
  sendStreamingMessage: { '1.0': 'SendStreamingMessage', '0.3': 'message/stream' },
} as const;

/** Task states, version-neutral. */
export type A2ATaskState = 'submitted' | 'working' | 'input-required' | 'auth-required' | 'completed' | 'failed' | 'canceled' | 'rejected';

/** How `state` is spelled in `version` (`completed` → `TASK_STATE_COMPLETED` in v1.0). */
export function a2aTaskState(state: A2ATaskState, version: A2AVersion): string {
  return version === '1.0' ? `TASK_STATE_${state.toUpperCase().replace('-', '_')}` : state;
}

/** How a message role is spelled in `version`. */
export function a2aRole(role: 'user' | 'agent', version: A2AVersion): string {
  return version === '1.0' ? `ROLE_${role.toUpperCase()}` : role;
}

/** A data part (`{data}` in v1.0, `{kind:"data", data}` in v0.3). `data` may hold matchers. */
export function a2aDataPart(data: unknown, version: A2AVersion): Record<string, unknown> {
  return version === '1.0' ? { data } : { kind: 'data', data };
}

/** A text part (`{text}` in v1.0, `{kind:"text", text}` in v0.3). */
export function a2aTextPart(text: unknown, version: A2AVersion): Record<string, unknown> {
  return version === '1.0' ? { text } : { kind: 'text', text };
}

/** Common options of every A2A exchange. */
export interface A2ACommon {
  /** Protocol version pinned in the contract; default `1.0`. */
  version?: A2AVersion;
  /** JSON-RPC endpoint path; default `/a2a`. */
  path?: string;
  /** Example JSON-RPC id (matched by type); default `1`. */
  id?: string | number;
  /** Require a W3C `traceparent` on the request; default false. */
  traceparent?: boolean;
  /** Extra request headers (values may be matchers). */
  headers?: Record<string, unknown>;
  /** Require `A2A-Version` on v1.0 requests; default true (v0.3 requests never require it). */
  versionHeader?: boolean;
}

/** A task as a response expects it. */
export interface A2ATaskSpec {
  /** Expected state (exact, spelled for the version); default `completed`. */
  state?: A2ATaskState;
  /** Example task id (type-matched); default `task-1`. */
  id?: unknown;
  /** Example context id (type-matched); default `ctx-1`. */
  contextId?: unknown;
  /** Expected artifacts, as given (use {@link a2aArtifact}). Omitted: not checked. */
  artifacts?: unknown[];
  /** Extra status fields (e.g. `{ timestamp: isoTimestamp() }`). */
  status?: Record<string, unknown>;
  /** Any further task fields. */
  extra?: Record<string, unknown>;
}

/** An artifact holding one data part (e.g. the planner's receipt). */
export function a2aArtifact(artifactId: string, data: unknown, version: A2AVersion = '1.0'): Record<string, unknown> {
  return { artifactId, parts: eachLike(a2aDataPart(data, version), 1) };
}

/** A Task object with matchers: ids by type, the state exactly. */
export function a2aTask(spec: A2ATaskSpec = {}, version: A2AVersion = '1.0'): Record<string, unknown> {
  const task: Record<string, unknown> = {
    id: like(spec.id ?? 'task-1'),
    contextId: like(spec.contextId ?? 'ctx-1'),
    status: { state: a2aTaskState(spec.state ?? 'completed', version), ...spec.status },
  };
  if (version === '0.3') task['kind'] = 'task';
  if (spec.artifacts) task['artifacts'] = spec.artifacts;
  return { ...task, ...spec.extra };
}

function envelopeRequest(method: string, params: unknown, c: A2ACommon): HttpRequestSpec {
  const version = c.version ?? '1.0';
  const headers: Record<string, unknown> = { ...c.headers };
  if (version === '1.0' && c.versionHeader !== false) headers['A2A-Version'] = regex('^1(\\.0)?$', '1.0');
  return {
    method: 'POST',
    path: c.path ?? '/a2a',
    headers: headers as Record<string, string>,
    body: { jsonrpc: '2.0', id: like(c.id ?? 1), method, params },
    ...(c.traceparent ? { traceparent: true } : {}),
  };
}

function envelopeResult(result: unknown, c: A2ACommon): HttpExchange['response'] {
  return { status: 200, body: { jsonrpc: '2.0', id: like(c.id ?? 1), result } };
}

/** Options of {@link a2aSendMessage}. */
export interface A2ASendMessageSpec extends A2ACommon {
  message: {
    /** Example messageId (type-matched) or a matcher; default `msg-1`. */
    messageId?: unknown;
    /** Default `user`. */
    role?: 'user' | 'agent';
    /** Parts as sent (use {@link a2aDataPart}/{@link a2aTextPart}); with `data` instead, one data part. */
    parts?: unknown[];
    /** Shorthand for one data part holding this value. */
    data?: unknown;
    /** Further message fields the consumer sends (e.g. `contextId`). */
    extra?: Record<string, unknown>;
  };
  /** The result: a task (default a completed one) or a message. */
  result?: { task: A2ATaskSpec } | { message: Record<string, unknown> };
}

/**
 * `SendMessage` (v1.0) / `message/send` (v0.3): the request envelope, method and message, and the
 * result (a task in the version's spelling: `{task}` in v1.0, the task itself in v0.3).
 */
export function a2aSendMessage(spec: A2ASendMessageSpec): HttpExchange {
  const version = spec.version ?? '1.0';
  const m = spec.message;
  const parts = m.parts ?? (m.data !== undefined ? [a2aDataPart(m.data, version)] : []);
  const message: Record<string, unknown> = {
    messageId: like(m.messageId ?? 'msg-1'),
    role: a2aRole(m.role ?? 'user', version),
    parts,
    ...(version === '0.3' ? { kind: 'message' } : {}),
    ...m.extra,
  };
  const result = spec.result ?? { task: {} };
  let body: unknown;
  if ('task' in result) {
    const task = a2aTask(result.task, version);
    body = version === '1.0' ? { task } : task;
  } else {
    body = version === '1.0' ? { message: result.message } : { kind: 'message', ...result.message };
  }
  return {
    request: envelopeRequest(A2A_METHODS.sendMessage[version], { message }, spec),
    response: envelopeResult(body, spec),
  };
}

/** Options of {@link a2aGetTask} and {@link a2aCancelTask}. */
export interface A2ATaskQuerySpec extends A2ACommon {
  /** The task id asked for (exact unless a matcher). */
  taskId: unknown;
  /** The task the provider answers with. */
  task?: A2ATaskSpec;
  /** Extra params (e.g. `historyLength`). */
  params?: Record<string, unknown>;
}

/** `GetTask` (v1.0) / `tasks/get` (v0.3): asks for a task by id; the result is the task. */
export function a2aGetTask(spec: A2ATaskQuerySpec): HttpExchange {
  const version = spec.version ?? '1.0';
  return {
    request: envelopeRequest(A2A_METHODS.getTask[version], { id: spec.taskId, ...spec.params }, spec),
    response: envelopeResult(a2aTask({ id: spec.taskId, ...spec.task }, version), spec),
  };
}

/** `CancelTask` (v1.0) / `tasks/cancel` (v0.3): cancels a task; the result is the task, default state `canceled`. */
export function a2aCancelTask(spec: A2ATaskQuerySpec): HttpExchange {
  const version = spec.version ?? '1.0';
  return {
    request: envelopeRequest(A2A_METHODS.cancelTask[version], { id: spec.taskId, ...spec.params }, spec),
    response: envelopeResult(a2aTask({ id: spec.taskId, state: 'canceled', ...spec.task }, version), spec),
  };
}

/** Options of {@link a2aJsonRpcError}. */
export interface A2AErrorSpec extends A2ACommon {
  /** The JSON-RPC method the consumer calls (already spelled for the version). */
  method: string;
  params: unknown;
  /** Expected error code, e.g. -32001 (TaskNotFound); exact. */
  code: number;
}

/** A JSON-RPC error answer (e.g. TaskNotFound -32001) to a request. */
export function a2aJsonRpcError(spec: A2AErrorSpec): HttpExchange {
  return {
    request: envelopeRequest(spec.method, spec.params, spec),
    response: { status: 200, body: { jsonrpc: '2.0', id: like(spec.id ?? 1), error: { code: spec.code, message: like('error message') } } },
  };
}

/** Options of {@link a2aAgentCard}. */
export interface A2AAgentCardSpec {
  /** Card version: v1.0 requires `supportedInterfaces`; v0.3 has `url` and `protocolVersion`. Default `1.0`. */
  version?: A2AVersion;
  /** The agent's name (exact). */
  name: string;
  /** Skill ids the card must declare (each matched with `arrayContaining`). */
  skills?: string[];
  /** Capabilities the consumer relies on (exact booleans), e.g. `{ streaming: false }`. */
  capabilities?: Record<string, boolean>;
  /** The protocol binding the consumer uses; default `JSONRPC`. */
  protocolBinding?: 'JSONRPC' | 'GRPC' | 'HTTP+JSON';
}

/**
 * `GET /.well-known/agent-card.json`: the card's required fields by type, the name exactly, the
 * interface the consumer uses (binding and version) and each skill it needs.
 */
export function a2aAgentCard(spec: A2AAgentCardSpec): HttpExchange {
  const version = spec.version ?? '1.0';
  const skills = (spec.skills ?? []).map((id) => ({ id, name: like('Skill name'), description: like('What the skill does') }));
  const body: Record<string, unknown> = {
    name: spec.name,
    description: like('What the agent does'),
    version: like('1.0.0'),
    capabilities: { ...spec.capabilities },
    defaultInputModes: eachLike('application/json', 1),
    defaultOutputModes: eachLike('application/json', 1),
    skills: skills.length ? MatchersV3.arrayContaining(...skills) : like([]),
  };
  if (version === '1.0') {
    body['supportedInterfaces'] = MatchersV3.arrayContaining({
      url: like('http://127.0.0.1:8080/a2a'),
      protocolBinding: spec.protocolBinding ?? 'JSONRPC',
      protocolVersion: regex('^1(\\.0)?(\\.\\d+)?$', '1.0'),
    });
  } else {
    body['url'] = like('http://127.0.0.1:8080/a2a');
    body['protocolVersion'] = regex('^0\\.3(\\.\\d+)?$', '0.3.0');
  }
  return {
    request: { method: 'GET', path: '/.well-known/agent-card.json' },
    response: { status: 200, body },
  };
}
