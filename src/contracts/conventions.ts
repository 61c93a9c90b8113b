/**
 * agentcheck's HTTP conventions as Pact matchers: a required `Idempotency-Key`, W3C `traceparent`
 * propagation, and JSON bodies. Matchers are Pact V3/V4 matchers (`MatchersV3` from
 * `@pact-foundation/pact`), so anything Pact accepts can be mixed in.
 */
import { MatchersV3 } from '@pact-foundation/pact';

/** The W3C trace-context `traceparent` format (version 00): `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
export const TRACEPARENT_PATTERN = '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$';

/** An example `traceparent` that fits {@link TRACEPARENT_PATTERN}. */
export const TRACEPARENT_EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A Pact matcher or a plain value (plain values match by equality in requests and by equality in responses). */
export type Matchable<T = unknown> = T | MatchersV3.Matcher<T>;

/** A matcher for a `traceparent` header in W3C format (regex), with an example. Default example {@link TRACEPARENT_EXAMPLE}. */
export function traceparentMatcher(example = TRACEPARENT_EXAMPLE): MatchersV3.V3RegexMatcher {
  return MatchersV3.regex(TRACEPARENT_PATTERN, example);
}

/**
 * How an interaction requires an `Idempotency-Key` header: `true` (any string without spaces, example
 * `idem-1`), a string (the same, with that example), `{ pattern, example }` (regex), or a Pact matcher.
 */
export type IdempotencyKeySpec = true | string | { pattern: RegExp | string; example: string } | MatchersV3.Matcher<string>;

/** A matcher for the `Idempotency-Key` header from an {@link IdempotencyKeySpec}. */
export function idempotencyKeyMatcher(spec: IdempotencyKeySpec): MatchersV3.Matcher<string> {
  if (spec === true) return MatchersV3.regex('^\\S+$', 'idem-1');
  if (typeof spec === 'string') return MatchersV3.regex('^\\S+$', spec);
  if (MatchersV3.isMatcher(spec)) return spec;
  return MatchersV3.regex(spec.pattern, spec.example);
}

/** A matcher for an ISO-8601 timestamp with a UTC `Z` or offset (regex), e.g. `2026-01-02T03:04:05.678Z`. */
export function isoTimestamp(example = '2026-01-02T03:04:05.678Z'): MatchersV3.V3RegexMatcher {
  return MatchersV3.regex('^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$', example);
}

/** A matcher for a non-empty string (regex `.+`) with an example. */
export function nonEmptyString(example: string): MatchersV3.V3RegexMatcher {
  return MatchersV3.regex('^[\\s\\S]+$', example);
}
