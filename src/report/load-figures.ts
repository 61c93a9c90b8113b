/**
 * The load generator's figures in words, for the HTML and Markdown tables: `lateFraction` is
 * "late arrivals (share)", `achievedRate` "achieved rate", each value in its unit. Unknown keys
 * (figures a newer generator adds) are split into words rather than shown in camelCase.
 */
import { formatCount, formatMs, formatRate, formatRatio } from './format.js';

type Unit = 'count' | 'ms' | 'ratio' | 'rate' | 'percent' | 'text';

/** Known figures: label and unit, in the order they are shown. */
const KNOWN: ReadonlyArray<[key: string, label: string, unit: Unit]> = [
  ['model', 'model', 'text'],
  ['targetRate', 'target rate', 'rate'],
  ['achievedRate', 'achieved rate', 'rate'],
  ['arrivals', 'arrivals scheduled', 'count'],
  ['sent', 'sent', 'count'],
  ['late', 'late arrivals', 'count'],
  ['lateFraction', 'late arrivals (share)', 'ratio'],
  ['lateToleranceMs', 'late after', 'ms'],
  ['p50LatenessMs', 'send delay p50', 'ms'],
  ['p99LatenessMs', 'send delay p99', 'ms'],
  ['maxLatenessMs', 'send delay max', 'ms'],
  ['dropped', 'arrivals dropped (too many in flight)', 'count'],
  ['maxInFlight', 'in-flight cap', 'count'],
  ['inFlightPeak', 'in-flight peak', 'count'],
  ['abandoned', 'abandoned at stop', 'count'],
  ['cpuPercent', 'generator CPU (% of a core)', 'percent'],
  ['eventLoopUtilization', 'event loop busy', 'ratio'],
  ['eventLoopDelayP99Ms', 'event loop delay p99', 'ms'],
  ['eventLoopDelayMaxMs', 'event loop delay max', 'ms'],
  ['valid', 'kept up', 'text'],
  ['invalidReasons', 'why not', 'text'],
];

/** `lateToleranceMs` → `late tolerance ms`, `p99LatenessMs` → `p99 lateness ms`. */
export function words(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .trim();
}

function text(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(Number(v.toFixed(3)));
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length > 0 ? v.join('; ') : 'none';
  return JSON.stringify(v) ?? '';
}

function formatValue(v: unknown, unit: Unit): string {
  if (typeof v !== 'number') return text(v);
  switch (unit) {
    case 'count':
      return formatCount(v);
    case 'ms':
      return formatMs(v);
    case 'ratio':
      return formatRatio(v);
    case 'rate':
      // One decimal whatever the size: 199.8/s against a 200/s target is the point of the row.
      return Number.isFinite(v) ? `${Number(v.toFixed(1))}/s` : formatRate(v);
    case 'percent':
      return `${Number(v.toFixed(1))} %`;
    case 'text':
      return text(v);
  }
}

/**
 * The figures of `report.load` as `{label, value}` rows: known ones first in a fixed order with
 * their units, then the rest in words. A nested `validity: {valid, reasons}` is read as `valid` and
 * `invalidReasons`.
 */
export function loadFigures(load: Record<string, unknown>): Array<{ label: string; value: string }> {
  const flat: Record<string, unknown> = { ...load };
  const validity = flat.validity;
  if (validity !== null && typeof validity === 'object' && !Array.isArray(validity)) {
    const v = validity as { valid?: unknown; reasons?: unknown };
    delete flat.validity;
    if (flat.valid === undefined && v.valid !== undefined) flat.valid = v.valid;
    if (flat.invalidReasons === undefined && v.reasons !== undefined) flat.invalidReasons = v.reasons;
  }
  if (Array.isArray(flat.invalidReasons) && flat.invalidReasons.length === 0) delete flat.invalidReasons;
  const rows: Array<{ label: string; value: string }> = [];
  const known = new Set<string>();
  for (const [key, label, unit] of KNOWN) {
    known.add(key);
    if (flat[key] !== undefined) rows.push({ label, value: formatValue(flat[key], unit) });
  }
  for (const [key, v] of Object.entries(flat)) {
    if (known.has(key) || v === undefined) continue;
    rows.push({ label: words(key), value: /Ms$/.test(key) && typeof v === 'number' ? formatMs(v) : text(v) });
  }
  return rows;
}
