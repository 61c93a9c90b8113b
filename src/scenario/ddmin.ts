/**
 * Delta debugging (Zeller and Hildebrandt's ddmin) over a list of fault decisions: the smallest
 * subset for which a test still fails, with an honest minimality claim: `oneMinimal` is true only
 * when the empty set and every single removal from the result were actually tested and passed
 * (checked against the tests made, never inferred).
 *
 * Before the search it tests the empty set (a failure without any decision does not depend on
 * them) and a few singletons chosen by the caller (`singletonsFirst`): a failure that one decision
 * causes is found in one or two tests instead of log2(n) halvings.
 */

/** Options of {@link ddmin}. */
export interface DdminOptions {
  /** Most tests allowed (the caller's reruns); beyond it the search stops and says so. */
  maxTests: number;
  /** Indices of decisions to try alone before the search, in order (default none). */
  singletonsFirst?: readonly number[];
  /** Called after each test. */
  onTest?: (test: { subset: number[]; failed: boolean; tests: number }) => void;
}

/** The result of {@link ddmin}. */
export interface DdminResult {
  /** Indices of the smallest failing subset found, ascending. */
  minimal: number[];
  /** True only when the empty set and every single removal from `minimal` were tested and passed. */
  oneMinimal: boolean;
  /** True when the test budget ran out before the search finished. */
  exhausted: boolean;
  /** True when the empty set already fails (the failure does not depend on these decisions). */
  failsWithout: boolean;
  /** Tests made. */
  tests: number;
}

/**
 * Shrinks `size` decisions (indices 0..size-1, all failing together, which the caller has checked)
 * to a smaller failing subset; `fails(subset)` runs one test. Each distinct subset is tested at most once.
 */
export async function ddmin(size: number, fails: (subset: number[]) => Promise<boolean>, options: DdminOptions): Promise<DdminResult> {
  const cache = new Map<string, boolean>();
  let tests = 0;
  let exhausted = false;
  const test = async (subset: number[]): Promise<boolean | undefined> => {
    const id = subset.join(',');
    const known = cache.get(id);
    if (known !== undefined) return known;
    if (tests >= options.maxTests) {
      exhausted = true;
      return undefined;
    }
    tests++;
    const failed = await fails(subset);
    cache.set(id, failed);
    options.onTest?.({ subset, failed, tests });
    return failed;
  };
  const passed = (subset: number[]) => cache.get(subset.join(',')) === false;
  const result = (minimal: number[], failsWithout = false): DdminResult => {
    // The claim is checked against what was really tested, never assumed.
    const oneMinimal = !exhausted && (minimal.length === 0 ? failsWithout : passed([]) && minimal.every((_, i) => passed(minimal.filter((__, j) => j !== i))));
    return { minimal, oneMinimal, exhausted, failsWithout, tests };
  };

  const all = Array.from({ length: size }, (_, i) => i);
  if (size === 0) return result([]);
  const none = await test([]);
  if (none === true) return result([], true);
  if (none === undefined) return result(all);
  for (const i of options.singletonsFirst ?? []) {
    if (i < 0 || i >= size) continue;
    const r = await test([i]);
    if (r === true) return result([i]);
    if (r === undefined) return result(all);
  }

  let current = all;
  let n = 2;
  search: while (current.length >= 2) {
    const chunks = split(current, n);
    // Reduce to a subset.
    for (const chunk of chunks) {
      const r = await test(chunk);
      if (r === undefined) break search;
      if (r) {
        current = chunk;
        n = 2;
        continue search;
      }
    }
    // Reduce to a complement (with n = 2 the complements are the subsets already tested).
    if (n > 2) {
      for (const chunk of chunks) {
        const complement = current.filter((i) => !chunk.includes(i));
        const r = await test(complement);
        if (r === undefined) break search;
        if (r) {
          current = complement;
          n = Math.max(n - 1, 2);
          continue search;
        }
      }
    }
    // At n = |current| every single removal was a complement above (with two left, a subset).
    if (n >= current.length) break;
    n = Math.min(current.length, 2 * n);
  }
  return result(current);
}

/** `list` cut into `n` contiguous chunks of near-equal size. */
function split(list: readonly number[], n: number): number[][] {
  const out: number[][] = [];
  let start = 0;
  for (let k = 0; k < n; k++) {
    const end = start + Math.floor((list.length - start) / (n - k));
    if (end > start) out.push(list.slice(start, end));
    start = end;
  }
  return out;
}
