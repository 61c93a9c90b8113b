// JSON-RPC 2.0 framing shared by the A2A (planner) and MCP (inventory) endpoints.

/** Standard JSON-RPC 2.0 error codes. */
export const RPC = { PARSE_ERROR: -32700, INVALID_REQUEST: -32600, METHOD_NOT_FOUND: -32601, INVALID_PARAMS: -32602, INTERNAL: -32603 };

/** A JSON-RPC error thrown by a method handler; the endpoint turns it into an error response. */
export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** An error response object. */
export function rpcError(id, code, message, data) {
  const error = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id: id ?? null, error };
}

/**
 * Read one JSON-RPC request from ctx and answer it with `methods[name](params, ctx, request)`.
 * Parse errors → -32700, malformed envelopes (and batches) → -32600, unknown method → -32601,
 * thrown RpcError → its code, anything else → -32603. A notification (no id) gets 202 and no body.
 * JSON-RPC errors travel with HTTP 200, as A2A and MCP both do.
 */
export async function serveJsonRpc(ctx, methods) {
  const parsed = await ctx.body();
  if (!parsed.ok) {
    if (parsed.status === 413) return ctx.send(413, rpcError(null, RPC.INVALID_REQUEST, parsed.error));
    return ctx.send(200, rpcError(null, RPC.PARSE_ERROR, 'Parse error', parsed.error));
  }
  const msg = parsed.value;
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    const why = Array.isArray(msg) ? 'batch requests are not supported' : 'request must be a JSON object';
    return ctx.send(200, rpcError(null, RPC.INVALID_REQUEST, 'Invalid Request', why));
  }
  const hasId = Object.hasOwn(msg, 'id');
  const idOk = !hasId || msg.id === null || typeof msg.id === 'string' || (typeof msg.id === 'number' && Number.isFinite(msg.id));
  const id = idOk && hasId ? msg.id : null;
  if (msg.jsonrpc !== '2.0' || typeof msg.method !== 'string' || !idOk) {
    const why = msg.jsonrpc !== '2.0' ? 'jsonrpc must be "2.0"' : !idOk ? 'id must be a string, number or null' : 'method must be a string';
    return ctx.send(200, rpcError(id, RPC.INVALID_REQUEST, 'Invalid Request', why));
  }
  if (msg.params !== undefined && (msg.params === null || typeof msg.params !== 'object')) {
    return ctx.send(200, rpcError(id, RPC.INVALID_REQUEST, 'Invalid Request', 'params must be an object or an array'));
  }
  const method = Object.hasOwn(methods, msg.method) ? methods[msg.method] : undefined;
  if (!hasId) {
    // Notifications are acknowledged and never answered, known or not (JSON-RPC 2.0 §4.1).
    if (method) await method(msg.params ?? {}, ctx, msg);
    return ctx.send(202);
  }
  if (!method) return ctx.send(200, rpcError(id, RPC.METHOD_NOT_FOUND, 'Method not found', msg.method));
  try {
    const result = await method(msg.params ?? {}, ctx, msg);
    return ctx.send(200, { jsonrpc: '2.0', id, result: result ?? {} });
  } catch (err) {
    if (err instanceof RpcError) return ctx.send(200, rpcError(id, err.code, err.message, err.data));
    throw err;
  }
}
