/** StoreEvidence (the store behind the runner's RunEvidence seam) answers as MemoryEvidence does. */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { outcomesByKey } from '../../src/idempotency/history.js';
import { StoreEvidence } from '../../src/evidence/run-evidence.js';
import type { WorkflowEvent } from '../../src/evidence/rows.js';
import { MemoryEvidence, type HistoryKeyOf, type RunEvent } from '../../src/scenario/stages/evidence.js';
import { tempDir, traceparent } from './helpers.js';

const temp = tempDir();
afterAll(() => temp.cleanup());
let n = 0;

const pick = (e: RunEvent) => ({
  type: e.type, key: e.key, seq: e.seq, phase: e.phase, tMs: e.tMs, driver: e.driver, workflow: e.workflow, workflowId: e.workflowId,
  latencyMs: e.latencyMs, status: e.status, extracted: e.extracted, outcome: e.outcome,
});

describe('StoreEvidence = MemoryEvidence', () => {
  it('history (keyed on the completion’s extracted id, else nothing), completions and invocations', async () => {
    const wf = fc.record({
      warm: fc.boolean(),
      completion: fc.option(fc.constantFrom('ok', 'fail', 'info') as fc.Arbitrary<'ok' | 'fail' | 'info'>, { nil: undefined }),
      task: fc.option(fc.constantFrom('t1', 't2', 't3'), { nil: undefined }),
      order: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(wf, { maxLength: 30 }), async (ws) => {
        const events: Array<{ e: WorkflowEvent; driver: 'warmup' | 'main' }> = [];
        const done: Array<{ order: number; e: WorkflowEvent; driver: 'warmup' | 'main' }> = [];
        // Warm-up runs before the main driver; invokes arrive in start order, completions in any.
        const sorted = [...ws.filter((w) => w.warm), ...ws.filter((w) => !w.warm)];
        sorted.forEach((w, i) => {
          const driver = w.warm ? 'warmup' : 'main';
          const base = { key: `k${i}`, seq: i, traceparent: traceparent(i + 1), phase: driver === 'warmup' ? 'warmup' : 'p', workflow: 'w', workflowId: `u${i}` };
          events.push({ e: { ...base, type: 'invoke', tMs: i * 10 }, driver });
          if (w.completion) done.push({ order: w.order, driver, e: { ...base, type: w.completion, tMs: i * 10 + 5, latencyMs: 5, outcome: 'x', ...(w.task ? { extracted: { taskId: w.task } } : {}) } });
        });
        done.sort((a, b) => a.order - b.order);
        const memory = new MemoryEvidence();
        const store = StoreEvidence.open(`${temp.dir}/${++n}`, { batchRows: 3 });
        for (const { e, driver } of [...events, ...done]) {
          memory.record(e, driver);
          store.record(e, driver);
        }
        // The same operations (op numbers and their order may differ: the store numbers them in completion order).
        const sortOps = (h: ReturnType<typeof memory.history>) =>
          [...h].map(({ op: _op, ...rest }) => rest).sort((a, b) => a.key.localeCompare(b.key) || a.type.localeCompare(b.type) || String(a.note).localeCompare(String(b.note)));
        const keyOf: HistoryKeyOf = (_invoke, completion) => completion?.extracted?.taskId;
        expect(sortOps(store.history(keyOf))).toEqual(sortOps(memory.history(keyOf)));
        expect(outcomesByKey(store.history(keyOf))).toEqual(outcomesByKey(memory.history(keyOf)));
        const byKey: HistoryKeyOf = (invoke) => invoke.key;
        expect(sortOps(store.history(byKey))).toEqual(sortOps(memory.history(byKey)));
        expect([...store.completions()].map(pick)).toEqual([...memory.completions()].map(pick));
        expect([...store.invocations()].map(pick)).toEqual([...memory.invocations()].map(pick));
        await store.close();
      }),
      { numRuns: 40 },
    );
  });
});
