/** `limit_data`: lets `bytes` bytes through on this connection and direction, then closes it. */
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { num } from './timing.js';

class LimitDataStage implements StreamStage {
  readonly queuedBytes = 0;
  private limit = 0;
  private sent = 0; // survives updates, like Toxiproxy's per-connection state
  private closed = false;

  constructor(
    attributes: ToxicAttributes,
    private readonly context: StageContext,
  ) {
    this.update(attributes);
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    const remaining = Math.max(0, this.limit - this.sent);
    const piece = remaining < chunk.length ? chunk.subarray(0, remaining) : chunk;
    if (piece.length > 0) {
      this.sent += piece.length;
      this.context.out.push(piece);
    }
    if (this.limit - this.sent <= 0) {
      this.closed = true;
      this.context.out.close();
    }
  }

  end(): void {
    if (!this.closed) this.context.out.end();
  }

  update(attributes: ToxicAttributes): void {
    this.limit = num(attributes.bytes);
  }

  flush(): void {}

  destroy(): void {}
}

/** The `limit_data` toxic: `{bytes: int64}`. */
export const limitDataToxic: StreamToxicDefinition = {
  type: 'limit_data',
  kind: 'stream',
  goName: 'LimitDataToxic',
  attributes: [{ name: 'bytes', type: 'int64' }],
  createStage: (attributes, context) => new LimitDataStage(attributes, context),
};
