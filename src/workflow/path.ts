/**
 * Paths into a JSON value, as written in a step's `extract` and `until` and in an `exactly_once`
 * invariant's `key` and `effects.list`: dot and bracket segments, `result.id`,
 * `result.artifacts[0].parts[0].text`, `result["odd key"]`, `items[-1]` (negative indexes count
 * from the end). A whole-number key reads that item of a list as well (`items.0.id` is
 * `items[0].id`, as in JavaScript); on a map it is the key of that name. Parsing is strict (a usage
 * error names the column); reading is forgiving (a missing segment gives `undefined`, never an
 * exception).
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
/** A key that also names a list item: a whole number without a sign or leading zeros. */
const ITEM_KEY = /^(?:0|[1-9]\d*)$/;

/** Why a path cannot be read: what is wrong and the character offset where it went wrong. */
export interface PathProblem {
  message: string;
  offset: number;
}

const PATH_HINT = 'a path is dot and bracket segments, e.g. result.id, result.items[0].id, result["a key"]';

/** Parses a path; throws a usage error (exit 2) that says where it went wrong. */
export function parsePath(text: string): JsonPath {
  const parsed = parseSegments(text);
  if ('message' in parsed) throw new AgentcheckError('usage', `cannot read the path '${text}' at column ${parsed.offset + 1}: ${parsed.message}`, PATH_HINT);
  return { text, segments: parsed.segments };
}

/** Why `text` is not a path (for validators, which locate the offset in the file), or undefined when it is one. */
export function pathProblem(text: string): PathProblem | undefined {
  const parsed = parseSegments(text);
  return 'message' in parsed ? parsed : undefined;
}

function parseSegments(text: string): { segments: PathSegment[] } | PathProblem {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (message: string): PathProblem => ({ message, offset: i });
  if (text.length === 0) return fail('the path is empty');
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
        if (text[i] !== q) return fail('unclosed quote');
        i++;
        segments.push({ key });
      } else {
        const m = /^-?\d+/.exec(text.slice(i));
        if (!m) return fail('expected an index such as [0] or a quoted key such as ["name"]');
        segments.push({ index: Number(m[0]) });
        i += m[0].length;
      }
      if (text[i] !== ']') return fail("expected ']'");
      i++;
      expectKey = false;
      continue;
    }
    if (c === '.') {
      if (expectKey) return fail('empty segment');
      i++;
      expectKey = true;
      if (i >= text.length) return fail('the path ends with a dot');
      continue;
    }
    if (!expectKey) return fail("expected '.' or '[' between segments");
    const start = i;
    while (i < text.length && IDENT.test(text[i]!)) i++;
    if (i === start) return fail(`unexpected '${c}'`);
    segments.push({ key: text.slice(start, i) });
    expectKey = false;
  }
  return { segments };
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
      if (Array.isArray(v)) {
        if (!ITEM_KEY.test(s.key)) return undefined;
        v = v[Number(s.key)];
      } else {
        if (!Object.hasOwn(v, s.key)) return undefined;
        v = (v as Record<string, unknown>)[s.key];
      }
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
