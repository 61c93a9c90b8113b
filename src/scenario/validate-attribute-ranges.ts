/**
 * The attribute ranges docs/proxy.md and docs/message-faults.md give, checked when a scenario is
 * validated. The proxy API is Toxiproxy-compatible and so forgiving (a zero value means "the
 * default", a negative latency is read as 0), but in a scenario such a value is almost always
 * a mistake: `copies: 0` would still duplicate once, `latency: -50` would add no delay. Times
 * are also bounded by Node's timer limit, above which a timer fires at once.
 */
import { MAX_TIMER_MS } from '../long-timer.js';

/** The documented range of one attribute; `why` ends the message. */
export interface AttributeRange {
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
  /** What the range means, for the message. */
  why?: string;
}

const MS: AttributeRange = { min: 0, max: MAX_TIMER_MS, why: 'milliseconds, up to Node\'s timer limit' };
const NON_NEGATIVE: AttributeRange = { min: 0 };
const ZERO_IS_DEFAULT = "0 would mean the default at the proxy API; leave the attribute out for the default";

/** Ranges by toxic type and attribute; attributes not listed take any value of their type. */
export const ATTRIBUTE_RANGES: Readonly<Record<string, Readonly<Record<string, AttributeRange>>>> = {
  latency: { latency: MS, jitter: MS },
  slow_close: { delay: MS },
  timeout: { timeout: MS },
  reset_peer: { timeout: MS },
  slicer: { average_size: NON_NEGATIVE, size_variation: NON_NEGATIVE, delay: { min: 0, max: MAX_TIMER_MS * 1000, why: 'microseconds' } },
  limit_data: { bytes: NON_NEGATIVE },
  duplicate: { copies: { min: 1, max: 100, why: ZERO_IS_DEFAULT } },
  http_error: { status: { min: 200, max: 599, why: ZERO_IS_DEFAULT } },
  drop: { status: { min: 100, max: 599, why: 'an HTTP status' } },
  commit_then_drop: { status: { min: 100, max: 599, why: 'an HTTP status' } },
  http_latency: { latency: MS, jitter: MS, max: MS, shape: { above: 0, why: ZERO_IS_DEFAULT }, sigma: { above: 0, why: ZERO_IS_DEFAULT } },
  stream_cut: { events: NON_NEGATIVE },
};

/** Words for "expected …" when `value` is outside the documented range of `type`'s `name`, else undefined. */
export function attributeRangeProblem(type: string, name: string, value: unknown): string | undefined {
  const range = ATTRIBUTE_RANGES[type]?.[name];
  if (range === undefined || typeof value !== 'number') return undefined;
  const low = (range.min !== undefined && value < range.min) || (range.above !== undefined && value <= range.above);
  const high = range.max !== undefined && value > range.max;
  if (!low && !high) return undefined;
  const bounds: string[] = [];
  if (range.min !== undefined) bounds.push(`≥ ${range.min}`);
  if (range.above !== undefined) bounds.push(`> ${range.above}`);
  if (range.max !== undefined) bounds.push(`≤ ${range.max}`);
  return `a number ${bounds.join(' and ')}${range.why ? ` (${range.why})` : ''}`;
}
