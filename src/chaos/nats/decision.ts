/**
 * Per-message fault decisions on a NATS proxy. The gates are those of every message toxic
 * (`only`, then `first`, `every`, then the seeded `toxicity` roll), counted per toxic over
 * matching messages, proxy-wide. The roll and the toxic's own draws (a delay, a reorder
 * permutation) come from a stream forked from the toxic's stream by the message's key:
 * - its identity and attempt when it has one (see identity.ts), so the same message gets the
 *   same decision in every run with the same seed, whatever order messages arrive in;
 * - otherwise its position on its connection (`<connection>.<n>`), which is as reproducible as
 *   the connection order and the client's own order.
 */
import type { DecisionSpec } from '../http/decision.js';
import type { SkipReason } from '../journal.js';
import type { Rng } from '../rng.js';

/** How a message is keyed for its decisions. */
export interface MessageKey {
  /** Identity (stable across runs), null when the message has none. */
  readonly identity: string | null;
  /** The attempt when the protocol says it (a JetStream delivery count − 1); else counted per toxic. */
  readonly attempt?: number;
  /** The per-connection position used without an identity, e.g. `3.17`. */
  readonly position: string;
}

/** One decision. */
export interface NatsDecision {
  readonly fired: boolean;
  /** Which match of the toxic this was (1-based, arrival order); 0 when it did not match. */
  readonly ordinal: number;
  /** How many times this toxic had seen the identity before (0 = first); 0 without an identity. */
  readonly attempt: number;
  readonly reason?: SkipReason;
  /** The stream for this decision's own draws. */
  readonly random: Rng;
}

// Identities remembered per toxic for attempt counting; beyond this the oldest are forgotten.
const MEMORY = 100_000;

/** One toxic's decision state on one proxy. */
export class NatsDecider {
  private matched = 0;
  private readonly seen = new Map<string, number>();

  constructor(private readonly rng: Rng) {}

  /** Decides for one message whose match filters gave `matches`. */
  decide(key: MessageKey, matches: boolean, spec: DecisionSpec, toxicity: number): NatsDecision {
    if (!matches) return { fired: false, ordinal: 0, attempt: 0, reason: 'no-match', random: this.rng };
    const ordinal = ++this.matched;
    const attempt = key.identity === null ? 0 : (key.attempt ?? this.count(key.identity));
    const random = this.rng.fork(key.identity === null ? `pos:${key.position}` : `id:${key.identity}#${attempt}`);
    const verdict = (reason?: SkipReason): NatsDecision =>
      reason ? { fired: false, ordinal, attempt, reason, random } : { fired: true, ordinal, attempt, random };
    if (spec.only && spec.only.length > 0) return verdict(spec.only.includes(ordinal) ? undefined : 'not-scheduled');
    if (spec.first > 0 && ordinal > spec.first) return verdict('not-first');
    if (spec.every > 0 && ordinal % spec.every !== 0) return verdict('not-every');
    // The roll is always the stream's first draw, so the toxic's own draws never depend on toxicity.
    const roll = random.next();
    return verdict(toxicity < 1 && !(roll < toxicity) ? 'toxicity' : undefined);
  }

  private count(identity: string): number {
    const before = this.seen.get(identity) ?? 0;
    if (before === 0 && this.seen.size >= MEMORY) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(identity, before + 1);
    return before;
  }
}
