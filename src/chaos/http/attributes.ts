/**
 * Reading the JSON-valued parts of message-toxic attributes (`match`, `headers`): a missing value
 * is empty, a wrongly typed one is an {@link AttributeError} (the API answers 400
 * `bad request body: <message>`).
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
