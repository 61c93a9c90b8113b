/**
 * Request identity: what makes "the same request" recognisable across two runs of the same
 * workload, whatever the timing. A message toxic's decision for a request is drawn from a stream
 * keyed by this identity and the hop attempt (see decision.ts), not by the request's arrival
 * order, which timing decides.
 *
 * The identity is the W3C `traceparent` trace id (the load driver sends one seeded trace id per
 * workflow and agents propagate it hop to hop) and, when present, the `Idempotency-Key`, plus
 * the method, the path and the JSON-RPC method(s) of the body: one workflow calling two
 * endpoints makes two identities. A request with neither a trace id nor an Idempotency-Key has
 * no identity (null): its decisions fall back to the toxic's match counter, which is only as
 * reproducible as the arrival order.
 *
 * The hop attempt is how many times the proxy saw the same trace id, Idempotency-Key, method and
 * path before (first delivery 0, a retry 1, …), counted on every request the proxy carries,
 * whether a message toxic was installed then or not, so fault windows do not shift it. A copy
 * made by the `duplicate` toxic goes upstream on a side connection and is not counted.
 *
 * JSON-RPC / A2A / MCP request `id`s are deliberately not part of it: clients commonly number
 * them per connection or per process, so the same call gets a different id in the next run.
 */
import { headerValue, type HeaderList } from './parser.js';
import { traceIdOf } from '../../trace/traceparent.js';

/** The parts of a request identity, as the journal shows them. */
export interface RequestIdentity {
  /** The join key: trace id, Idempotency-Key, method, path and JSON-RPC method(s); null without an identity. */
  key: string | null;
  /** The 32-hex trace id of a valid `traceparent`, null when absent or invalid. */
  traceId: string | null;
  idempotencyKey: string | null;
}

/** The trace id of a `traceparent` value, null when it is not a valid one (W3C rules: src/trace/traceparent.ts). */
export { traceIdOf };

/** The key attempts are counted by (identity without the JSON-RPC methods, known at the head); null without an identity. */
export function attemptKey(method: string, path: string, headers: HeaderList): string | null {
  const traceId = traceIdOf(headerValue(headers, 'traceparent'));
  const idempotencyKey = headerValue(headers, 'idempotency-key')?.trim() || null;
  if (traceId === null && idempotencyKey === null) return null;
  return `${traceId ?? '-'} ${method.toUpperCase()} ${path}${idempotencyKey !== null ? ` key=${idempotencyKey}` : ''}`;
}

/**
 * Identities remembered per proxy for attempt counting; the oldest are forgotten beyond this. A
 * retry comes within seconds of its first attempt, and 20,000 identities are 40 s of traffic even
 * at 500 requests/s on one edge, while every identity kept costs about 150 bytes for the whole run
 * (200,000 per proxy was most of a long scenario's memory growth).
 */
const ATTEMPT_MEMORY = 20_000;

/** How many times each attempt key was seen on one proxy. */
export class AttemptCounter {
  private readonly seen = new Map<string, number>();

  /** The attempt of the request with `key` (0 the first time), counting it; 0 for null. */
  next(key: string | null): number {
    if (key === null) return 0;
    const before = this.seen.get(key);
    if (before === undefined && this.seen.size >= ATTEMPT_MEMORY) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, (before ?? 0) + 1);
    return before ?? 0;
  }
}

/** The identity of a request from its head and the JSON-RPC methods found in its body (null: not inspected). */
export function requestIdentity(method: string, path: string, headers: HeaderList, jsonrpcMethods: readonly string[] | null): RequestIdentity {
  const traceId = traceIdOf(headerValue(headers, 'traceparent'));
  const idempotencyKey = headerValue(headers, 'idempotency-key')?.trim() || null;
  if (traceId === null && idempotencyKey === null) return { key: null, traceId, idempotencyKey };
  const rpc = jsonrpcMethods && jsonrpcMethods.length > 0 ? ` rpc=${jsonrpcMethods.join(',')}` : '';
  const key = `${traceId ?? '-'} ${method.toUpperCase()} ${path}${idempotencyKey !== null ? ` key=${idempotencyKey}` : ''}${rpc}`;
  return { key, traceId, idempotencyKey };
}
