/**
 * JSON the way Go's encoding/json reads and writes it, so the API answers byte for byte like
 * Toxiproxy: a `json.Decoder` reads only the first value (trailing bytes are ignored), reports
 * `EOF` / `unexpected EOF` / `invalid character 'x' looking for beginning of value`, matches keys
 * case-insensitively, leaves fields alone on `null`, and reports the first type mismatch as
 * `json: cannot unmarshal string into Go struct field Proxy.name of type string`. The encoder side
 * escapes `<`, `>`, `&` and formats float32 values with the shortest round-tripping digits.
 */

/** A parsed JSON value; numbers keep their literal text (Go decodes them per target type). */
export type GoValue =
  | { readonly k: 'null' }
  | { readonly k: 'bool'; readonly v: boolean }
  | { readonly k: 'num'; readonly v: string }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'arr'; readonly v: GoValue[] }
  | { readonly k: 'obj'; readonly v: Array<[string, GoValue]> };

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Go's limit on nesting. */
const MAX_DEPTH = 10_000;

/** Go's quoting of one offending byte in a syntax error: `'x'`, `'\n'`, `'\x00'`, `'"'`. */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (named[c] !== undefined) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u00${c.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

class SyntaxFailure {
  constructor(readonly message: string) {}
}

type Frame = { arr: GoValue[] } | { obj: Array<[string, GoValue]>; key: string };

/** Parses the first JSON value of `input` like Go's `json.Decoder`; `error` is Go's message. */
export function parseGoJson(input: Uint8Array | string): { value: GoValue } | { error: string } {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const n = buf.length;
  let i = 0;
  let sawNonSpace = false;
  for (let j = 0; j < n; j++) {
    if (!isSpace(buf[j]!)) {
      sawNonSpace = true;
      break;
    }
  }
  const eof = () => new SyntaxFailure(sawNonSpace ? 'unexpected EOF' : 'EOF');
  const bad = (context: string) => new SyntaxFailure(`invalid character ${quoteChar(buf[i]!)} ${context}`);
  const skip = () => {
    while (i < n && isSpace(buf[i]!)) i++;
    if (i >= n) throw eof();
  };

  const readString = (): string => {
    // buf[i] is the opening quote.
    i++;
    const parts: string[] = [];
    let start = i;
    for (;;) {
      if (i >= n) throw eof();
      const c = buf[i]!;
      if (c === 0x22) {
        parts.push(Buffer.from(buf.subarray(start, i)).toString('utf8'));
        i++;
        // Go turns an unpaired surrogate escape into U+FFFD.
        return parts.join('').replace(LONE_SURROGATE, '\ufffd');
      }
      if (c < 0x20) throw bad('in string literal');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      parts.push(Buffer.from(buf.subarray(start, i)).toString('utf8'));
      i++;
      if (i >= n) throw eof();
      const e = buf[i]!;
      const simple: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
      if (simple[e] !== undefined) {
        parts.push(simple[e]!);
        i++;
      } else if (e === 0x75) {
        i++;
        for (let k = 0; k < 4; k++) {
          if (i + k >= n) {
            i += k;
            throw eof();
          }
          if (!isHex(buf[i + k]!)) {
            i += k;
            throw bad('in \\u hexadecimal character escape');
          }
        }
        const unit = parseInt(Buffer.from(buf.subarray(i, i + 4)).toString('latin1'), 16);
        i += 4;
        parts.push(String.fromCharCode(unit));
      } else {
        throw bad('in string escape code');
      }
      start = i;
    }
  };

  const readNumber = (): string => {
    const start = i;
    if (buf[i] === 0x2d) {
      i++;
      if (i >= n) throw eof();
      if (!isDigit(buf[i]!)) throw bad('in numeric literal');
    }
    if (buf[i] === 0x30) i++;
    else while (i < n && isDigit(buf[i]!)) i++;
    if (i < n && buf[i] === 0x2e) {
      i++;
      if (i >= n) throw eof();
      if (!isDigit(buf[i]!)) throw bad('after decimal point in numeric literal');
      while (i < n && isDigit(buf[i]!)) i++;
    }
    if (i < n && (buf[i] === 0x65 || buf[i] === 0x45)) {
      i++;
      if (i < n && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
      if (i >= n) throw eof();
      if (!isDigit(buf[i]!)) throw bad('in exponent of numeric literal');
      while (i < n && isDigit(buf[i]!)) i++;
    }
    return Buffer.from(buf.subarray(start, i)).toString('latin1');
  };

  const readLiteral = (word: string): void => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= n) throw eof();
      if (buf[i] !== word.charCodeAt(k)) throw bad(`in literal ${word} (expecting '${word[k]}')`);
    }
    i++;
  };

  const readKey = (frame: { key: string }): void => {
    skip();
    if (buf[i] !== 0x22) throw bad('looking for beginning of object key string');
    frame.key = readString();
    skip();
    if (buf[i] !== 0x3a) throw bad('after object key');
    i++;
  };

  try {
    const stack: Frame[] = [];
    let value: GoValue;
    for (;;) {
      // Expecting the beginning of a value.
      skip();
      const c = buf[i]!;
      let opened = false;
      if (c === 0x7b) {
        if (stack.length >= MAX_DEPTH) throw new SyntaxFailure('exceeded max depth');
        i++;
        skip();
        if (buf[i] === 0x7d) {
          i++;
          value = { k: 'obj', v: [] };
        } else {
          const frame = { obj: [] as Array<[string, GoValue]>, key: '' };
          readKey(frame);
          stack.push(frame);
          opened = true;
        }
      } else if (c === 0x5b) {
        if (stack.length >= MAX_DEPTH) throw new SyntaxFailure('exceeded max depth');
        i++;
        skip();
        if (buf[i] === 0x5d) {
          i++;
          value = { k: 'arr', v: [] };
        } else {
          stack.push({ arr: [] });
          opened = true;
        }
      } else if (c === 0x22) value = { k: 'str', v: readString() };
      else if (c === 0x2d || isDigit(c)) value = { k: 'num', v: readNumber() };
      else if (c === 0x74) {
        readLiteral('true');
        value = { k: 'bool', v: true };
      } else if (c === 0x66) {
        readLiteral('false');
        value = { k: 'bool', v: false };
      } else if (c === 0x6e) {
        readLiteral('null');
        value = { k: 'null' };
      } else throw bad('looking for beginning of value');
      if (opened) continue;

      // After a complete value: close containers as far as possible.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return { value: value! };
        skip();
        const d = buf[i]!;
        if ('arr' in top) {
          top.arr.push(value!);
          if (d === 0x2c) {
            i++;
            break;
          }
          if (d !== 0x5d) throw bad('after array element');
          i++;
          stack.pop();
          value = { k: 'arr', v: top.arr };
        } else {
          top.obj.push([top.key, value!]);
          if (d === 0x2c) {
            i++;
            readKey(top);
            break;
          }
          if (d !== 0x7d) throw bad('after object key:value pair');
          i++;
          stack.pop();
          value = { k: 'obj', v: top.obj };
        }
      }
    }
  } catch (err) {
    if (err instanceof SyntaxFailure) return { error: err.message };
    throw err;
  }
}

/** Go's name for the kind of a JSON value in type errors. */
function kindOf(v: GoValue): string {
  return { null: 'null', bool: 'bool', num: 'number', str: 'string', arr: 'array', obj: 'object' }[v.k];
}

/** A Go field type the API decodes into. */
export type GoFieldType =
  | 'string'
  | 'bool'
  | 'int'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'json' // any JSON value, kept as plain data (an agentcheck extension for structured attributes)
  | GoStructType;

/** A nested struct field: `fields` decoded when the value is an object. */
export interface GoStructType {
  /** Go type text for a non-object value, e.g. `toxics.LatencyToxic` or `zerolog.Logger`. */
  readonly struct: string;
  /** Go struct name used for errors inside it, e.g. `LatencyToxic`. */
  readonly name?: string;
  /** Its fields (none: any object is accepted and ignored). */
  readonly fields?: readonly GoField[];
}

/** One JSON field of a Go struct. */
export interface GoField {
  readonly key: string;
  readonly type: GoFieldType;
}

/** Plain JSON data (the `json` field type). */
export type JsonData = null | boolean | number | string | JsonData[] | { [key: string]: JsonData };

/**
 * A decoded field value: strings, booleans, numbers (ints beyond 2^53 as bigint), plain data for
 * `json`, or the decoded fields of a nested struct.
 */
export type GoDecoded = string | boolean | number | bigint | JsonData | Map<string, unknown>;

/** Converts a parsed value to plain data (numbers as JavaScript numbers). */
export function toJsonData(v: GoValue): JsonData {
  switch (v.k) {
    case 'null':
      return null;
    case 'bool':
    case 'str':
      return v.v;
    case 'num':
      return Number(v.v);
    case 'arr':
      return v.v.map(toJsonData);
    case 'obj': {
      const out: { [key: string]: JsonData } = {};
      for (const [k, x] of v.v) out[k] = toJsonData(x);
      return out;
    }
  }
}

/** Plain data as Go's encoder writes it (keys in insertion order). */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? goFloat64(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${goString(k)}:${goJson(v)}`).join(',')}}`;
  }
  return 'null';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FLOAT32_MAX = 3.4028234663852886e38;

function typeName(t: GoFieldType): string {
  return typeof t === 'string' ? (t === 'json' ? 'interface {}' : t) : t.struct;
}

/** Decodes one value into a Go scalar type: the value, `undefined` for null (unchanged), or a type error "value" text. */
function decodeScalar(v: GoValue, t: Exclude<GoFieldType, GoStructType>): { ok: GoDecoded | undefined } | { mismatch: string } {
  if (v.k === 'null') return { ok: undefined };
  switch (t) {
    case 'json':
      return { ok: toJsonData(v) };
    case 'string':
      return v.k === 'str' ? { ok: v.v } : { mismatch: kindOf(v) };
    case 'bool':
      return v.k === 'bool' ? { ok: v.v } : { mismatch: kindOf(v) };
    case 'int':
    case 'int64': {
      if (v.k !== 'num') return { mismatch: kindOf(v) };
      if (!/^-?\d+$/.test(v.v)) return { mismatch: `number ${v.v}` };
      const big = BigInt(v.v);
      if (big < INT64_MIN || big > INT64_MAX) return { mismatch: `number ${v.v}` };
      const asNumber = Number(big);
      return { ok: Number.isSafeInteger(asNumber) ? asNumber : big };
    }
    case 'float32':
    case 'float64': {
      if (v.k !== 'num') return { mismatch: kindOf(v) };
      const f = Number(v.v);
      if (!Number.isFinite(f) || (t === 'float32' && Math.abs(f) > FLOAT32_MAX)) return { mismatch: `number ${v.v}` };
      return { ok: t === 'float32' ? Math.fround(f) : f };
    }
  }
}

/** Where a struct sits, for Go's error wording. */
export interface StructContext {
  /** Go type name of the struct being decoded (`Proxy`, `ToxicWrapper`, '' for anonymous). */
  readonly struct: string;
  /** Field path leading to it (`attributes` for a toxic's attributes), '' at the top. */
  readonly path: string;
  /** Go type text when the value is not an object, e.g. `toxiproxy.Proxy`. */
  readonly valueType: string;
}

/**
 * Decodes an object value into `fields` like Go's `Unmarshal` into a struct: known keys only
 * (case-insensitive fallback), `null` keeps the current value, the first type mismatch is the error
 * (decoding goes on, as Go does). A non-object value is a type error; `null` decodes to nothing.
 */
export function decodeStruct(
  value: GoValue,
  fields: readonly GoField[],
  context: StructContext,
): { values: Map<string, GoDecoded>; error?: string } {
  const values = new Map<string, GoDecoded>();
  if (value.k === 'null') return { values };
  if (value.k !== 'obj') {
    const where = context.path ? `Go struct field ${context.struct}.${context.path}` : 'Go value';
    return { values, error: `json: cannot unmarshal ${kindOf(value)} into ${where} of type ${context.valueType}` };
  }
  let error: string | undefined;
  for (const [key, v] of value.v) {
    const field = fields.find((f) => f.key === key) ?? fields.find((f) => f.key.toLowerCase() === key.toLowerCase());
    if (!field) continue;
    const path = context.path ? `${context.path}.${field.key}` : field.key;
    const t = field.type;
    if (typeof t === 'object') {
      // Go keeps decoding after a type error and reports the first one.
      const inner = decodeStruct(v, t.fields ?? [], { struct: t.name ?? context.struct, path, valueType: t.struct });
      if (inner.error !== undefined) {
        error ??= v.k === 'obj' ? inner.error : inner.error.replace(`Go struct field ${t.name ?? context.struct}.`, `Go struct field ${context.struct}.`);
      }
      if (v.k === 'obj') values.set(field.key, inner.values);
      continue;
    }
    const decoded = decodeScalar(v, t);
    if ('mismatch' in decoded) {
      error ??= `json: cannot unmarshal ${decoded.mismatch} into Go struct field ${context.struct}.${path} of type ${typeName(t)}`;
    } else if (decoded.ok !== undefined) values.set(field.key, decoded.ok);
  }
  return error === undefined ? { values } : { values, error };
}

/** The value of `key` in an object value (Go's matching: exact, else case-insensitive; last one wins). */
export function member(value: GoValue, key: string): GoValue | undefined {
  if (value.k !== 'obj') return undefined;
  let exact: GoValue | undefined;
  let folded: GoValue | undefined;
  for (const [k, v] of value.v) {
    if (k === key) exact = v;
    else if (k.toLowerCase() === key.toLowerCase()) folded = v;
  }
  return exact ?? folded;
}

/** A JSON string as Go's encoder writes it (`<`, `>`, `&`, U+2028, U+2029 escaped). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A float32 as Go's encoder writes it: the shortest decimal that reads back as the same float32. */
export function goFloat32(value: number): string {
  const f = Math.fround(value);
  if (Object.is(f, -0)) return '-0';
  if (f === 0) return '0';
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return String(candidate);
  }
  return String(f);
}

/** A float64 as Go's encoder writes it (JavaScript's shortest form is the same). */
export function goFloat64(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}
