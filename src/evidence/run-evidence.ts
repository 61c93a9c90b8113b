/**
 * The evidence store behind the runner's {@link RunEvidence} seam (src/scenario/stages/evidence.ts),
 * so the stages can swap `new MemoryEvidence()` for `await StoreEvidence.open(outDir)` and keep
 * nothing per request in memory. The store itself (`.store`) also answers tail attribution and
 * per-edge figures, and takes the proxies' records through `attachSink`.
 */
import type { History } from '../idempotency/history.js';
import type { HistoryEvent as DriverHistoryEvent } from '../load/driver.js';
import type { DriverName, HistoryKeyOf, RunEvent, RunEvidence } from '../scenario/stages/evidence.js';
import { invokeOf } from './rows.js';
import { openEvidenceStore, type EvidenceStore, type EvidenceStoreOptions } from './store.js';

/** {@link RunEvidence} on `<outDir>/evidence.sqlite`. */
export class StoreEvidence implements RunEvidence {
  constructor(readonly store: EvidenceStore) {}

  /** Opens (creating) the store in the report folder. */
  static open(outDir: string, options?: EvidenceStoreOptions): StoreEvidence {
    return new StoreEvidence(openEvidenceStore(outDir, options));
  }

  record(event: DriverHistoryEvent, driver: DriverName): void {
    this.store.record(event, driver);
  }

  history(keyOf: HistoryKeyOf): History['events'] {
    // The stored row is the completion when there is one; the invoke is rebuilt from it.
    return this.store.history((w) => keyOf(invokeOf(w) as RunEvent, w.type === 'invoke' ? undefined : (w as RunEvent)));
  }

  completions(): Iterable<RunEvent> {
    return this.store.completions() as Iterable<RunEvent>;
  }

  invocations(): Iterable<RunEvent> {
    return this.store.invocations() as Iterable<RunEvent>;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
