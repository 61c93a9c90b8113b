// W3C Trace Context (traceparent only). An incoming valid header is continued: same trace id
// and flags, a fresh span id for this hop; anything else starts a new trace, as the spec says a
// receiver must do with a header it cannot parse.
import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parse a traceparent header: `{traceId, parentId, flags}` or null when absent/invalid. */
export function parseTraceparent(header) {
  if (typeof header !== 'string') return null;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return null;
  const [, version, traceId, parentId, flags] = m;
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  return { traceId, parentId, flags };
}

function spanId() {
  let id;
  do id = randomBytes(8).toString('hex');
  while (/^0+$/.test(id));
  return id;
}

/**
 * The trace context of one incoming request: `traceparent` is this hop's own span (logged),
 * `child()` makes the header for one outgoing call (same trace id, new span id).
 */
export function traceFromHeader(header) {
  const incoming = parseTraceparent(header);
  const traceId = incoming ? incoming.traceId : randomBytes(16).toString('hex');
  const flags = incoming ? incoming.flags : '01';
  return {
    traceId,
    continued: incoming !== null,
    traceparent: `00-${traceId}-${spanId()}-${flags}`,
    child: childMaker(traceId, flags),
  };
}

/**
 * TRACE_MODE (a broken-on-purpose variant for agentcheck's trace-continuity detector):
 * `continue` (default) carries the trace on; `remint` starts a fresh trace on every outgoing
 * call (a header is present, the trace is broken anyway); `drop` sends no traceparent at all.
 */
const TRACE_MODE = process.env.TRACE_MODE ?? 'continue';
if (!['continue', 'remint', 'drop'].includes(TRACE_MODE)) {
  process.stderr.write(`TRACE_MODE must be continue, remint or drop, got '${TRACE_MODE}'\n`);
  process.exit(2);
}

function childMaker(traceId, flags) {
  if (TRACE_MODE === 'drop') return () => null;
  if (TRACE_MODE === 'remint') return () => `00-${randomBytes(16).toString('hex')}-${spanId()}-${flags}`;
  return () => `00-${traceId}-${spanId()}-${flags}`;
}
