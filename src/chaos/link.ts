/**
 * A toxic link: one direction of one connection, bytes flowing through the live chain of stream
 * toxics of that direction into a sink (usually the other socket). It follows the proxy's
 * {@link ToxicSet}: a toxic added, updated or removed while the connection is open takes effect on
 * it at once, and a removed toxic first pushes out everything it holds, so no byte is lost or reordered.
 *
 * Hot path: toxics whose stage is `null` (noop) or that lost their toxicity roll are not in the
 * chain at all, so a link with no active toxic writes each chunk straight to the sink.
 */
import type { Rng } from './rng.js';
import type { StageOutput, StreamDirection, StreamStage, Toxic, ToxicEvent, ToxicSet } from './toxic.js';

/** Where a link delivers: a socket, or anything with the same three methods. */
export interface LinkSink {
  /** Returns false when the caller should wait for `'drain'`. */
  write(chunk: Buffer): boolean;
  /** Half-closes (FIN after pending data). */
  end(): void;
  /** Registers a one-shot listener (only `'drain'` is used). */
  once(event: 'drain', listener: () => void): unknown;
}

/** Where a link reads from when piped: a socket or any readable stream. */
export interface LinkSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/** How a link is wired to its connection. */
export interface LinkOptions {
  /** Which toxics apply: those of this direction. */
  readonly direction: StreamDirection;
  /** The proxy's toxics (followed live). */
  readonly toxics: ToxicSet;
  /** The connection's random source; each toxic gets `rng.fork('toxic:' + name)`. */
  readonly rng: Rng;
  /** Where bytes go after the last toxic. */
  readonly sink: LinkSink;
  /** A toxic closed the connection (after this direction's data was delivered and ended). */
  readonly onClose: () => void;
  /** A toxic reset the connection. */
  readonly onReset: () => void;
  /** This direction ended normally (its sink was ended). */
  readonly onEnd?: () => void;
  /** Bytes held inside toxics before the source is paused (default 1 MiB). */
  readonly highWaterMark?: number;
}

interface Slot {
  readonly toxic: Toxic;
  readonly rng: Rng;
  toxicity: number;
  stage: StreamStage | null;
  next: Slot | null;
  inEnded: boolean;
  outEnded: boolean;
}

/** One direction of one connection through its live toxic chain. */
export class ToxicLink {
  private slots: Slot[] = [];
  private head: Slot | null = null;
  private inputEnded = false;
  private sinkEnded = false;
  private sinkBlocked = false;
  private closeRequested = false;
  private disposed = false;
  private drainListener: (() => void) | null = null;
  private readonly hwm: number;
  private readonly unsubscribe: () => void;
  /** Bytes handed to the sink so far. */
  delivered = 0;

  constructor(private readonly options: LinkOptions) {
    this.hwm = options.highWaterMark ?? 1024 * 1024;
    for (const toxic of options.toxics.chain(options.direction)) this.addSlot(toxic);
    this.relink();
    this.unsubscribe = options.toxics.subscribe(this.onToxicEvent);
  }

  /** The direction this link carries. */
  get direction(): StreamDirection {
    return this.options.direction;
  }

  /** Names of the toxics currently acting on this link (those that won their toxicity roll). */
  activeToxics(): string[] {
    return this.slots.filter((s) => s.stage !== null).map((s) => s.toxic.name);
  }

  /** Pushes bytes in. Returns false when the caller should pause until {@link onDrain}'s callback. */
  write(chunk: Buffer): boolean {
    if (this.inputEnded || this.disposed) return true;
    const head = this.head;
    if (head === null) this.deliver(chunk);
    else head.stage!.write(chunk);
    return !this.overHighWater();
  }

  /** The input ended: the end travels through the chain behind the data. */
  end(): void {
    if (this.inputEnded || this.disposed) return;
    this.inputEnded = true;
    const head = this.head;
    if (head === null) this.finish();
    else {
      head.inEnded = true;
      head.stage!.end();
    }
  }

  /** Calls `listener` once when the link can take more bytes (after `write` returned false). */
  onDrain(listener: () => void): void {
    this.drainListener = listener;
    this.maybeResume();
  }

  /** Reads `source` into this link with backpressure (pause/resume). */
  pipeFrom(source: LinkSource): this {
    const resume = () => source.resume();
    source.on('data', (chunk: Buffer) => {
      if (!this.write(chunk)) {
        source.pause();
        this.onDrain(resume);
      }
    });
    source.on('end', () => this.end());
    return this;
  }

  /** Stops following the toxics and drops anything held (the connection is gone). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    for (const slot of this.slots) slot.stage?.destroy();
    this.slots = [];
    this.head = null;
    this.drainListener = null;
  }

  private overHighWater(): boolean {
    if (this.sinkBlocked) return true;
    if (this.head === null) return false;
    let queued = 0;
    for (let s: Slot | null = this.head; s !== null; s = s.next) queued += s.stage!.queuedBytes;
    return queued > this.hwm;
  }

  private readonly maybeResume = (): void => {
    const listener = this.drainListener;
    if (listener === null || this.overHighWater()) return;
    this.drainListener = null;
    listener();
  };

  private readonly onSinkDrain = (): void => {
    this.sinkBlocked = false;
    this.maybeResume();
  };

  private deliver(chunk: Buffer): void {
    if (this.sinkEnded || this.disposed) return;
    this.delivered += chunk.length;
    if (!this.options.sink.write(chunk) && !this.sinkBlocked) {
      this.sinkBlocked = true;
      this.options.sink.once('drain', this.onSinkDrain);
    }
  }

  private finish(): void {
    if (this.sinkEnded || this.disposed) return;
    this.sinkEnded = true;
    this.options.sink.end();
    if (this.closeRequested) this.options.onClose();
    else this.options.onEnd?.();
  }

  private outputFor(slot: Slot): StageOutput {
    const out: StageOutput = {
      push: (chunk) => {
        if (this.disposed || slot.outEnded) return;
        const next = slot.next;
        if (next === null) this.deliver(chunk);
        else next.stage!.write(chunk);
      },
      end: () => {
        if (this.disposed || slot.outEnded) return;
        slot.outEnded = true;
        const next = slot.next;
        if (next === null) this.finish();
        else if (!next.inEnded) {
          next.inEnded = true;
          next.stage!.end();
        }
      },
      close: () => {
        this.closeRequested = true;
        out.end();
      },
      reset: () => {
        if (!this.disposed) this.options.onReset();
      },
    };
    return out;
  }

  // True when the end of input has already passed the point just before `index` in the chain,
  // so a stage activated there would never see its input end.
  private endPassedBefore(index: number): boolean {
    for (let i = index - 1; i >= 0; i--) {
      const s = this.slots[i]!;
      if (s.stage !== null) return s.outEnded;
    }
    return this.inputEnded;
  }

  private activate(slot: Slot, index: number): void {
    if (slot.stage !== null || this.endPassedBefore(index)) return;
    if (slot.toxic.definition.kind !== 'stream') return;
    // Toxiproxy rolls once per connection: the toxic acts on this connection when the roll is below toxicity.
    if (!(slot.rng.next() < slot.toxic.toxicity)) return;
    slot.inEnded = false;
    slot.outEnded = false;
    slot.stage = slot.toxic.definition.createStage(slot.toxic.attributes, {
      rng: slot.rng,
      direction: this.options.direction,
      out: this.outputFor(slot),
      released: this.maybeResume,
    });
  }

  private deactivate(slot: Slot, deleted = false): void {
    const stage = slot.stage;
    if (stage === null) return;
    // Push out what it holds while it is still linked, then unlink it.
    if (deleted && stage.removed) stage.removed();
    else stage.flush();
    stage.destroy();
    slot.stage = null;
    slot.outEnded = true;
  }

  private addSlot(toxic: Toxic, index = this.slots.length): void {
    const slot: Slot = {
      toxic,
      rng: this.options.rng.fork(`toxic:${toxic.name}`),
      toxicity: toxic.toxicity,
      stage: null,
      next: null,
      inEnded: false,
      outEnded: false,
    };
    this.slots.splice(index, 0, slot);
    this.activate(slot, index);
  }

  private relink(): void {
    let prev: Slot | null = null;
    this.head = null;
    for (const slot of this.slots) {
      if (slot.stage === null) continue;
      if (prev === null) this.head = slot;
      else prev.next = slot;
      prev = slot;
    }
    if (prev !== null) prev.next = null;
  }

  private readonly onToxicEvent = (event: ToxicEvent): void => {
    if (this.disposed || event.toxic.stream !== this.options.direction) return;
    if (event.toxic.definition.kind !== 'stream') return;
    const index = this.slots.findIndex((s) => s.toxic === event.toxic);
    if (event.kind === 'added') {
      if (index >= 0) return;
      const order = this.options.toxics.chain(this.options.direction);
      const at = order.indexOf(event.toxic);
      // Place it after every existing slot that precedes it in the proxy's chain.
      let pos = 0;
      for (let i = 0; i < at; i++) {
        const j = this.slots.findIndex((s) => s.toxic === order[i]);
        if (j >= 0) pos = j + 1;
      }
      this.addSlot(event.toxic, pos);
      this.relink();
    } else if (event.kind === 'removed') {
      if (index < 0) return;
      const slot = this.slots[index]!;
      this.deactivate(slot, true);
      this.slots.splice(index, 1);
      this.relink();
    } else {
      if (index < 0) return;
      const slot = this.slots[index]!;
      if (slot.toxicity !== event.toxic.toxicity) {
        // A new toxicity is a new decision for this connection.
        slot.toxicity = event.toxic.toxicity;
        this.deactivate(slot);
        this.relink();
        this.activate(slot, index);
      } else {
        slot.stage?.update(event.toxic.attributes);
      }
      this.relink();
    }
    this.maybeResume();
  };
}
