/**
 * Injected time for the expiry property: a handler reads `clock.now()` instead of `Date.now()`, so
 * a test moves time past an idempotency key's TTL without sleeping.
 */

/** A source of the current time in milliseconds. */
export interface Clock {
  /** Milliseconds (epoch for the system clock, arbitrary origin for a manual one). */
  now(): number;
}

/** The wall clock (`Date.now`). */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; starts at `start` (default 0). */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = 0) {
    this.t = start;
  }
  /** The current manual time in ms. */
  now(): number {
    return this.t;
  }
  /** Moves time forward by `ms` (must be ≥ 0). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward; got ${ms} ms`);
    this.t += ms;
  }
}
