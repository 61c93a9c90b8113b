/**
 * A small JSON Schema validator for the keywords `schema.ts` uses (type, required, properties,
 * additionalProperties, items, minItems, enum, const, pattern, minLength, minimum, maximum,
 * exclusiveMinimum, oneOf, anyOf, $ref to #/$defs). It exists, instead of a general validator,
 * to report every problem with its field path and a message that says what was expected.
 */
import { durationLimitProblem } from './duration.js';
import { scenarioSchema, type JsonType, type SchemaNode } from './schema.js';
import { describeValue, didYouMean, type FieldPath, type ValidationIssue } from './validate-issue.js';

/** Durations are refused above the length agentcheck can wait for (see duration.ts). */
const DURATION_REF = '#/$defs/duration';

const TYPE_WORDS: Record<JsonType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'nothing',
};

function typeMatches(type: JsonType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'null':
      return value === null;
  }
}

function typesOf(node: SchemaNode): JsonType[] | undefined {
  if (node.type === undefined) return undefined;
  return Array.isArray(node.type) ? node.type : [node.type];
}

/** Validates `value` against a schema (default: the scenario schema) and returns every issue. */
export function validateAgainstSchema(
  value: unknown,
  schema: SchemaNode = scenarioSchema,
  root: SchemaNode = schema,
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  new SchemaValidator(root).check(schema, value, [], out);
  return out;
}

class SchemaValidator {
  constructor(private readonly root: SchemaNode) {}

  private resolve(node: SchemaNode): SchemaNode {
    let n = node;
    for (let hops = 0; n.$ref !== undefined && hops < 32; hops++) {
      const name = n.$ref.replace(/^#\/\$defs\//, '');
      const target = this.root.$defs?.[name];
      if (target === undefined) throw new Error(`schema: unresolved $ref ${n.$ref}`);
      n = target;
    }
    return n;
  }

  /** The words for "expected …" describing any value valid for `node`. */
  expected(node: SchemaNode): string {
    const n = this.resolve(node);
    if (n['x-expected'] !== undefined) return n['x-expected'];
    if (n.const !== undefined) return JSON.stringify(n.const);
    if (n.enum !== undefined) return `one of: ${n.enum.join(', ')}`;
    const types = typesOf(n);
    if (types !== undefined) return types.map((t) => TYPE_WORDS[t]).join(' or ');
    const alts = n.oneOf ?? n.anyOf;
    if (alts !== undefined) return alts.map((a) => this.expected(a)).join(' or ');
    return 'a value';
  }

  check(node: SchemaNode, value: unknown, path: FieldPath, out: ValidationIssue[]): void {
    if (node.$ref === DURATION_REF) {
      const problem = durationLimitProblem(value, path);
      if (problem !== undefined) {
        out.push({ path, message: problem });
        return;
      }
    }
    const n = this.resolve(node);
    const alts = n.oneOf ?? n.anyOf;
    if (alts !== undefined) {
      this.checkAlternatives(n, alts, value, path, out);
      return;
    }
    const types = typesOf(n);
    if (types !== undefined && !types.some((t) => typeMatches(t, value))) {
      out.push({ path, message: `got ${describeValue(value)}, expected ${this.expected(n)}` });
      return;
    }
    if (n.const !== undefined && value !== n.const) {
      out.push({ path, message: `got ${describeValue(value)}, expected ${this.expected(n)}` });
      return;
    }
    if (n.enum !== undefined && !n.enum.includes(value as string)) {
      const hint = typeof value === 'string' ? didYouMean(value, n.enum.map(String)) : '';
      out.push({ path, message: `got ${describeValue(value)}${hint}, expected one of: ${n.enum.join(', ')}` });
      return;
    }
    if (typeof value === 'string') this.checkString(n, value, path, out);
    else if (typeof value === 'number') this.checkNumber(n, value, path, out);
    else if (Array.isArray(value)) this.checkArray(n, value, path, out);
    else if (typeof value === 'object' && value !== null) this.checkObject(n, value as Record<string, unknown>, path, out);
  }

  private checkAlternatives(
    n: SchemaNode,
    alts: SchemaNode[],
    value: unknown,
    path: FieldPath,
    out: ValidationIssue[],
  ): void {
    const results = alts.map((alt) => {
      const issues: ValidationIssue[] = [];
      this.check(alt, value, path, issues);
      return issues;
    });
    const passing = results.filter((r) => r.length === 0).length;
    if (passing > 0) return;
    // When exactly one alternative has the value's type, its own (deeper) issues say the most.
    const typed = alts
      .map((alt, i) => ({ types: typesOf(this.resolve(alt)), i }))
      .filter(({ types }) => types !== undefined && types.some((t) => typeMatches(t, value)));
    const only = typed.length === 1 ? results[typed[0]!.i] : undefined;
    const deeper = only?.some((issue) => issue.path.length > path.length) ?? false;
    if (only !== undefined && (deeper || n['x-expected'] === undefined)) {
      out.push(...only);
      return;
    }
    out.push({ path, message: `got ${describeValue(value)}, expected ${this.expected(n)}` });
  }

  private checkString(n: SchemaNode, value: string, path: FieldPath, out: ValidationIssue[]): void {
    if (n.minLength !== undefined && value.length < n.minLength) {
      const want = n['x-expected'] ?? (n.minLength === 1 ? 'a non-empty string' : `at least ${n.minLength} characters`);
      out.push({ path, message: `got ${describeValue(value)}, expected ${want}` });
    } else if (n.pattern !== undefined && !new RegExp(n.pattern, 'u').test(value)) {
      out.push({ path, message: `got ${describeValue(value)}, expected ${n['x-expected'] ?? `a string matching /${n.pattern}/`}` });
    }
  }

  private checkNumber(n: SchemaNode, value: number, path: FieldPath, out: ValidationIssue[]): void {
    const bad =
      (n.minimum !== undefined && value < n.minimum) ||
      (n.maximum !== undefined && value > n.maximum) ||
      (n.exclusiveMinimum !== undefined && value <= n.exclusiveMinimum);
    if (!bad) return;
    const range: string[] = [];
    if (n.minimum !== undefined) range.push(`≥ ${n.minimum}`);
    if (n.exclusiveMinimum !== undefined) range.push(`> ${n.exclusiveMinimum}`);
    if (n.maximum !== undefined) range.push(`≤ ${n.maximum}`);
    const want = n['x-expected'] ?? `a number ${range.join(' and ')}`;
    out.push({ path, message: `got ${describeValue(value)}, expected ${want}` });
  }

  private checkArray(n: SchemaNode, value: unknown[], path: FieldPath, out: ValidationIssue[]): void {
    if (n.minItems !== undefined && value.length < n.minItems) {
      const items = n.minItems === 1 ? 'at least 1 item' : `at least ${n.minItems} items`;
      out.push({ path, message: `got ${value.length === 0 ? 'an empty list' : `${value.length} items`}, expected ${items}` });
    }
    if (n.items !== undefined) {
      for (let i = 0; i < value.length; i++) this.check(n.items, value[i], [...path, i], out);
    }
  }

  private checkObject(n: SchemaNode, value: Record<string, unknown>, path: FieldPath, out: ValidationIssue[]): void {
    const props = n.properties ?? {};
    for (const key of n.required ?? []) {
      if (value[key] === undefined || !Object.hasOwn(value, key)) {
        const want = props[key] ? this.expected(props[key]) : 'a value';
        out.push({ path: [...path, key], message: `missing required field, expected ${want}`, at: 'parent' });
      }
    }
    const known = Object.keys(props);
    for (const [key, v] of Object.entries(value)) {
      const prop = Object.hasOwn(props, key) ? props[key] : undefined;
      if (prop !== undefined) {
        // A key written with no value (`command:`) is null: report it as its own type error.
        this.check(prop, v, [...path, key], out);
      } else if (n.additionalProperties === false) {
        out.push({
          path: [...path, key],
          message: `unknown field${didYouMean(key, known)}, expected one of: ${known.join(', ')}`,
          at: 'key',
        });
      } else if (typeof n.additionalProperties === 'object') {
        this.check(n.additionalProperties, v, [...path, key], out);
      }
    }
  }
}
