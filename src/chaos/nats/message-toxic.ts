/**
 * The NATS layer's message-toxic plugin interface. A NATS toxic file declares its attributes and
 * compiles them into a matcher, decision gates and a {@link NatsAction}; the per-connection
 * exchange (exchange.ts) carries the actions out. These types are registered on the `nats`
 * protocol only (protocol.ts), so `drop` on a nats proxy is this layer's drop, not HTTP's.
 *
 * Attributes every NATS message toxic has (zero value = no filter): `match` (see match.ts),
 * `first` (only the first N matches), `every` (only every N-th match), `only` (exactly these
 * match ordinals, no roll), `replay` (a journaled schedule, applied exactly: see
 * ../http/decision.ts); the toxic's `toxicity` is the per-message probability.
 */
import { AttributeError } from '../http/attributes.js';
import type { DecisionSpec } from '../http/decision.js';
import { COMMON_MESSAGE_ATTRIBUTES, readDecision } from '../http/message-toxic.js';
import type { Rng } from '../rng.js';
import type { AttributeSpec, MessageToxicDefinition, ToxicAttributes, ToxicDefinition } from '../toxic.js';
import { compileNatsMatch, parseNatsMatch, type NatsMatcher } from './match.js';
import type { AckKind } from './subject.js';

/** What a fired NATS toxic does to one message. */
export type NatsAction =
  | { readonly kind: 'drop' }
  | { readonly kind: 'duplicate'; readonly copies: number }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'reorder'; readonly window: number; readonly windowMs: number };

/** A NATS toxic's attributes compiled once, used for every message. */
export interface CompiledNatsToxic {
  readonly match: NatsMatcher;
  readonly decision: DecisionSpec;
  /** Which messages are candidates at all: every message, or JetStream acks of these kinds (`drop_ack`). */
  readonly candidates: 'messages' | ReadonlySet<AckKind>;
  /** The action for a message that fired; `rng` is the decision's own stream. */
  action(rng: Rng): NatsAction;
}

/** A message toxic type of the `nats` protocol. */
export interface NatsMessageToxicDefinition extends MessageToxicDefinition {
  readonly protocol: 'nats';
  /** Compiles attributes (already decoded). Throws {@link AttributeError} on bad values. */
  compileNats(attributes: ToxicAttributes): CompiledNatsToxic;
}

/** True when `d` is a message toxic the NATS layer applies. */
export function isNatsMessageToxic(d: ToxicDefinition): d is NatsMessageToxicDefinition {
  return d.kind === 'message' && (d as Partial<NatsMessageToxicDefinition>).protocol === 'nats';
}

/** The matching and decision attributes of every NATS toxic, in output order: those of every message toxic. */
export const NATS_COMMON_ATTRIBUTES: readonly AttributeSpec[] = COMMON_MESSAGE_ATTRIBUTES;

/** Compiles the shared attributes; `matchKeys` limits the `match` keys when given. */
export function compileNatsCommon(attributes: ToxicAttributes, matchKeys?: ReadonlySet<string>): { match: NatsMatcher; decision: DecisionSpec } {
  return { match: compileNatsMatch(parseNatsMatch(attributes.match, matchKeys)), decision: readDecision(attributes) };
}

/** A NATS toxic definition from its type, Go name, own attributes and compiler (validation by compiling). */
export function natsToxic(
  type: string,
  goName: string,
  own: readonly AttributeSpec[],
  compileNats: (attributes: ToxicAttributes) => CompiledNatsToxic,
): NatsMessageToxicDefinition {
  return {
    type,
    kind: 'message',
    protocol: 'nats',
    goName,
    attributes: [...own, ...NATS_COMMON_ATTRIBUTES],
    compileNats,
    validate(attributes) {
      try {
        compileNats(attributes);
        return undefined;
      } catch (e) {
        if (e instanceof AttributeError) return e.message;
        throw e;
      }
    },
  };
}
