/** `slow_close`: holds the end of the stream (the FIN) for `delay` ms; data passes untouched. */
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { Deadline, now, num } from './timing.js';

class SlowCloseStage implements StreamStage {
  readonly queuedBytes = 0;
  private delay = 0;
  private ending = false;
  private readonly timer: Deadline;

  constructor(
    attributes: ToxicAttributes,
    private readonly context: StageContext,
  ) {
    this.timer = new Deadline(() => context.out.end());
    this.update(attributes);
  }

  write(chunk: Buffer): void {
    this.context.out.push(chunk);
  }

  end(): void {
    this.ending = true;
    this.timer.at(now() + this.delay);
  }

  update(attributes: ToxicAttributes): void {
    this.delay = Math.max(0, num(attributes.delay));
  }

  flush(): void {
    if (this.ending && this.timer.armed) {
      this.timer.cancel();
      this.context.out.end();
    }
  }

  destroy(): void {
    this.timer.cancel();
  }
}

/** The `slow_close` toxic: `{delay: int64 ms}`. */
export const slowCloseToxic: StreamToxicDefinition = {
  type: 'slow_close',
  kind: 'stream',
  goName: 'SlowCloseToxic',
  attributes: [{ name: 'delay', type: 'int64' }],
  createStage: (attributes, context) => new SlowCloseStage(attributes, context),
};
