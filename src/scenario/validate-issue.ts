/**
 * What every scenario check reports: a field path, what is wrong and what was expected, and which
 * part of the YAML node the position should point at. `load.ts` turns issues into
 * `FILE:LINE:COL: path: message` lines.
 */

/** A field path: map keys and list indexes from the document root. */
export type FieldPath = ReadonlyArray<string | number>;

/** One problem found in a scenario. */
export interface ValidationIssue {
  path: FieldPath;
  /** `<what is wrong>, expected <what>`. */
  message: string;
  /**
   * What the position points at: the value at `path` (default), its key (unknown fields), or
   * the map that holds it (missing fields: `path` ends with the missing key).
   */
  at?: 'value' | 'key' | 'parent';
  /** For a problem inside a string value (a budget expression): the character offset in it. */
  offset?: number;
}

/** Formats a path as `agents[0].readiness.http`; the root is `(root)`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Describes a value for "got …" in a message: short, quoted strings, kind names for collections. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** Levenshtein distance, bounded work for short identifiers. */
function distance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length);
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The closest candidate to `word` if it is plausibly a typo of it (case-insensitive), else undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  // Short words are too close to everything: below three letters only a case slip counts.
  const limit = Math.min(3, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
}
