/**
 * `reset_peer`: on the first data, or on the end of the input if no data came, waits `timeout` ms,
 * then resets the connection (TCP RST). Everything in that direction is dropped meanwhile, the end
 * included: a peer that closes (an HTTP answer with `Connection: close`) still gets the RST after the
 * timeout, not its FIN (Toxiproxy's `ResetToxic` reads the closed input as one more chunk).
 */
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { Deadline, now, num } from './timing.js';

class ResetPeerStage implements StreamStage {
  readonly queuedBytes = 0;
  private timeout = 0;
  private triggered = false;
  private inputEnded = false;
  private readonly timer: Deadline;

  constructor(
    attributes: ToxicAttributes,
    private readonly context: StageContext,
  ) {
    this.timer = new Deadline(() => context.out.reset());
    this.update(attributes);
  }

  private trigger(): void {
    if (this.triggered) return;
    this.triggered = true;
    if (this.timeout <= 0) this.context.out.reset();
    else this.timer.at(now() + this.timeout);
  }

  // Data is dropped: forwarding it would let the peer see a graceful answer before the reset.
  write(): void {
    this.trigger();
  }

  end(): void {
    this.inputEnded = true;
    this.trigger();
  }

  update(attributes: ToxicAttributes): void {
    this.timeout = Math.max(0, num(attributes.timeout));
  }

  // Removed before the reset fired: the connection carries on, its end passed on if it came.
  flush(): void {
    this.timer.cancel();
    if (this.inputEnded) this.context.out.end();
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
