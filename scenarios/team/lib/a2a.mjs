// The A2A server surface the planner and the coordinator share: v1.0 / v0.3 task rendering,
// message validation, the A2A-Version header check and the agent card. Both versions are served
// on one JSON-RPC endpoint: v1.0 method names (SendMessage, GetTask) answer in v1.0 spelling
// (`TASK_STATE_*`, parts without `kind`), v0.3 ones (message/send, tasks/get) in v0.3 spelling.
import { serveJsonRpc, RpcError, RPC } from './jsonrpc.mjs';

/** A2A error codes beyond JSON-RPC's own. */
export const A2A = { TASK_NOT_FOUND: -32001, VERSION_NOT_SUPPORTED: -32009 };

/** Task states that end a task (A2A: no further transition). */
export const TERMINAL_STATES = new Set(['completed', 'failed', 'canceled', 'rejected']);

/**
 * A task record `{id, contextId, state, reason?, receipt?, updatedAt}` (state in v0.3 spelling,
 * e.g. `working`, `input-required`) as v1.0 or v0.3 spells it. A failed task carries its reason
 * as the status message; a receipt becomes the `receipt` artifact.
 */
export function renderTask(task, version) {
  const v1 = version === '1.0';
  const state = v1 ? `TASK_STATE_${task.state.toUpperCase().replaceAll('-', '_')}` : task.state;
  const status = { state, timestamp: task.updatedAt };
  if (task.reason !== undefined) {
    status.message = v1
      ? { messageId: `${task.id}-status`, role: 'ROLE_AGENT', parts: [{ text: task.reason }] }
      : { kind: 'message', messageId: `${task.id}-status`, role: 'agent', parts: [{ kind: 'text', text: task.reason }] };
  }
  const rendered = v1 ? { id: task.id, contextId: task.contextId, status } : { kind: 'task', id: task.id, contextId: task.contextId, status };
  if (task.receipt) {
    rendered.artifacts = [{ artifactId: 'receipt', parts: [v1 ? { data: task.receipt } : { kind: 'data', data: task.receipt }] }];
  }
  return rendered;
}

/**
 * The message of a send request and the object in its data part (`{kind:"data", data}` v0.3,
 * `{data}` v1.0). Throws -32602 naming what is missing.
 */
export function messageWithData(params) {
  const message = params.message;
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new RpcError(RPC.INVALID_PARAMS, 'Invalid params', 'params.message must be an object');
  }
  if (typeof message.messageId !== 'string' || message.messageId === '') {
    throw new RpcError(RPC.INVALID_PARAMS, 'Invalid params', 'message.messageId must be a non-empty string');
  }
  if (!Array.isArray(message.parts)) throw new RpcError(RPC.INVALID_PARAMS, 'Invalid params', 'message.parts must be an array');
  const part = message.parts.find(
    (p) => p && typeof p === 'object' && (p.kind === 'data' || (p.kind === undefined && p.data !== undefined)),
  );
  if (!part || part.data === null || typeof part.data !== 'object' || Array.isArray(part.data)) {
    throw new RpcError(RPC.INVALID_PARAMS, 'Invalid params', 'message.parts must hold one data part with the order');
  }
  return { message, data: part.data };
}

/** `GetTask` / `tasks/get`: the stored task `params.id` in `version`'s spelling, or -32001. */
export function getTaskFrom(tasks, params, version) {
  const task = typeof params.id === 'string' ? tasks.get(params.id) : undefined;
  if (!task) throw new RpcError(A2A.TASK_NOT_FOUND, 'Task not found', params.id);
  return renderTask(task, version);
}

/**
 * The route handler of `POST /a2a`: an `A2A-Version` header other than 0.3 / 1.0 is -32009,
 * anything else is served as JSON-RPC by `methods`.
 */
export function a2aEndpoint(methods) {
  return (ctx) => {
    const version = ctx.req.headers['a2a-version'];
    if (version !== undefined && !/^(0\.3|1(\.0)?)(\.\d+)?$/.test(String(version).trim())) {
      return ctx.send(200, {
        jsonrpc: '2.0',
        id: null,
        error: { code: A2A.VERSION_NOT_SUPPORTED, message: 'Version not supported', data: { supported: ['1.0', '0.3'] } },
      });
    }
    return serveJsonRpc(ctx, methods);
  };
}

/** The route handler of `GET /.well-known/agent-card.json`: a v1.0 agent card with one skill. */
export function agentCardRoute({ name, description, skill }) {
  return (ctx) => {
    const base = `http://${ctx.req.headers.host ?? '127.0.0.1'}`;
    ctx.send(200, {
      name,
      description,
      supportedInterfaces: [
        { url: `${base}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
        { url: `${base}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
      ],
      version: '1.0.0',
      capabilities: { streaming: false, pushNotifications: false, extendedAgentCard: false },
      defaultInputModes: ['application/json'],
      defaultOutputModes: ['application/json'],
      skills: [skill],
    });
  };
}
