/**
 * HDR latency histograms at microsecond resolution (hdr-histogram-js, pure-JS build, 3 significant
 * digits so a 50 ms value is known to ±50 µs), plus the few queries budgets need that the library does
 * not offer directly (count of values at or above a threshold).
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type JsHistogram } from 'hdr-histogram-js';
import type { LatencySummary } from '../report/model.js';

/** A latency histogram whose values are whole microseconds. */
export type LatencyHistogram = JsHistogram;

/** A new empty latency histogram (1 µs .. auto-resized, 3 significant digits, 32-bit counts). */
export function createLatencyHistogram(): LatencyHistogram {
  // The pure-JS build: no WebAssembly instance to free, and fast enough for tens of thousands of
  // records per second. autoResize keeps a 2-hour stall from throwing.
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  }) as LatencyHistogram;
}

/** Converts milliseconds (fractional) to the whole microseconds a histogram stores. */
export function msToUs(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) return 0;
  return Math.round(ms * 1000);
}

/** Records one latency given in milliseconds. */
export function recordMs(h: LatencyHistogram, ms: number): void {
  h.recordValue(msToUs(ms));
}

const us2ms = (us: number): number => us / 1000;

/** The percentile (0..100) in milliseconds, or null when the histogram is empty. */
export function percentileMs(h: LatencyHistogram, p: number): number | null {
  if (h.totalCount === 0) return null;
  return us2ms(h.getValueAtPercentile(p));
}

/** Count, min, mean, p50..p99.9 and max in milliseconds; null when the histogram is empty. */
export function summarizeHistogram(h: LatencyHistogram): LatencySummary | null {
  const count = h.totalCount;
  if (count === 0) return null;
  return {
    count,
    // minNonZeroValue ignores zeros; a recorded 0 µs is still the minimum.
    min: h.getValueAtPercentile(0) === 0 ? 0 : us2ms(h.minNonZeroValue),
    mean: round3(us2ms(h.mean)),
    p50: us2ms(h.getValueAtPercentile(50)),
    p90: us2ms(h.getValueAtPercentile(90)),
    p95: us2ms(h.getValueAtPercentile(95)),
    p99: us2ms(h.getValueAtPercentile(99)),
    p999: us2ms(h.getValueAtPercentile(99.9)),
    max: us2ms(h.maxValue),
  };
}

/**
 * How many recorded values are slower than `thresholdMs`: with `inclusive` (the budget said `<`) a
 * value equal to the threshold counts as slow; otherwise (`<=`) only values above it do. Values are
 * compared at the histogram's resolution (0.1 %), rounding toward "slow" so a budget is never lenient.
 */
export function countSlowerThan(h: LatencyHistogram, thresholdMs: number, inclusive: boolean): number {
  if (h.totalCount === 0) return 0;
  const thresholdUs = msToUs(thresholdMs);
  if (thresholdUs > h.maxValue) return 0;
  let index = h.countsArrayIndex(thresholdUs);
  // A bucket whose lowest value is above the threshold is entirely slow; the threshold's own bucket
  // is slow when inclusive, or when it also holds values above the threshold.
  if (!inclusive && h.highestEquivalentValue(thresholdUs) === thresholdUs) index += 1;
  let n = 0;
  const len = h.countsArrayLength;
  for (let i = Math.max(0, index); i < len; i++) n += h.getCountAtIndex(i);
  return n;
}

/** A compact, self-contained snapshot of a histogram (compressed base64, a few hundred bytes). */
export function encodeHistogram(h: LatencyHistogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Restores a histogram from {@link encodeHistogram}'s output. */
export function decodeHistogram(encoded: string): LatencyHistogram {
  const h = decodeFromCompressedBase64(encoded, 32, false) as LatencyHistogram;
  h.autoResize = true;
  return h;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
