/**
 * Timer helpers shared by the stream toxics. Node timers can fire a fraction of a millisecond before
 * the requested time (the loop clock is cached and truncated), so waits re-arm until the deadline has
 * really passed: a latency toxic must never deliver early.
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic clock. */
export const now = (): number => performance.now();

/** A single re-armable deadline timer. */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private due = 0;
  constructor(private readonly fire: () => void) {}

  /** Arms (or re-arms) the timer for the monotonic time `due`. */
  at(due: number): void {
    this.due = due;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.tick, Math.max(0, Math.ceil(due - now())));
  }

  /** True while armed. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Disarms. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const left = this.due - now();
    if (left > 0.001) {
      this.timer = setTimeout(this.tick, Math.max(1, Math.ceil(left)));
      return;
    }
    this.fire();
  };
}

/** Reads a numeric attribute (number or bigint) as a JS number; anything else is 0. */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return 0;
}
