/**
 * ddmin over pure predicates: the result always fails, the "1-minimal" claim holds exactly when
 * it is made (checked by brute force), a budget that runs out never claims it, and a single
 * decision that suffices is found in a couple of tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ddmin } from '../../src/scenario/ddmin.js';

/** "Fails" when the subset holds every index of one of the causes. */
const failsWith = (causes: number[][]) => async (subset: number[]) => causes.some((c) => c.every((i) => subset.includes(i)));

describe('ddmin', () => {
  it('finds a failing subset; claims 1-minimal only when every single removal passes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }).chain((size) =>
          fc.tuple(fc.constant(size), fc.array(fc.uniqueArray(fc.nat({ max: size - 1 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 80 })),
        ),
        async ([size, causes, maxTests]) => {
          const fails = failsWith(causes);
          const tested: number[][] = [];
          const r = await ddmin(size, async (s) => (tested.push(s), fails(s)), { maxTests });
          expect(r.tests).toBe(tested.length);
          expect(r.tests).toBeLessThanOrEqual(maxTests);
          expect(await fails(r.minimal)).toBe(true);
          const reallyOneMinimal = !(await fails([])) && (await Promise.all(r.minimal.map((_, i) => fails(r.minimal.filter((__, j) => j !== i))))).every((f) => !f);
          if (r.oneMinimal) expect(reallyOneMinimal).toBe(true);
          if (r.exhausted) expect(r.oneMinimal).toBe(false);
          if (!r.exhausted) expect(r.oneMinimal).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not claim 1-minimal for a pair when the budget stops before both removals were tried', async () => {
    // The failure needs decisions 1 and 3 together; 3 tests are not enough to prove the pair minimal.
    const r = await ddmin(4, failsWith([[1, 3]]), { maxTests: 3 });
    expect(r.exhausted).toBe(true);
    expect(r.oneMinimal).toBe(false);
    const full = await ddmin(4, failsWith([[1, 3]]), { maxTests: 50 });
    expect(full.minimal).toEqual([1, 3]);
    expect(full.oneMinimal).toBe(true);
  });

  it('stops at once when a singleton tried first fails: the empty set and that one decision', async () => {
    const tested: number[][] = [];
    const r = await ddmin(120, async (s) => (tested.push(s), s.includes(7) || s.includes(50)), { maxTests: 10, singletonsFirst: [7] });
    expect(r.minimal).toEqual([7]);
    expect(r.oneMinimal).toBe(true);
    expect(tested).toEqual([[], [7]]);
  });

  it('reports a failure that needs no decision at all', async () => {
    const r = await ddmin(5, async () => true, { maxTests: 10 });
    expect(r).toMatchObject({ minimal: [], failsWithout: true, oneMinimal: true, tests: 1 });
  });

  it('reaches one of 120 decisions in about log2(120) halvings', async () => {
    const r = await ddmin(120, failsWith([[93]]), { maxTests: 20 });
    expect(r.minimal).toEqual([93]);
    expect(r.tests).toBeLessThanOrEqual(1 + 2 * 7 + 1);
  });
});
