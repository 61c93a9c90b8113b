/**
 * Fault-schedule shrinking: given the fault decisions of a failing run and a way to rerun with a
 * subset of them, find the smallest subset that still fails. fast-check does the search (its
 * subarray shrinker, started from the full schedule), then a removal pass makes the result
 * 1-minimal: dropping any one remaining decision makes the failure go away.
 */
import fc from 'fast-check';

/** Options of {@link shrinkFaultSchedule}. */
export interface ShrinkOptions {
  /** Most reruns (`reproduce` calls) allowed, the full schedule's included. Default 100. */
  maxAttempts?: number;
  /** Seed for fast-check (replay). Default: drawn at random and reported. */
  seed?: number;
  /** Called after every rerun, e.g. to print progress. */
  onAttempt?: (attempt: { subset: number[]; failed: boolean; attempts: number }) => void;
}

/** The result of {@link shrinkFaultSchedule}. */
export interface ShrinkResult<D> {
  /** Whether the full schedule reproduced the failure at all; if not, nothing was shrunk. */
  reproduced: boolean;
  /** The smallest failing subset found, in the original order (the full list when not reproduced). */
  minimal: D[];
  /** Positions of {@link ShrinkResult.minimal} in the original list. */
  indices: number[];
  /** Reruns made. */
  attempts: number;
  /** True when every single removal from `minimal` was tried and none still failed. */
  oneMinimal: boolean;
  /** True when the rerun budget ran out before the search finished. */
  exhausted: boolean;
  seed: number;
}

/**
 * Shrinks a fault schedule to the smallest subset of `decisions` for which `reproduce(subset)`
 * still resolves `true` (the failure still happens). Subsets keep the original order; each
 * distinct subset is rerun at most once. Default budget: 100 reruns.
 */
export async function shrinkFaultSchedule<D>(
  decisions: readonly D[],
  reproduce: (subset: D[]) => Promise<boolean>,
  options: ShrinkOptions = {},
): Promise<ShrinkResult<D>> {
  const maxAttempts = options.maxAttempts ?? 100;
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const all = decisions.map((_, i) => i);
  const cache = new Map<string, boolean>();
  let attempts = 0;
  let exhausted = false;

  const fails = async (subset: number[]): Promise<boolean> => {
    const id = subset.join(',');
    const known = cache.get(id);
    if (known !== undefined) return known;
    if (attempts >= maxAttempts) {
      // Out of budget: answer "does not fail" so the search stops moving, without caching a guess.
      exhausted = true;
      return false;
    }
    attempts++;
    const failed = await reproduce(subset.map((i) => decisions[i] as D));
    cache.set(id, failed);
    options.onAttempt?.({ subset, failed, attempts });
    return failed;
  };

  const done = (indices: number[], reproduced: boolean, oneMinimal: boolean): ShrinkResult<D> => ({
    reproduced,
    minimal: indices.map((i) => decisions[i] as D),
    indices,
    attempts,
    oneMinimal,
    exhausted,
    seed,
  });

  if (!(await fails(all))) return done(all, false, false);

  // The property "this subset does not fail"; its counterexample, shrunk, is a small failing subset.
  const details = await fc.check(
    fc.asyncProperty(fc.subarray(all), async (subset) => !(await fails(subset))),
    { examples: [[all]], numRuns: 1, seed },
  );
  let best = details.failed && details.counterexample ? [...(details.counterexample[0] ?? all)] : all;

  // fast-check stops at a local minimum of its shrinker; a removal pass proves 1-minimality.
  let oneMinimal = false;
  while (!exhausted) {
    let removed = false;
    for (let i = 0; i < best.length; i++) {
      const candidate = best.filter((_, j) => j !== i);
      if (await fails(candidate)) {
        best = candidate;
        removed = true;
        break;
      }
      if (exhausted) break;
    }
    if (!removed && !exhausted) oneMinimal = true;
    if (!removed) break;
  }
  return done(best, true, oneMinimal);
}
