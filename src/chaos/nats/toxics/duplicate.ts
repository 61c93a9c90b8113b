/**
 * `duplicate` on a `nats` proxy: the message is forwarded 1 + `copies` times (default 1 copy, at
 * most 100), back to back, byte for byte. A duplicated JetStream publish with a `Nats-Msg-Id`
 * is what the stream's de-duplication window exists for; a duplicated delivery is what an
 * idempotent consumer must absorb.
 */
import { AttributeError } from '../../http/attributes.js';
import { attrNumber } from '../../http/message-toxic.js';
import type { ToxicAttributes } from '../../toxic.js';
import { compileNatsCommon, natsToxic } from '../message-toxic.js';

function compile(attributes: ToxicAttributes) {
  const raw = attrNumber(attributes.copies);
  if (!Number.isInteger(raw) || raw < 0 || raw > 100) {
    throw new AttributeError(`attribute 'copies' must be an integer between 0 and 100, got ${raw}`);
  }
  const copies = raw === 0 ? 1 : raw;
  return { ...compileNatsCommon(attributes), candidates: 'messages' as const, action: () => ({ kind: 'duplicate' as const, copies }) };
}

/** The NATS `duplicate` toxic: `{copies: int (1)}` plus the matching attributes. */
export const natsDuplicateToxic = natsToxic('duplicate', 'NatsDuplicateToxic', [{ name: 'copies', type: 'int' }], compile);
