/** `bandwidth`: limits throughput to `rate` KB/s (1 KB = 1000 bytes); rate ≤ 0 is unlimited. */
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { TimedQueue } from './queue.js';
import { now, num } from './timing.js';

class BandwidthStage implements StreamStage {
  private rate = 0; // bytes per millisecond (= KB/s)
  private readonly queue: TimedQueue;

  constructor(attributes: ToxicAttributes, context: StageContext) {
    this.queue = new TimedQueue(context.out, context.released);
    this.update(attributes);
  }

  get queuedBytes(): number {
    return this.queue.queuedBytes;
  }

  write(chunk: Buffer): void {
    if (this.rate <= 0) {
      this.queue.add(chunk, this.queue.empty ? now() : this.queue.lastDue);
      return;
    }
    // Like Toxiproxy, a large chunk goes out in slices of 100 ms worth of bytes, each released when
    // its transmission would have finished: throughput is exact and the first bytes are not held back.
    const slice = Math.max(1, Math.floor(this.rate * 100));
    let start = Math.max(now(), this.queue.lastDue);
    for (let off = 0; off < chunk.length; off += slice) {
      const piece = chunk.subarray(off, Math.min(chunk.length, off + slice));
      start += piece.length / this.rate;
      this.queue.add(piece, start);
    }
  }

  end(): void {
    this.queue.add(null, this.queue.empty ? now() : this.queue.lastDue);
  }

  update(attributes: ToxicAttributes): void {
    this.rate = num(attributes.rate);
    const rate = this.rate;
    this.queue.reschedule((chunk, prev) => (chunk === null || rate <= 0 ? prev : prev + chunk.length / rate));
  }

  flush(): void {
    this.queue.flush();
  }

  destroy(): void {
    this.queue.destroy();
  }
}

/** The `bandwidth` toxic: `{rate: int64 KB/s}`. */
export const bandwidthToxic: StreamToxicDefinition = {
  type: 'bandwidth',
  kind: 'stream',
  goName: 'BandwidthToxic',
  attributes: [{ name: 'rate', type: 'int64' }],
  createStage: (attributes, context) => new BandwidthStage(attributes, context),
};
