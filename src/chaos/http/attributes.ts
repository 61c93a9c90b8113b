/**
 * Reading toxic attributes the Toxiproxy way: a missing attribute takes its default, an
 * unknown key is ignored, a wrongly typed one is an {@link AttributeError} (the API answers
 * 400 `bad request body: <message>`).
 */

/** A toxic attribute has the wrong type or is out of range. */
export class AttributeError extends Error {
  override readonly name = 'AttributeError';
}

/** A plain JSON object (attributes as they arrive in a request body). */
export type Attrs = Record<string, unknown>;

/** Narrows `value` to a plain object or throws naming `what`. */
export function asObject(value: unknown, what: string): Attrs {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new AttributeError(`${what} must be an object`);
  return value as Attrs;
}

/** A number attribute within [min, max] (integers only when `integer`), or `def` when missing. */
export function numberAttr(
  attrs: Attrs,
  key: string,
  def: number,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const v = attrs[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new AttributeError(`attribute '${key}' must be a number`);
  if (opts.integer && !Number.isInteger(v)) throw new AttributeError(`attribute '${key}' must be an integer`);
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  if (v < min || v > max) {
    const range = Number.isFinite(max) ? `between ${min} and ${max}` : `at least ${min}`;
    throw new AttributeError(`attribute '${key}' must be ${range}, got ${v}`);
  }
  return v;
}

/** A string attribute (one of `allowed` when given), or `def` when missing. */
export function stringAttr<T extends string = string>(attrs: Attrs, key: string, def: T, allowed?: readonly T[]): T {
  const v = attrs[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string') throw new AttributeError(`attribute '${key}' must be a string`);
  if (allowed && !allowed.includes(v as T)) {
    throw new AttributeError(`attribute '${key}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${v}'`);
  }
  return v as T;
}

/** A string or list of strings attribute, normalised to a list (`[]` when missing). */
export function stringListAttr(attrs: Attrs, key: string, what = `attribute '${key}'`): string[] {
  const v = attrs[key];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new AttributeError(`${what} must be a string or a list of strings`);
}

/** A `{name: string}` map attribute (`{}` when missing). */
export function stringMapAttr(attrs: Attrs, key: string, what = `attribute '${key}'`): Record<string, string> {
  const obj = asObject(attrs[key], what);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') throw new AttributeError(`${what}.${k} must be a string`);
    out[k] = v;
  }
  return out;
}
