/**
 * Timer helpers shared by the stream toxics. A latency toxic must never deliver early and should not
 * deliver late either: the timer is armed for the whole milliseconds left (Node timers tend to fire
 * up to 1 ms late), and when it fires a fraction early the last sub-millisecond is waited out with
 * `setImmediate` turns.
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
    this.cancel();
    this.arm();
  }

  /** True while armed. */
  get armed(): boolean {
    return this.timer !== undefined || this.immediate !== undefined;
  }

  /** Disarms. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private immediate: NodeJS.Immediate | undefined;

  private arm(): void {
    const left = this.due - now();
    if (left >= 1) this.timer = setTimeout(this.tick, Math.floor(left));
    else this.immediate = setImmediate(this.tick);
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    if (this.due - now() > 0.001) {
      this.arm();
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
