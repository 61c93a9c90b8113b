/**
 * Paths into a JSON value, as written in a step's `extract` and `until`: dot and bracket
 * segments, `result.id`, `result.artifacts[0].parts[0].text`, `result["odd key"]`, `items[-1]`
 * (negative indexes count from the end). Parsing is strict (a usage error names the column);
 * reading is forgiving (a missing segment gives `undefined`, never an exception).
 */
import { AgentcheckError } from '../errors.js';

/** One segment of a path: an object key or an array index. */
export type PathSegment = { key: string } | { index: number };

/** A parsed path, with the text it came from. */
export interface JsonPath {
  readonly text: string;
  readonly segments: readonly PathSegment[];
}

const IDENT = /[^.[\]"'\s]/;

/** Parses a path; throws a usage error (exit 2) that says where it went wrong. */
export function parsePath(text: string): JsonPath {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new AgentcheckError('usage', `cannot read the path '${text}' at column ${i + 1}: ${why}`, 'a path is dot and bracket segments, e.g. result.id, result.items[0].id, result["a key"]');
  };
  if (text.length === 0) fail('the path is empty');
  let expectKey = true;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '[') {
      i++;
      const q = text[i];
      if (q === '"' || q === "'") {
        i++;
        let key = '';
        while (i < text.length && text[i] !== q) {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          key += text[i];
          i++;
        }
        if (text[i] !== q) fail('unclosed quote');
        i++;
        segments.push({ key });
      } else {
        const m = /^-?\d+/.exec(text.slice(i));
        if (!m) fail('expected an index such as [0] or a quoted key such as ["name"]');
        segments.push({ index: Number(m![0]) });
        i += m![0].length;
      }
      if (text[i] !== ']') fail("expected ']'");
      i++;
      expectKey = false;
      continue;
    }
    if (c === '.') {
      if (expectKey) fail('empty segment');
      i++;
      expectKey = true;
      if (i >= text.length) fail('the path ends with a dot');
      continue;
    }
    if (!expectKey) fail("expected '.' or '[' between segments");
    const start = i;
    while (i < text.length && IDENT.test(text[i]!)) i++;
    if (i === start) fail(`unexpected '${c}'`);
    segments.push({ key: text.slice(start, i) });
    expectKey = false;
  }
  return { text, segments };
}

/** The value at `path` in `value`, or undefined when any segment is missing. */
export function readPath(value: unknown, path: JsonPath): unknown {
  let v: unknown = value;
  for (const s of path.segments) {
    if (v === null || typeof v !== 'object') return undefined;
    if ('index' in s) {
      if (!Array.isArray(v)) return undefined;
      v = v[s.index < 0 ? v.length + s.index : s.index];
    } else {
      if (Array.isArray(v) || !Object.hasOwn(v, s.key)) return undefined;
      v = (v as Record<string, unknown>)[s.key];
    }
  }
  return v;
}

/** A value read by a path as template text: strings as they are, other JSON as JSON; null/missing → undefined. */
export function pathValueText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Formats segments back to a path that {@link parsePath} reads as the same segments. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if ('index' in s) out += `[${s.index}]`;
    else if (s.key.length > 0 && [...s.key].every((c) => IDENT.test(c))) out += out === '' ? s.key : `.${s.key}`;
    else out += `["${s.key.replace(/["\\]/g, (m) => `\\${m}`)}"]`;
  }
  return out;
}
