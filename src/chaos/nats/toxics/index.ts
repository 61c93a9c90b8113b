/**
 * The message toxic types of the `nats` protocol, by type name. Adding one is one file in this
 * folder and one line here.
 */
import type { NatsMessageToxicDefinition } from '../message-toxic.js';
import { natsDelayToxic } from './delay.js';
import { natsDropToxic } from './drop.js';
import { natsDropAckToxic } from './drop_ack.js';
import { natsDuplicateToxic } from './duplicate.js';
import { natsReorderToxic } from './reorder.js';

/** Every NATS message toxic type, by `type`. */
export const natsToxicTypes: ReadonlyMap<string, NatsMessageToxicDefinition> = new Map(
  [natsDropToxic, natsDuplicateToxic, natsDelayToxic, natsReorderToxic, natsDropAckToxic].map((d) => [d.type, d]),
);
