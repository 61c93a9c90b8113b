/**
 * The weighted mix of workflows: arrival i takes workflow k with probability weight_k / Σ weights,
 * decided by one draw of a seeded RNG per arrival, so the same seed gives every arrival index the
 * same workflow on every run.
 */
import type { Rng } from '../chaos/rng.js';
import { AgentcheckError } from '../errors.js';

/** Picks an index by weight from one uniform draw. */
export class WeightedMix {
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new AgentcheckError('usage', 'a workflow mix needs at least one workflow');
    let sum = 0;
    this.cumulative = weights.map((w, i) => {
      if (!(Number.isFinite(w) && w > 0)) throw new AgentcheckError('usage', `workflow ${i} has weight ${w}, expected a number > 0`);
      sum += w;
      return sum;
    });
    this.total = sum;
  }

  /** The index for a draw `u` in [0, 1). */
  pick(u: number): number {
    const x = u * this.total;
    const c = this.cumulative;
    if (c.length === 1) return 0;
    // Binary search: the first cumulative weight above x.
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The index for the next arrival, one draw from `rng`. */
  next(rng: Rng): number {
    return this.pick(rng.next());
  }
}
