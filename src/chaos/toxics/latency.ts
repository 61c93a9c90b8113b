/** `latency`: delays every chunk by `latency` ms ± `jitter` ms (uniform, seeded). */
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { TimedQueue } from './queue.js';
import { now, num } from './timing.js';

class LatencyStage implements StreamStage {
  private latency = 0;
  private jitter = 0;
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

  // Toxiproxy draws from [latency - jitter, latency + jitter); a negative draw means no delay.
  private delay(): number {
    const j = this.jitter > 0 ? this.context.rng.int(-this.jitter, this.jitter - 1) : 0;
    return Math.max(0, this.latency + j);
  }

  write(chunk: Buffer): void {
    this.queue.add(chunk, now() + this.delay());
  }

  end(): void {
    // The end follows the last chunk without a delay of its own.
    this.queue.add(null, this.queue.empty ? now() : this.queue.lastDue);
  }

  update(attributes: ToxicAttributes): void {
    this.latency = Math.max(0, num(attributes.latency));
    this.jitter = Math.max(0, num(attributes.jitter));
  }

  flush(): void {
    this.queue.flush();
  }

  destroy(): void {
    this.queue.destroy();
  }
}

/** The `latency` toxic: `{latency: int64 ms, jitter: int64 ms}`. */
export const latencyToxic: StreamToxicDefinition = {
  type: 'latency',
  kind: 'stream',
  goName: 'LatencyToxic',
  attributes: [
    { name: 'latency', type: 'int64' },
    { name: 'jitter', type: 'int64' },
  ],
  createStage: (attributes, context) => new LatencyStage(attributes, context),
};
