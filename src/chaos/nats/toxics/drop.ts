/**
 * `drop` on a `nats` proxy: the message is not forwarded. On `publish` the server never gets it
 * (a core publisher sees nothing; a JetStream publisher gets no PubAck and times out); on
 * `deliver` the subscriber never gets it (JetStream redelivers after the consumer's AckWait).
 */
import type { ToxicAttributes } from '../../toxic.js';
import { compileNatsCommon, natsToxic } from '../message-toxic.js';

function compile(attributes: ToxicAttributes) {
  return { ...compileNatsCommon(attributes), candidates: 'messages' as const, action: () => ({ kind: 'drop' as const }) };
}

/** The NATS `drop` toxic: the matching attributes only. */
export const natsDropToxic = natsToxic('drop', 'NatsDropToxic', [], compile);
