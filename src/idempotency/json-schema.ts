/**
 * The JSON Schema subset request bodies are described with, and its conversion to fast-check
 * arbitraries: valid values (what the operation accepts) and invalid ones (for the "validation
 * failures store nothing" property).
 *
 * Supported keywords: `type` (string, integer, number, boolean, null, object, array, or a list of
 * them), `enum`, `const`, `properties`, `required`, `additionalProperties` (boolean), `items` (one
 * schema), `minItems`, `maxItems`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`
 * (numbers), `minLength`, `maxLength`, `pattern`, `format` (uuid, email, date-time, date), `anyOf`,
 * `oneOf`. Annotations (`title`, `description`, `examples`, `default`, `$comment`, `$schema`) are
 * ignored. Anything else is refused, so a schema never silently means less than it says.
 */
import fc from 'fast-check';
import { brief, sameJson } from './compare.js';

/** A JSON Schema in the supported subset (see the module comment). */
export type JsonSchema = { [keyword: string]: unknown };

/** A problem in a schema, with the path inside the schema where it is. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
  /** True when the problem is the keyword itself (point at the key, not its value). */
  atKey?: boolean;
}

const TYPES = ['string', 'integer', 'number', 'boolean', 'null', 'object', 'array'] as const;
type JsonType = (typeof TYPES)[number];
const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
};
const ANNOTATIONS = new Set(['title', 'description', 'examples', 'default', '$comment', '$schema']);
const KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'anyOf',
  'oneOf',
]);

/** The keywords the subset supports, for error messages. */
export const SUPPORTED_KEYWORDS = [...KEYWORDS];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Checks that `schema` is inside the supported subset; returns every problem found (empty when fine). */
export function checkSchema(schema: unknown, at: (string | number)[] = []): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const bad = (path: (string | number)[], message: string, atKey = false) => problems.push({ path, message, atKey });
  if (!isObject(schema)) {
    bad(at, 'a schema must be an object');
    return problems;
  }
  for (const [k, v] of Object.entries(schema)) {
    if (ANNOTATIONS.has(k)) continue;
    if (!KEYWORDS.has(k)) {
      bad([...at, k], `unsupported schema keyword '${k}' (supported: ${SUPPORTED_KEYWORDS.join(', ')})`, true);
      continue;
    }
    switch (k) {
      case 'type': {
        const list = Array.isArray(v) ? v : [v];
        if (list.length === 0 || !list.every((t) => (TYPES as readonly unknown[]).includes(t))) {
          bad([...at, k], `type must be one of ${TYPES.join(', ')} (or a list of them), got ${brief(v)}`);
        }
        break;
      }
      case 'enum':
        if (!Array.isArray(v) || v.length === 0) bad([...at, k], 'enum must be a non-empty list');
        break;
      case 'properties':
        if (!isObject(v)) bad([...at, k], 'properties must map names to schemas');
        else for (const [name, sub] of Object.entries(v)) problems.push(...checkSchema(sub, [...at, k, name]));
        break;
      case 'required':
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
          bad([...at, k], 'required must be a list of property names');
        } else {
          const props = isObject(schema.properties) ? schema.properties : {};
          v.forEach((name, i) => {
            if (!(name in props)) bad([...at, k, i], `required property '${name}' has no schema under properties`);
          });
        }
        break;
      case 'additionalProperties':
        if (typeof v !== 'boolean') bad([...at, k], 'additionalProperties must be true or false in this subset');
        break;
      case 'items':
        problems.push(...checkSchema(v, [...at, k]));
        break;
      case 'minItems':
      case 'maxItems':
      case 'minLength':
      case 'maxLength':
        if (!isNonNegInt(v)) bad([...at, k], `${k} must be a non-negative integer`);
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        if (typeof v !== 'number' || !Number.isFinite(v)) bad([...at, k], `${k} must be a number`);
        break;
      case 'pattern':
        if (typeof v !== 'string') bad([...at, k], 'pattern must be a string');
        else {
          try {
            new RegExp(v, 'u');
          } catch (e) {
            bad([...at, k], `pattern is not a valid regular expression: ${(e as Error).message}`);
          }
        }
        break;
      case 'format':
        if (typeof v !== 'string' || !(v in FORMATS)) {
          bad([...at, k], `format must be one of ${Object.keys(FORMATS).join(', ')}, got ${brief(v)}`);
        }
        break;
      case 'anyOf':
      case 'oneOf':
        if (!Array.isArray(v) || v.length === 0) bad([...at, k], `${k} must be a non-empty list of schemas`);
        else v.forEach((sub, i) => problems.push(...checkSchema(sub, [...at, k, i])));
        break;
      default:
        break;
    }
  }
  if (isNonNegInt(schema.minLength) && isNonNegInt(schema.maxLength) && schema.minLength > schema.maxLength) {
    bad([...at, 'minLength'], 'minLength is greater than maxLength');
  }
  if (isNonNegInt(schema.minItems) && isNonNegInt(schema.maxItems) && schema.minItems > schema.maxItems) {
    bad([...at, 'minItems'], 'minItems is greater than maxItems');
  }
  const r = numberRange(schema, typesOf(schema).includes('integer') && !typesOf(schema).includes('number'));
  if (r && r.min > r.max) bad([...at, 'minimum'], 'the numeric range is empty (minimum above maximum)');
  return problems;
}

function typesOf(schema: JsonSchema): JsonType[] {
  const t = schema.type;
  if (t === undefined) return [];
  return (Array.isArray(t) ? t : [t]) as JsonType[];
}

function jsonTypeOf(v: unknown): JsonType | 'undefined' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'object') return typeof v as JsonType;
  return 'undefined';
}

function typeMatches(v: unknown, t: JsonType): boolean {
  const actual = jsonTypeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

/** Every way `value` breaks `schema`, as readable lines naming the path (`body.amount must be ≥ 1`). */
export function schemaErrors(value: unknown, schema: JsonSchema, path = 'body'): string[] {
  const errors: string[] = [];
  if ('const' in schema && !sameJson(value, schema.const)) errors.push(`${path} must be ${brief(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => sameJson(e, value))) {
    errors.push(`${path} must be one of ${brief(schema.enum)}`);
  }
  const types = typesOf(schema);
  if (types.length > 0 && !types.some((t) => typeMatches(value, t))) {
    errors.push(`${path} must be of type ${types.join(' or ')}, got ${jsonTypeOf(value)}`);
    return errors;
  }
  if (typeof value === 'string') {
    const len = [...value].length;
    if (isNonNegInt(schema.minLength) && len < schema.minLength) errors.push(`${path} must be at least ${schema.minLength} characters`);
    if (isNonNegInt(schema.maxLength) && len > schema.maxLength) errors.push(`${path} must be at most ${schema.maxLength} characters`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${path} must match /${schema.pattern}/`);
    }
    const fmt = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
    if (fmt && !fmt.test(value)) errors.push(`${path} must be a ${String(schema.format)}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path} must be ≥ ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path} must be ≤ ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) {
      errors.push(`${path} must be > ${schema.exclusiveMinimum}`);
    }
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) {
      errors.push(`${path} must be < ${schema.exclusiveMaximum}`);
    }
  }
  if (Array.isArray(value)) {
    if (isNonNegInt(schema.minItems) && value.length < schema.minItems) errors.push(`${path} must have at least ${schema.minItems} items`);
    if (isNonNegInt(schema.maxItems) && value.length > schema.maxItems) errors.push(`${path} must have at most ${schema.maxItems} items`);
    if (isObject(schema.items)) value.forEach((item, i) => errors.push(...schemaErrors(item, schema.items as JsonSchema, `${path}[${i}]`)));
  }
  if (isObject(value)) {
    const props = isObject(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const name of schema.required as string[]) if (!(name in value)) errors.push(`${path}.${name} is required`);
    }
    for (const [name, v] of Object.entries(value)) {
      const sub = props[name];
      if (isObject(sub)) errors.push(...schemaErrors(v, sub, `${path}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${name} is not allowed`);
    }
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => schemaErrors(value, s as JsonSchema, path).length === 0)) {
    errors.push(`${path} matches none of anyOf`);
  }
  if (Array.isArray(schema.oneOf)) {
    const n = schema.oneOf.filter((s) => schemaErrors(value, s as JsonSchema, path).length === 0).length;
    if (n !== 1) errors.push(`${path} must match exactly one of oneOf (matches ${n})`);
  }
  return errors;
}

function numberRange(schema: JsonSchema, integer: boolean): { min: number; max: number } | undefined {
  const step = integer ? 1 : Number.EPSILON * 1024;
  let min = typeof schema.minimum === 'number' ? schema.minimum : -Infinity;
  let max = typeof schema.maximum === 'number' ? schema.maximum : Infinity;
  if (typeof schema.exclusiveMinimum === 'number') min = Math.max(min, schema.exclusiveMinimum + step);
  if (typeof schema.exclusiveMaximum === 'number') max = Math.min(max, schema.exclusiveMaximum - step);
  if (integer) {
    min = Math.ceil(min);
    max = Math.floor(max);
  }
  if (min === -Infinity && max === Infinity) return undefined;
  return { min, max };
}

// Generated values stay small and readable: a counterexample is read by a person.
const DEFAULT_SPAN = 10_000;
const DEFAULT_MAX_LENGTH = 12;
const DEFAULT_MAX_ITEMS = 4;

function integerArb(schema: JsonSchema): fc.Arbitrary<number> {
  const r = numberRange(schema, true);
  const min = r && Number.isFinite(r.min) ? r.min : r && Number.isFinite(r.max) ? r.max - DEFAULT_SPAN : -DEFAULT_SPAN;
  const max = r && Number.isFinite(r.max) ? r.max : min + 2 * DEFAULT_SPAN;
  return fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
}

function numberArb(schema: JsonSchema): fc.Arbitrary<number> {
  const r = numberRange(schema, false);
  const min = r && Number.isFinite(r.min) ? r.min : r && Number.isFinite(r.max) ? r.max - DEFAULT_SPAN : -DEFAULT_SPAN;
  const max = r && Number.isFinite(r.max) ? r.max : min + 2 * DEFAULT_SPAN;
  // -0 serialises as 0; excluding it keeps a replayed counterexample identical to the one reported.
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
}

function stringArb(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = isNonNegInt(schema.minLength) ? schema.minLength : 0;
  const maxLength = isNonNegInt(schema.maxLength) ? schema.maxLength : Math.max(minLength, DEFAULT_MAX_LENGTH);
  const lengthOk = (s: string) => {
    const n = [...s].length;
    return n >= minLength && n <= maxLength;
  };
  let arb: fc.Arbitrary<string>;
  if (schema.format === 'uuid') arb = fc.uuid();
  else if (schema.format === 'email') arb = fc.emailAddress();
  else if (schema.format === 'date-time' || schema.format === 'date') {
    const iso = fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
    arb = schema.format === 'date' ? iso.map((s) => s.slice(0, 10)) : iso;
  } else if (typeof schema.pattern === 'string') {
    arb = fc.stringMatching(new RegExp(schema.pattern, 'u'));
  } else {
    return fc.string({ minLength, maxLength, unit: 'grapheme-ascii' });
  }
  return minLength > 0 || isNonNegInt(schema.maxLength) ? arb.filter(lengthOk) : arb;
}

/** A fast-check arbitrary of values valid against `schema` (checked with {@link checkSchema} first). */
export function arbitraryFromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const subs = (schema.anyOf ?? schema.oneOf) as JsonSchema[];
    const union = fc.oneof(...subs.map((s) => arbitraryFromSchema(s)));
    return union.filter((v) => schemaErrors(v, schema).length === 0);
  }
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((t) => arbitraryFromSchema({ ...schema, type: t })));
  const type: JsonType | undefined =
    types[0] ?? (isObject(schema.properties) ? 'object' : isObject(schema.items) ? 'array' : undefined);
  switch (type) {
    case 'string':
      return stringArb(schema);
    case 'integer':
      return integerArb(schema);
    case 'number':
      return numberArb(schema);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = isNonNegInt(schema.minItems) ? schema.minItems : 0;
      const maxLength = isNonNegInt(schema.maxItems) ? schema.maxItems : Math.max(minLength, DEFAULT_MAX_ITEMS);
      const item = isObject(schema.items) ? arbitraryFromSchema(schema.items) : fc.jsonValue({ maxDepth: 1 });
      return fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      const props = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, sub] of Object.entries(props)) model[name] = arbitraryFromSchema(sub);
      return fc.record(model, { requiredKeys: required });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const WRONG_TYPE_CANDIDATES: unknown[] = [123, 1.5, 'text', '', true, null, [], {}];

function violatingValues(schema: JsonSchema, withNull = true): fc.Arbitrary<unknown>[] {
  const out: fc.Arbitrary<unknown>[] = [];
  const fails = (v: unknown) => schemaErrors(v, schema).length > 0;
  const wrongTypes = WRONG_TYPE_CANDIDATES.filter((v) => (withNull || v !== null) && fails(v));
  if (wrongTypes.length > 0) out.push(fc.constantFrom(...wrongTypes));
  const types = typesOf(schema);
  const integer = types.includes('integer') && !types.includes('number');
  const r = numberRange(schema, integer);
  const step = integer ? 1 : 0.5;
  if (r && Number.isFinite(r.min)) out.push(fc.constant(r.min - step));
  if (r && Number.isFinite(r.max)) out.push(fc.constant(r.max + step));
  if (isNonNegInt(schema.minLength) && schema.minLength > 0) out.push(fc.constant('x'.repeat(schema.minLength - 1)));
  if (isNonNegInt(schema.maxLength)) out.push(fc.constant('x'.repeat(schema.maxLength + 1)));
  if (typeof schema.pattern === 'string' || typeof schema.format === 'string' || Array.isArray(schema.enum)) {
    const near = ['x', '!', '0', 'aaa', 'AAA', 'not-valid', ' ', '-1'];
    if (Array.isArray(schema.enum)) {
      for (const e of schema.enum) if (typeof e === 'string') near.push(e.toLowerCase(), `${e}x`);
    }
    const misses = near.filter(fails);
    if (misses.length > 0) out.push(fc.constantFrom(...misses));
  }
  if (isNonNegInt(schema.minItems) && schema.minItems > 0) out.push(fc.constant([]));
  return out;
}

/**
 * The shapes of invalid payload {@link invalidArbitraryFromSchema} generates (docs/idempotency.md).
 * A spec narrows them with `operation.body.invalidShapes`.
 */
export const INVALID_SHAPES = ['missing-required', 'wrong-property', 'extra-property', 'null-body', 'other-body'] as const;

/** One shape of invalid payload. */
export type InvalidShape = (typeof INVALID_SHAPES)[number];

/**
 * A fast-check arbitrary of values that break `schema` in one way at a time, of the given shapes
 * (default all): a required property missing (`missing-required`); one property of the wrong
 * type, out of range, too short or long, off its pattern or enum (`wrong-property`); an extra
 * property where none is allowed (`extra-property`); a whole body of JSON `null` (`null-body`);
 * a whole body of another wrong type (a number, a string, a boolean, an array, an object) or
 * out of the schema's own range (`other-body`). Every value is checked to really be invalid.
 * Undefined when no value of those shapes breaks the schema.
 */
export function invalidArbitraryFromSchema(schema: JsonSchema, shapes: readonly InvalidShape[] = INVALID_SHAPES): fc.Arbitrary<unknown> | undefined {
  const fails = (v: unknown) => schemaErrors(v, schema).length > 0;
  const want = new Set(shapes);
  const strategies: fc.Arbitrary<unknown>[] = [];
  const props = isObject(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : undefined;
  if (props && (typesOf(schema).includes('object') || typesOf(schema).length === 0)) {
    const valid = arbitraryFromSchema(schema) as fc.Arbitrary<Record<string, unknown>>;
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
    if (want.has('missing-required')) {
      for (const name of required) {
        strategies.push(
          valid.map((o) => {
            const copy = { ...o };
            delete copy[name];
            return copy;
          }),
        );
      }
    }
    if (want.has('wrong-property')) {
      for (const [name, sub] of Object.entries(props)) {
        for (const bad of violatingValues(sub)) {
          strategies.push(fc.tuple(valid, bad).map(([o, v]) => ({ ...o, [name]: v })));
        }
      }
    }
    if (want.has('extra-property') && schema.additionalProperties === false) {
      let extra = 'unexpectedField';
      while (extra in props) extra += '_';
      strategies.push(valid.map((o) => ({ ...o, [extra]: 1 })));
    }
  }
  if (want.has('null-body') && fails(null)) strategies.push(fc.constant(null));
  if (want.has('other-body')) strategies.push(...violatingValues(schema, false));
  if (strategies.length === 0) return undefined;
  return fc.oneof(...strategies).filter(fails);
}
