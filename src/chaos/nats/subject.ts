/**
 * NATS subjects: wildcard patterns (`*` one token, `>` one or more trailing tokens) and the
 * JetStream ack subject a consumer's message carries as its reply-to.
 */

/** A compiled subject pattern. */
export type SubjectMatcher = (subject: string) => boolean;

/** Why `pattern` is not a valid subject pattern, or undefined when it is. */
export function subjectPatternError(pattern: string): string | undefined {
  if (pattern === '') return 'is empty';
  if (/[\s]/.test(pattern)) return 'contains whitespace';
  const tokens = pattern.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '') return 'has an empty token';
    if (t === '>' && i !== tokens.length - 1) return "has '>' before its last token";
    if (t.length > 1 && (t.includes('*') || t.includes('>'))) return `has a wildcard inside token '${t}'`;
  }
  return undefined;
}

/** Compiles a valid pattern (see {@link subjectPatternError}) into a predicate. */
export function compileSubject(pattern: string): SubjectMatcher {
  if (!pattern.includes('*') && !pattern.includes('>')) return (s) => s === pattern;
  const want = pattern.split('.');
  const tail = want[want.length - 1] === '>';
  const fixed = tail ? want.length - 1 : want.length;
  return (subject) => {
    const got = subject.split('.');
    if (tail ? got.length <= fixed : got.length !== fixed) return false;
    for (let i = 0; i < fixed; i++) {
      const w = want[i]!;
      if (w !== '*' && w !== got[i]) return false;
    }
    return true;
  };
}

/** What a JetStream ack subject (`$JS.ACK.…`) says about the message it acknowledges. */
export interface JetStreamAck {
  readonly stream: string;
  readonly consumer: string;
  /** Delivery count of this message to the consumer: 1 the first time, > 1 for a redelivery. */
  readonly delivered: number;
  readonly streamSeq: number;
  readonly consumerSeq: number;
  /** Messages pending for the consumer when this one was sent (its lag). */
  readonly pending: number;
}

const ACK_PREFIX = '$JS.ACK.';

/**
 * Reads `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>` and the newer
 * form with a domain and account hash after `$JS.ACK.` (12 tokens or more); null for anything else.
 */
export function parseJetStreamAck(subject: string | null): JetStreamAck | null {
  if (subject === null || !subject.startsWith(ACK_PREFIX)) return null;
  const t = subject.split('.');
  let at: number;
  if (t.length === 9) at = 2;
  else if (t.length >= 11) at = 4;
  else return null;
  // The timestamp (nanoseconds) is beyond 2^53 and not needed: it is skipped.
  const nums = [t[at + 2], t[at + 3], t[at + 4], t[at + 6]].map(Number);
  if (nums.some((n) => !Number.isSafeInteger(n) || n < 0)) return null;
  return {
    stream: t[at]!,
    consumer: t[at + 1]!,
    delivered: nums[0]!,
    streamSeq: nums[1]!,
    consumerSeq: nums[2]!,
    pending: nums[3]!,
  };
}

/** The kind of a JetStream acknowledgement payload: `+ACK` (or empty), `-NAK`, `+WPI`, `+TERM`, `+NXT`. */
export type AckKind = 'ack' | 'nak' | 'wpi' | 'term' | 'next';

/** Classifies an ack payload (anything unrecognised is reported as `ack`). */
export function ackKind(payload: Buffer): AckKind {
  const text = payload.subarray(0, 8).toString('latin1').trim().toUpperCase();
  if (text.startsWith('-NAK')) return 'nak';
  if (text.startsWith('+WPI')) return 'wpi';
  if (text.startsWith('+TERM')) return 'term';
  if (text.startsWith('+NXT')) return 'next';
  return 'ack';
}
