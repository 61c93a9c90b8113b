/**
 * MCP outcomes: a `tools/call` whose `CallToolResult` says `isError: true` is an error outcome
 * `mcp:isError` (the tool ran and reported a failure, so its effects are unknown: `info`).
 */
import { isObject, type OutcomeClassifier } from './protocol.js';

/** The MCP classifier (only `tools/call` requests). */
export const mcpClassifier: OutcomeClassifier = {
  protocol: 'mcp',
  classify(res, req) {
    if (req.rpcMethod !== 'tools/call') return null;
    for (const json of res.events ?? [res.json]) {
      if (isObject(json) && isObject(json.result) && json.result.isError === true) {
        const text = Array.isArray(json.result.content) ? json.result.content.find((c) => isObject(c) && typeof c.text === 'string') : undefined;
        return { kind: 'error', class: 'mcp:isError', ...(text ? { message: String((text as { text: string }).text).slice(0, 200) } : {}), history: 'info' };
      }
    }
    return null;
  },
};
