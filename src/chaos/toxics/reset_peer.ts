/** `reset_peer`: on the first data, waits `timeout` ms, then resets the connection (TCP RST). */
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { Deadline, now, num } from './timing.js';

class ResetPeerStage implements StreamStage {
  readonly queuedBytes = 0;
  private timeout = 0;
  private triggered = false;
  private readonly timer: Deadline;

  constructor(
    attributes: ToxicAttributes,
    private readonly context: StageContext,
  ) {
    this.timer = new Deadline(() => context.out.reset());
    this.update(attributes);
  }

  // Data is dropped: forwarding it would let the peer see a graceful answer before the reset.
  write(): void {
    if (this.triggered) return;
    this.triggered = true;
    if (this.timeout <= 0) this.context.out.reset();
    else this.timer.at(now() + this.timeout);
  }

  end(): void {
    this.context.out.end();
  }

  update(attributes: ToxicAttributes): void {
    this.timeout = Math.max(0, num(attributes.timeout));
  }

  flush(): void {
    this.timer.cancel();
  }

  destroy(): void {
    this.timer.cancel();
  }
}

/** The `reset_peer` toxic: `{timeout: int64 ms}`. */
export const resetPeerToxic: StreamToxicDefinition = {
  type: 'reset_peer',
  kind: 'stream',
  goName: 'ResetToxic',
  attributes: [{ name: 'timeout', type: 'int64' }],
  createStage: (attributes, context) => new ResetPeerStage(attributes, context),
};
