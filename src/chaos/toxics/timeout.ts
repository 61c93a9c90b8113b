/**
 * `timeout`: lets no data through (it is dropped, as in Toxiproxy) and closes the connection once
 * `timeout` ms pass without new data; 0 never closes on its own. Deleting the toxic closes (FIN) the
 * connections it was holding, as Toxiproxy's `TimeoutToxic.Cleanup` does: their dropped bytes are
 * gone, so carrying on would leave the peers out of step.
 */
import type { StageContext, StreamStage, StreamToxicDefinition, ToxicAttributes } from '../toxic.js';
import { Deadline, now, num } from './timing.js';

class TimeoutStage implements StreamStage {
  readonly queuedBytes = 0;
  private timeout = 0;
  private done = false;
  private readonly timer: Deadline;

  constructor(
    attributes: ToxicAttributes,
    private readonly context: StageContext,
  ) {
    this.timer = new Deadline(() => this.close());
    this.update(attributes);
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.context.out.close();
  }

  // Toxiproxy re-creates its timer on every loop turn, so each chunk restarts the countdown.
  private arm(): void {
    if (this.done) return;
    if (this.timeout > 0) this.timer.at(now() + this.timeout);
    else this.timer.cancel();
  }

  write(): void {
    this.arm();
  }

  end(): void {
    this.timer.cancel();
    this.close();
  }

  update(attributes: ToxicAttributes): void {
    this.timeout = Math.max(0, num(attributes.timeout));
    this.arm();
  }

  flush(): void {
    this.timer.cancel();
  }

  removed(): void {
    this.timer.cancel();
    this.close();
  }

  destroy(): void {
    this.timer.cancel();
  }
}

/** The `timeout` toxic: `{timeout: int64 ms}`. */
export const timeoutToxic: StreamToxicDefinition = {
  type: 'timeout',
  kind: 'stream',
  goName: 'TimeoutToxic',
  attributes: [{ name: 'timeout', type: 'int64' }],
  createStage: (attributes, context) => new TimeoutStage(attributes, context),
};
