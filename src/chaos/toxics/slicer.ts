/**
 * `slicer`: cuts each chunk into pieces of about `average_size` ± `size_variation` bytes (seeded) and
 * waits `delay` µs after each piece. Each piece is its own socket write in its own event-loop turn
 * (the sockets have Nagle off), so the peer sees many small reads as with Toxiproxy, whose goroutine
 * sleeps per piece; releasing every due piece at once would let them coalesce into a few reads.
 */
import type { Rng } from '../rng.js';
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { TimedQueue } from './queue.js';
import { now, num } from './timing.js';

/**
 * Piece sizes for a chunk of `length` bytes: Toxiproxy's halving split (pieces vary evenly, no
 * small tail), with guards it lacks (a zero average or variation never loops or panics).
 */
export function slicePieces(length: number, average: number, variation: number, rng: Rng): number[] {
  const avg = Math.max(1, average);
  const vary = Math.max(0, variation);
  const sizes: number[] = [];
  const stack: Array<[number, number]> = [[0, length]];
  while (stack.length > 0) {
    const [start, end] = stack.pop()!;
    if (end - start - avg <= vary || end - start <= 1) {
      if (end > start) sizes.push(end - start);
      continue;
    }
    const offset = vary > 0 ? rng.int(-vary, vary - 1) : 0;
    const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + offset));
    stack.push([mid, end], [start, mid]);
  }
  return sizes;
}

class SlicerStage implements StreamStage {
  private average = 0;
  private variation = 0;
  private readonly queue: TimedQueue;

  constructor(
    attributes: ToxicAttributes,
    private readonly context: StageContext,
  ) {
    this.queue = new TimedQueue(context.out, context.released);
    this.update(attributes);
  }

  get queuedBytes(): number {
    return this.queue.queuedBytes;
  }

  write(chunk: Buffer): void {
    const at = now();
    let off = 0;
    // The queue's spacing puts `delay` between consecutive pieces.
    for (const size of slicePieces(chunk.length, this.average, this.variation, this.context.rng)) {
      this.queue.add(chunk.subarray(off, off + size), at);
      off += size;
    }
  }

  end(): void {
    this.queue.add(null, this.queue.empty ? now() : this.queue.lastDue);
  }

  update(attributes: ToxicAttributes): void {
    this.average = num(attributes.average_size);
    this.variation = num(attributes.size_variation);
    this.queue.spacingMs = Math.max(0, num(attributes.delay)) / 1000;
  }

  flush(): void {
    this.queue.flush();
  }

  destroy(): void {
    this.queue.destroy();
  }
}

/** The `slicer` toxic: `{average_size: int, size_variation: int, delay: int µs}`. */
export const slicerToxic: StreamToxicDefinition = {
  type: 'slicer',
  kind: 'stream',
  goName: 'SlicerToxic',
  attributes: [
    { name: 'average_size', type: 'int' },
    { name: 'size_variation', type: 'int' },
    { name: 'delay', type: 'int' },
  ],
  createStage: (attributes, context) => new SlicerStage(attributes, context),
};
