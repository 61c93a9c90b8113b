/**
 * A FIFO of timed chunks used by the delaying toxics (latency, bandwidth, slicer). Released strictly in
 * order, each at or after its due time; `null` marks the end of the input.
 */
import type { StageOutput } from '../toxic.js';
import { Deadline, now } from './timing.js';

interface Item {
  chunk: Buffer | null;
  due: number;
}

/** An ordered, timed release queue feeding a {@link StageOutput}. */
export class TimedQueue {
  private items: Item[] = [];
  private head = 0;
  private bytes = 0;
  private ended = false;
  private readonly timer = new Deadline(() => this.release());
  // With spacing: the earliest time the next item may go.
  private nextAllowed = 0;

  /**
   * When set, items go one per event-loop turn at least this many ms apart (after each release the
   * queue sleeps, like a Go toxic's `time.After` per piece), so each becomes its own socket write
   * and its own read at the peer instead of a burst of due items coalescing on the wire.
   */
  spacingMs: number | undefined;

  constructor(
    private readonly out: StageOutput,
    private readonly released: () => void,
  ) {}

  /** Bytes waiting. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Due time of the last queued item (or 0 when empty): new items never overtake it. */
  get lastDue(): number {
    const last = this.items[this.items.length - 1];
    return this.head < this.items.length && last ? last.due : 0;
  }

  /** True when nothing is waiting. */
  get empty(): boolean {
    return this.head >= this.items.length;
  }

  /** Queues `chunk` (or the end, for `null`) for release at `due` (never before earlier items). */
  add(chunk: Buffer | null, due: number): void {
    if (this.ended) return;
    const at = Math.max(due, this.lastDue);
    if (chunk === null) this.ended = true;
    else this.bytes += chunk.length;
    this.items.push({ chunk, due: at });
    if (this.items.length - this.head === 1) this.release();
  }

  /** Recomputes due times of everything waiting (after an attribute update). */
  reschedule(dueFor: (chunk: Buffer | null, previousDue: number) => number): void {
    let prev = now();
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      item.due = Math.max(prev, dueFor(item.chunk, prev));
      prev = item.due;
    }
    this.timer.cancel();
    this.release();
  }

  /** Pushes everything now, in order (toxic removed). */
  flush(): void {
    this.timer.cancel();
    while (this.head < this.items.length) this.emit(this.items[this.head++]!);
    this.items = [];
    this.head = 0;
  }

  /** Drops everything (connection gone). */
  destroy(): void {
    this.timer.cancel();
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }

  private release(): void {
    const t = now();
    let pushed = false;
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      const due = this.spacingMs === undefined ? item.due : Math.max(item.due, this.nextAllowed);
      if (due - t > 0.001 || (pushed && this.spacingMs !== undefined)) {
        this.timer.at(due);
        break;
      }
      this.head++;
      this.emit(item);
      pushed = true;
      if (this.spacingMs !== undefined) this.nextAllowed = now() + this.spacingMs;
    }
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (pushed) this.released();
  }

  private emit(item: Item): void {
    if (item.chunk === null) {
      this.out.end();
      return;
    }
    this.bytes -= item.chunk.length;
    this.out.push(item.chunk);
  }
}
