/**
 * Message identity on a NATS proxy: what makes "the same message" recognisable in two runs of
 * the same workload, so its fault decisions do not depend on timing. In order of preference:
 * - a JetStream delivery (reply `$JS.ACK.…`) or ack (a publish to it): stream, consumer and
 *   stream sequence, with the delivery count as the attempt (a redelivery is attempt 1, 2, …);
 * - the `Nats-Msg-Id` header (JetStream's de-duplication id) with the subject;
 * - the trace id of a W3C `traceparent` header with the subject;
 * - none: decisions are keyed by the toxic's match ordinal (arrival order), as HTTP requests
 *   without an identity are (../http/decision.ts).
 * The direction is part of every identity: a message published and then delivered is two hops.
 * The attempt is the JetStream delivery count − 1, else how many messages with the identity the
 * proxy carried before (a republish with the same Nats-Msg-Id is attempt 1).
 */
import { traceIdOf } from '../http/identity.js';
import type { NatsDirection } from './parser.js';
import type { JetStreamAck } from './subject.js';

/** A message's identity parts, as the journal shows them. */
export interface NatsIdentity {
  /** The join key, null when the message has none. */
  readonly key: string | null;
  /** Attempt given by the protocol (JetStream delivery count − 1), else undefined (counted per toxic). */
  readonly attempt?: number;
  /** The trace id of a valid traceparent, null when none. */
  readonly traceId: string | null;
}

/** The identity of one message. `ack` is the JetStream ack it is (publish) or carries as reply (deliver). */
export function messageIdentity(
  direction: NatsDirection,
  subject: string,
  ack: JetStreamAck | null,
  msgId: string | undefined,
  traceparent: string | undefined,
): NatsIdentity {
  const traceId = traceIdOf(traceparent);
  if (ack) {
    const what = direction === 'publish' ? 'ack' : 'js';
    return { key: `${what} ${ack.stream} ${ack.consumer} ${ack.streamSeq}`, attempt: Math.max(0, ack.delivered - 1), traceId };
  }
  const id = msgId?.trim();
  if (id) return { key: `${direction} ${subject} msgid=${id}`, traceId };
  if (traceId) return { key: `${direction} ${subject} trace=${traceId}`, traceId };
  return { key: null, traceId };
}
