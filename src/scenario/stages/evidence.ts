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

/** Where the drive stage puts what the load driver saw, and where checks read it back. */
export interface RunEvidence {
  /** Records one history event of a driver. */
  record(event: DriverHistoryEvent, driver: DriverName): void;
  /**
   * The exactly-once checker's history: one operation per request (warm-up included), keyed by
   * `keyOf`, with its completion (`ok` / `fail` / `info`) when it has one.
   */
  history(keyOf: (e: RunEvent) => string): History['events'];
  /** Completion events of the main driver, in completion order (tail attribution). */
  completions(): Iterable<RunEvent>;
  /** Releases what the evidence holds (a file, a database). */
  close(): Promise<void>;
}

/** {@link RunEvidence} in memory. */
export class MemoryEvidence implements RunEvidence {
  private readonly events: RunEvent[] = [];

  record(event: DriverHistoryEvent, driver: DriverName): void {
    this.events.push({ ...event, driver });
  }

  history(keyOf: (e: RunEvent) => string): History['events'] {
    const h = new History(() => 0);
    const ops = new Map<string, number>();
    for (const e of this.events) {
      if (e.type === 'invoke') ops.set(`${e.driver}:${e.seq}`, h.invoke(keyOf(e), e.phase));
      else {
        const op = ops.get(`${e.driver}:${e.seq}`);
        if (op !== undefined) h[e.type](op, e.status !== undefined ? String(e.status) : e.error);
      }
    }
    return h.events;
  }

  *completions(): Iterable<RunEvent> {
    for (const e of this.events) if (e.driver === 'main' && e.type !== 'invoke') yield e;
  }

  async close(): Promise<void> {
    this.events.length = 0;
  }
}
