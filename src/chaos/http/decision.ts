/**
 * Per-request fault decisions. A message-level toxic fires on a matching request when every
 * gate passes, in this order: `first` (only the first N matches), `every` (only every N-th
 * match), then the seeded rolls for `toxicity` and `probability`.
 *
 * Rolls and the toxic's own draws (a latency, say) come from a stream derived from the toxic's
 * stream (itself forked from the seed, proxy and toxic name) and the request's identity and hop
 * attempt (see identity.ts): the same request gets the same decision in every run with the same
 * seed, whatever order requests arrive in. Without an identity the stream is keyed by the match
 * ordinal instead, which is only as reproducible as the arrival order. `first`/`every` count
 * matches in arrival order (documented in docs/message-faults.md).
 *
 * `replay` (a journaled schedule) and `only` (match ordinals) bypass every gate and roll.
 */
import type { Rng } from '../rng.js';
import type { SkipReason } from '../journal.js';

/** What a fired decision drew or applied, as journaled and replayed (only the fields of the toxic's action). */
export interface DecisionValue {
  /** http_latency: the delay, ms. */
  delayMs?: number;
  /** duplicate: extra deliveries. */
  copies?: number;
  /** drop / commit_then_drop (mode status) and http_error: the status answered. */
  status?: number;
  /** stream_cut: events delivered before the cut. */
  events?: number;
}

/** One journaled decision to apply again: a request identity (or, without one, a match ordinal) and what was drawn. */
export interface ReplayDecision {
  /** The request identity's join key; null when the request had none (then `ordinal` decides). */
  id: string | null;
  /** The hop attempt: how many times the proxy had seen the request before (0 = first delivery; identity.ts). */
  attempt: number;
  /** The match ordinal, used only when `id` is null. */
  ordinal?: number;
  /** The journaled value; when absent the toxic draws it as usual. */
  value?: DecisionValue | null;
}

/** The decision gates of a message-level toxic (read from its attributes by message-toxic.ts). */
export interface DecisionSpec {
  /** Chance that a matching request is hit, 0..1 (default 1; message toxics use their toxicity instead). */
  probability: number;
  /** Hit only the first N matching requests (default 0 = no limit). */
  first: number;
  /** Hit only every N-th matching request: the N-th, 2N-th, … (default 0 = every one). */
  every: number;
  /**
   * Hit exactly these matches (1-based ordinals) and no others, with no roll. Empty = not set;
   * when set, `first`, `every` and the rolls are not consulted.
   */
  only?: readonly number[];
  /**
   * Exact replay of a journal: hit exactly these (identity, attempt) pairs with their journaled
   * values, and nothing else. Set (even empty) ⇒ `only`, `first`, `every` and rolls are ignored.
   */
  replay?: readonly ReplayDecision[];
}

/** The outcome of one decision. */
export interface Decision {
  fired: boolean;
  /** Which match this was (1-based, arrival order), 0 when the request did not match. */
  ordinal: number;
  /** The hop attempt of the request on this proxy (0 = first delivery); 0 without an identity. */
  attempt: number;
  /** Why it did not fire. */
  reason?: SkipReason;
  /** The stream for this decision's own draws (a latency); keyed like the roll. */
  random: Rng;
  /** Under replay: the journaled value to apply instead of drawing. */
  value?: DecisionValue;
}

const replayIndexes = new WeakMap<readonly ReplayDecision[], Map<string, ReplayDecision>>();

function replayKey(id: string | null, attempt: number, ordinal: number): string {
  return id === null ? `#${ordinal}` : `${id}#${attempt}`;
}

function replayIndex(replay: readonly ReplayDecision[]): Map<string, ReplayDecision> {
  let index = replayIndexes.get(replay);
  if (!index) {
    index = new Map(replay.map((r) => [replayKey(r.id, r.attempt, r.ordinal ?? 0), r]));
    replayIndexes.set(replay, index);
  }
  return index;
}

/** One toxic's decision state: its stream and how many requests matched. */
export class Decider {
  private matched = 0;
  constructor(private readonly rng: Rng) {}

  /**
   * Decides for one request; `identity` is its join key (null without one), `attempt` its hop
   * attempt on the proxy, `matches` the result of the toxic's match filters.
   */
  decide(identity: string | null, attempt: number, matches: boolean, spec: DecisionSpec, toxicity: number): Decision {
    if (!matches) return { fired: false, ordinal: 0, attempt, reason: 'no-match', random: this.rng };
    const ordinal = ++this.matched;
    const random = this.rng.fork(identity === null ? `ord:${ordinal}` : `id:${identity}#${attempt}`);
    const base = { ordinal, attempt, random };
    if (spec.replay) {
      const hit = replayIndex(spec.replay).get(replayKey(identity, attempt, ordinal));
      if (!hit) return { ...base, fired: false, reason: 'not-scheduled' };
      return hit.value ? { ...base, fired: true, value: hit.value } : { ...base, fired: true };
    }
    if (spec.only && spec.only.length > 0) {
      return spec.only.includes(ordinal) ? { ...base, fired: true } : { ...base, fired: false, reason: 'not-scheduled' };
    }
    if (spec.first > 0 && ordinal > spec.first) return { ...base, fired: false, reason: 'not-first' };
    if (spec.every > 0 && ordinal % spec.every !== 0) return { ...base, fired: false, reason: 'not-every' };
    // The rolls come first in the decision's own stream, so the toxic's draws follow them.
    const toxicityRoll = random.next();
    const probabilityRoll = random.next();
    if (toxicity < 1 && !(toxicityRoll < toxicity)) return { ...base, fired: false, reason: 'toxicity' };
    if (spec.probability < 1 && !(probabilityRoll < spec.probability)) return { ...base, fired: false, reason: 'probability' };
    return { ...base, fired: true };
  }

}
