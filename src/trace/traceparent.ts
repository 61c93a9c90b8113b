/**
 * The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header),
 * parsed the way the Recommendation tells a receiver to: `version-traceid-parentid-flags`, every
 * field lowercase hex (`00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`).
 *
 * - version: two hex digits; `ff` is invalid. Version `00` is exactly 55 characters.
 * - A higher version may carry more fields: after the 55 characters of the known ones, the next
 *   character must be `-` (what follows is not read).
 * - trace-id: 32 hex digits, parent-id: 16 hex digits; all zeros is invalid for either.
 * - flags: two hex digits (bit 0 is `sampled`; other bits are ignored, not rejected).
 * - Upper-case hex is invalid (the spec's HEXDIGLC). Only optional white space around the value
 *   (HTTP's OWS: spaces and tabs) is stripped.
 *
 * A header that breaks any rule is ignored as a whole (null): agentcheck then treats the request as
 * carrying no trace context, which is never counted as propagation.
 */

/** The fields of a valid `traceparent`. */
export interface TraceContext {
  /** Two lowercase hex digits, not `ff`. */
  version: string;
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** The caller's span id: 16 lowercase hex digits, not all zero. */
  parentId: string;
  /** Two lowercase hex digits. */
  flags: string;
  /** Bit 0 of the flags. */
  sampled: boolean;
}

/** Length of the four fields of version 00 (and of the known prefix of any later version). */
const KNOWN_LENGTH = 55;
const FIELDS = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
const ALL_ZERO = /^0+$/;

/** The fields of a `traceparent` value, or null when it is absent or not valid (see the module notes). */
export function parseTraceparent(value: string | null | undefined): TraceContext | null {
  if (!value) return null;
  const v = value.replace(/^[ \t]+|[ \t]+$/g, '');
  const m = FIELDS.exec(v);
  if (!m) return null;
  const [, version, traceId, parentId, flags] = m as unknown as [string, string, string, string, string];
  if (version === 'ff') return null;
  if (version === '00' ? v.length !== KNOWN_LENGTH : v.length > KNOWN_LENGTH && v[KNOWN_LENGTH] !== '-') return null;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return null;
  return { version, traceId, parentId, flags, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** The trace id of a `traceparent` value, or null when it is absent or not valid. */
export function traceIdOf(value: string | null | undefined): string | null {
  return parseTraceparent(value)?.traceId ?? null;
}
