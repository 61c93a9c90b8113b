/**
 * The run's evidence: what the load driver saw, kept for the checks that need every request
 * (`exactly_once`, tail attribution). {@link RunEvidence} is the one interface the stages use;
 * {@link MemoryEvidence} keeps it in memory (about two small objects per request).
 */
import { History } from '../../idempotency/history.js';
import type { HistoryEvent as DriverHistoryEvent } from '../../load/driver.js';

/** Which driver produced an event: warm-up traffic has real effects too, so it is kept, tagged. */
export type DriverName = 'warmup' | 'main';

/** A driver history event with the driver that produced it (seq restarts per driver). */
export type RunEvent = DriverHistoryEvent & { driver: DriverName };

/** The business key of one workflow for the exactly-once checker, or undefined when it has none. */
export type HistoryKeyOf = (invoke: RunEvent, completion: RunEvent | undefined) => string | undefined;

/** Where the drive stage puts what the load driver saw, and where checks read it back. */
export interface RunEvidence {
  /** Records one history event of a driver. */
  record(event: DriverHistoryEvent, driver: DriverName): void;
  /**
   * The exactly-once checker's history: one operation per workflow (warm-up included), keyed by
   * `keyOf` (given the invoke event and, when there is one, the completion), with its completion
   * (`ok` / `fail` / `info`). A workflow `keyOf` gives no key for (an id that was never
   * extracted) is left out: nothing can be joined on it.
   */
  history(keyOf: HistoryKeyOf): History['events'];
  /** Completion events of the main driver, in completion order (tail attribution). */
  completions(): Iterable<RunEvent>;
  /** Invoke events of every driver (warm-up included), in start order (detectors: the entry's inbound traces). */
  invocations(): Iterable<RunEvent>;
  /** Releases what the evidence holds (a file, a database). */
  close(): Promise<void>;
}

/** {@link RunEvidence} in memory. */
export class MemoryEvidence implements RunEvidence {
  private readonly events: RunEvent[] = [];

  record(event: DriverHistoryEvent, driver: DriverName): void {
    this.events.push({ ...event, driver });
  }

  history(keyOf: HistoryKeyOf): History['events'] {
    const completions = new Map<string, RunEvent>();
    for (const e of this.events) if (e.type !== 'invoke') completions.set(`${e.driver}:${e.seq}`, e);
    const h = new History(() => 0);
    for (const e of this.events) {
      if (e.type !== 'invoke') continue;
      const done = completions.get(`${e.driver}:${e.seq}`);
      const key = keyOf(e, done);
      if (key === undefined) continue;
      const op = h.invoke(key, e.phase);
      if (done && done.type !== 'invoke') h[done.type](op, done.status !== undefined ? String(done.status) : done.error);
    }
    return h.events;
  }

  *completions(): Iterable<RunEvent> {
    for (const e of this.events) if (e.driver === 'main' && e.type !== 'invoke') yield e;
  }

  *invocations(): Iterable<RunEvent> {
    for (const e of this.events) if (e.type === 'invoke') yield e;
  }

  async close(): Promise<void> {
    this.events.length = 0;
  }
}
