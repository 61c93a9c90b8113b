/**
 * Value comparison for the idempotency properties: canonical JSON (object keys sorted at every
 * depth, so key order never makes two equal payloads differ) and field removal for replay
 * comparisons that must ignore a timestamp or a request id.
 */

/** JSON text with object keys sorted at every depth; `undefined` becomes `null`. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Deep equality by canonical JSON. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Canonical JSON of a list compared as a multiset (order ignored). */
export function canonicalMultiset(values: readonly unknown[]): string {
  return `[${values.map(canonicalJson).sort().join(',')}]`;
}

/** Reads a dotted path (`data.items.0.id`); an empty path is the value itself. */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A copy of `value` without the fields at the given dotted paths (missing paths are ignored). */
export function omitPaths(value: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0 || value === null || typeof value !== 'object') return value;
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  for (const path of paths) {
    const parts = path.split('.');
    let cur: unknown = copy;
    for (let i = 0; i < parts.length - 1 && cur !== null && typeof cur === 'object'; i++) {
      cur = (cur as Record<string, unknown>)[parts[i] as string];
    }
    if (cur !== null && typeof cur === 'object') delete (cur as Record<string, unknown>)[parts[parts.length - 1] as string];
  }
  return copy;
}

/** A short one-line rendering of a value for findings (truncated at `max` characters). */
export function brief(value: unknown, max = 160): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A JSON-friendly deep copy: Maps become objects (or entry lists for non-string keys), Sets become
 * arrays, so a handler's in-memory state can be snapshotted and compared.
 */
export function toPlain(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : typeof value === 'function' ? undefined : value;
  }
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (value instanceof Map) {
      const entries = [...value.entries()];
      if (entries.every(([k]) => typeof k === 'string')) {
        return Object.fromEntries(entries.map(([k, v]) => [k, toPlain(v, seen)]));
      }
      return entries.map(([k, v]) => [toPlain(k, seen), toPlain(v, seen)]);
    }
    if (value instanceof Set) return [...value].map((v) => toPlain(v, seen));
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map((v) => toPlain(v, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}
