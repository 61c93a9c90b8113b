/**
 * Asks the protocol classifiers in turn (HTTP, JSON-RPC, MCP, A2A) about a response; with none
 * recognising it, the outcome is ok.
 */
import { a2aClassifier } from './a2a.js';
import { httpClassifier } from './http.js';
import { jsonRpcClassifier } from './jsonrpc.js';
import { mcpClassifier } from './mcp.js';
import type { ClassifiedRequest, ClassifiedResponse, FollowOptions, OutcomeClassifier, Verdict } from './protocol.js';

/** The classifiers, in the order they are asked. */
export const CLASSIFIERS: readonly OutcomeClassifier[] = [httpClassifier, jsonRpcClassifier, mcpClassifier, a2aClassifier];

/** The verdict on one response. */
export function classifyResponse(res: ClassifiedResponse, req: ClassifiedRequest, follow: FollowOptions): Verdict {
  for (const c of CLASSIFIERS) {
    const v = c.classify(res, req, follow);
    if (v) return v;
  }
  return { kind: 'ok' };
}
