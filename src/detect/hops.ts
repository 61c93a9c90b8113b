/**
 * The hop view detectors work on: every request an edge's proxy saw, with the caller and callee
 * split out, the W3C trace context parsed, the time on the run's load clock, and the phase it fell
 * in. Built from the HTTP-aware proxies' records (`src/chaos/http/records.ts`); our own duplicate
 * deliveries (`copyOf`) are kept but flagged, since they are not the caller's doing.
 */
import type { EdgeRecord } from '../chaos/http/records.js';
import { parseTraceparent as parseTraceContext } from '../trace/traceparent.js';

/** One request through an edge. */
export interface Hop {
  edge: string;
  from: string;
  to: string;
  /** The trace id of the request's `traceparent`, or null when it had none (or a malformed one). */
  traceId: string | null;
  /** The parent span id of the request's `traceparent`. */
  spanId: string | null;
  /** Milliseconds on the load driver's clock (0 = the first phase's start); may be negative (warm-up). */
  tMs: number;
  latencyMs: number;
  method: string;
  path: string;
  jsonrpcMethod: string | null;
  idempotencyKey: string | null;
  /** A hash of the request body, when the proxy recorded one. */
  bodyHash: string | null;
  /** The MCP tool name of a `tools/call`, when the proxy recorded one. */
  tool: string | null;
  status: number | null;
  /** The answer's `Retry-After` in milliseconds (seconds or an HTTP date), when it had one. */
  retryAfterMs: number | null;
  /** True for a copy our own `duplicate` toxic delivered. */
  ourCopy: boolean;
  /** The phase the hop started in, or `warmup` before the first. */
  phase: string;
  /** The proxy's request id (for reports). */
  requestId: string;
}

/** A phase on the load driver's clock. */
export interface PhaseSpan {
  name: string;
  startMs: number;
}

/**
 * The trace id and parent span id of a `traceparent` value, nulls when it has none or an invalid
 * one (the W3C rules of src/trace/traceparent.ts: a malformed header is no trace context at all).
 */
export function parseTraceparent(value: string | null | undefined): { traceId: string | null; spanId: string | null } {
  const tc = parseTraceContext(value);
  return tc ? { traceId: tc.traceId, spanId: tc.parentId } : { traceId: null, spanId: null };
}

/** `Retry-After` as milliseconds from `answeredAtMs` (epoch ms): delta-seconds or an HTTP date (RFC 9110). */
export function retryAfterMs(value: string | null | undefined, answeredAtMs: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - answeredAtMs);
}

/** The phase of a time on the load clock: the last phase started at or before it. */
export function phaseAt(phases: readonly PhaseSpan[], tMs: number): string {
  let name = 'warmup';
  for (const p of phases) if (p.startMs <= tMs) name = p.name;
  return name;
}

/**
 * Hops from every edge's records (each with its edge id; a store's rows or a buffer's), sorted by
 * start. Only the hops are kept, not the records. `loadStartIso` is the load driver's start (its
 * clock's zero), so hops and the phases share one clock.
 */
export function hopsFromRecords(records: Iterable<EdgeRecord & { edge: string }>, phases: readonly PhaseSpan[], loadStartIso: string | undefined): Hop[] {
  const zero = loadStartIso ? Date.parse(loadStartIso) : 0;
  const hops: Hop[] = [];
  // One string per edge and method, not one per hop: a long run holds hundreds of thousands.
  const ends = new Map<string, { edge: string; from: string; to: string }>();
  const methods = new Map<string, string>();
  for (const r of records) {
    let end = ends.get(r.edge);
    if (!end) {
      const [from = r.edge, to = r.edge] = r.edge.split('->');
      end = { edge: r.edge, from, to };
      ends.set(r.edge, end);
    }
    const { edge, from, to } = end;
    let method = methods.get(r.method);
    if (method === undefined) methods.set(r.method, (method = r.method));
    const tMs = Date.parse(r.time) - zero;
    const { traceId, spanId } = parseTraceparent(r.traceparent);
    hops.push({
      edge,
      from,
      to,
      traceId,
      spanId,
      tMs,
      latencyMs: r.latencyMs,
      method,
      path: r.path,
      jsonrpcMethod: r.jsonrpcMethod,
      idempotencyKey: r.idempotencyKey ?? null,
      bodyHash: r.bodyHash ?? null,
      tool: r.tool ?? null,
      status: r.status,
      retryAfterMs: retryAfterMs(r.retryAfter, Date.parse(r.time) + r.latencyMs),
      ourCopy: r.copyOf !== undefined,
      phase: phaseAt(phases, tMs),
      requestId: r.requestId,
    });
  }
  return hops.sort((a, b) => a.tMs - b.tMs);
}
