/**
 * JSON-RPC 2.0 outcomes: a response (often HTTP 200) with an `error` member is an error outcome
 * `jsonrpc:<code>`. The standard "the call was not understood" codes (-32700 parse error, -32600
 * invalid request, -32601 method not found, -32602 invalid params) mean the method did not run
 * (`fail` for the exactly-once checker); any other code may come after work was done (`info`).
 */
import { isObject, type OutcomeClassifier } from './protocol.js';

const NOT_RUN = new Set([-32700, -32600, -32601, -32602]);

/** The JSON-RPC error of a response (or of any event of a stream), if there is one. */
export function jsonRpcError(json: unknown): { code: number | string; message?: string } | null {
  if (!isObject(json) || !('error' in json) || json.error === null || json.error === undefined) return null;
  const e = json.error;
  if (!isObject(e)) return { code: 'invalid' };
  const code = typeof e.code === 'number' || typeof e.code === 'string' ? e.code : 'invalid';
  return typeof e.message === 'string' ? { code, message: e.message } : { code };
}

/** The JSON-RPC classifier. */
export const jsonRpcClassifier: OutcomeClassifier = {
  protocol: 'jsonrpc',
  classify(res) {
    const candidates = res.events ?? [res.json];
    for (const json of candidates) {
      const err = jsonRpcError(json);
      if (!err) continue;
      return {
        kind: 'error',
        class: `jsonrpc:${err.code}`,
        ...(err.message !== undefined ? { message: err.message.slice(0, 200) } : {}),
        history: typeof err.code === 'number' && NOT_RUN.has(err.code) ? 'fail' : 'info',
      };
    }
    return null;
  },
};
