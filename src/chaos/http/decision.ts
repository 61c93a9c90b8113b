/**
 * Per-request fault decisions. A message-level toxic fires on a matching request when every
 * gate passes, in this order: `first` (only the first N matches), `every` (only every N-th
 * match), then the seeded rolls for `toxicity` and `probability`. Counting is per toxic over
 * matching requests; draws come from the toxic's own forked {@link Rng}, so one toxic's
 * decisions never shift another's, and the same seed with the same request order gives the
 * same decisions.
 */
import type { Rng } from '../rng.js';
import type { SkipReason } from '../journal.js';

/** The decision gates of a message-level toxic (read from its attributes by message-toxic.ts). */
export interface DecisionSpec {
  /** Chance that a matching request is hit, 0..1 (default 1; message toxics use their toxicity instead). */
  probability: number;
  /** Hit only the first N matching requests (default 0 = no limit). */
  first: number;
  /** Hit only every N-th matching request: the N-th, 2N-th, … (default 0 = every one). */
  every: number;
  /**
   * Hit exactly these matches (1-based ordinals) and no others, with no roll: the replay of a
   * recorded or shrunk fault schedule. Empty = not set; when set, `first`, `every` and the rolls
   * are not consulted.
   */
  only?: readonly number[];
}

/** The outcome of one decision. */
export interface Decision {
  fired: boolean;
  /** Which match this was (1-based), 0 when the request did not match. */
  ordinal: number;
  /** Why it did not fire. */
  reason?: SkipReason;
}

/** One toxic's decision state: its RNG and how many requests matched so far. */
export class Decider {
  private matched = 0;
  constructor(private readonly rng: Rng) {}

  /** Decides for one request; `matches` is the result of the toxic's match filters. */
  decide(matches: boolean, spec: DecisionSpec, toxicity: number): Decision {
    if (!matches) return { fired: false, ordinal: 0, reason: 'no-match' };
    const ordinal = ++this.matched;
    if (spec.only && spec.only.length > 0) {
      return spec.only.includes(ordinal) ? { fired: true, ordinal } : { fired: false, ordinal, reason: 'not-scheduled' };
    }
    if (spec.first > 0 && ordinal > spec.first) return { fired: false, ordinal, reason: 'not-first' };
    if (spec.every > 0 && ordinal % spec.every !== 0) return { fired: false, ordinal, reason: 'not-every' };
    // Roll only when the outcome is uncertain, so toxics at 1.0 consume no draws.
    if (toxicity < 1 && !(this.rng.next() < toxicity)) return { fired: false, ordinal, reason: 'toxicity' };
    if (spec.probability < 1 && !(this.rng.next() < spec.probability)) return { fired: false, ordinal, reason: 'probability' };
    return { fired: true, ordinal };
  }

  /** Draws for the toxic's own random choices (e.g. a latency), from the same stream. */
  get random(): Rng {
    return this.rng;
  }
}
