/**
 * `drop_ack` on a `nats` proxy: a JetStream acknowledgement (a publish to the `$JS.ACK.…` reply
 * subject of a consumer's message) is swallowed, so the server still thinks the message is
 * unacknowledged and redelivers it after the consumer's AckWait, up to MaxDeliver. `kind`
 * picks which acknowledgements: `ack` (default: `+ACK` or an empty payload), `nak`, `term`,
 * `wpi` (in progress), `next`, or `any`. `match.subject` matches the subject of the message
 * being acknowledged (known when the proxy carried its delivery), `match.stream` /
 * `match.consumer` the ack subject's; acks always flow client → server, so there is no `direction`.
 */
import { AttributeError } from '../../http/attributes.js';
import { attrString } from '../../http/message-toxic.js';
import type { ToxicAttributes } from '../../toxic.js';
import type { AckKind } from '../subject.js';
import { compileNatsCommon, natsToxic } from '../message-toxic.js';

const KINDS: Record<string, readonly AckKind[]> = {
  ack: ['ack'],
  nak: ['nak'],
  term: ['term'],
  wpi: ['wpi'],
  next: ['next'],
  any: ['ack', 'nak', 'term', 'wpi', 'next'],
};
const MATCH_KEYS = new Set(['subject', 'header', 'stream', 'consumer']);

function compile(attributes: ToxicAttributes) {
  const kind = attrString(attributes.kind).trim().toLowerCase() || 'ack';
  const kinds = KINDS[kind];
  if (!kinds) throw new AttributeError(`attribute 'kind' must be one of ${Object.keys(KINDS).map((k) => `'${k}'`).join(', ')}, got '${kind}'`);
  return { ...compileNatsCommon(attributes, MATCH_KEYS), candidates: new Set(kinds), action: () => ({ kind: 'drop' as const }) };
}

/** The NATS `drop_ack` toxic: `{kind: string ('ack')}` plus the matching attributes. */
export const natsDropAckToxic = natsToxic('drop_ack', 'NatsDropAckToxic', [{ name: 'kind', type: 'string' }], compile);
