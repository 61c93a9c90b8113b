/**
 * Timers longer than Node allows. `setTimeout` takes at most 2^31 − 1 ms (about 596 h); a longer
 * delay fires after 1 ms instead, so a 600 h soak phase would end at once. These helpers wait in
 * chunks of at most that limit.
 */

/** The longest delay one `setTimeout` honours: 2^31 − 1 ms (24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Like `setTimeout(fn, ms)` for any finite `ms`; returns the function that cancels it. */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  let left = Math.max(0, ms);
  const arm = (): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    timer = setTimeout(left > 0 ? arm : fn, step);
  };
  arm();
  return () => clearTimeout(timer);
}

/** Sleeps `ms` (any length), waking early (without throwing) when `signal` aborts. */
export function sleepLong(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const cancel = setLongTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
