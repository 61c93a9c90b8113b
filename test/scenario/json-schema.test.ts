import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../src/scenario/json-schema.js';
import { scenarioSchema, type SchemaNode } from '../../src/scenario/schema.js';
import { validateAgainstSchema } from '../../src/scenario/validate-schema.js';

const repo = path.resolve(import.meta.dirname, '../..');

function walk(node: SchemaNode, visit: (n: SchemaNode, where: string) => void, where = '#'): void {
  visit(node, where);
  for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, visit, `${where}/properties/${k}`);
  for (const [k, v] of Object.entries(node.$defs ?? {})) walk(v, visit, `${where}/$defs/${k}`);
  if (node.items) walk(node.items, visit, `${where}/items`);
  if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, visit, `${where}/additionalProperties`);
  (node.oneOf ?? node.anyOf ?? []).forEach((alt, i) => walk(alt, visit, `${where}/${node.oneOf ? 'oneOf' : 'anyOf'}/${i}`));
}

describe('schema/scenario.schema.json', () => {
  it('is exactly the schema generated from src/scenario/schema.ts (regenerate: agentcheck scenario schema > schema/scenario.schema.json)', async () => {
    const committed = await readFile(path.join(repo, 'schema/scenario.schema.json'), 'utf8');
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('carries no private keywords and every $ref resolves', () => {
    const schema = scenarioJsonSchema();
    expect(JSON.stringify(schema)).not.toContain('x-expected');
    walk(schema, (n, where) => {
      if (n.$ref !== undefined) {
        const name = n.$ref.replace('#/$defs/', '');
        expect(schema.$defs?.[name], `${where} → ${n.$ref}`).toBeDefined();
      }
    });
  });

  it('describes every property for editor completion', () => {
    const missing: string[] = [];
    walk(scenarioSchema, (n, where) => {
      for (const [k, v] of Object.entries(n.properties ?? {})) {
        const target = v.$ref ? scenarioSchema.$defs?.[v.$ref.replace('#/$defs/', '')] : undefined;
        if (!v.description && !target?.description) missing.push(`${where}/properties/${k}`);
      }
    });
    expect(missing).toEqual([]);
  });

  it('drives the validator: keyword by keyword', () => {
    const schema: SchemaNode = {
      type: 'object',
      required: ['n'],
      additionalProperties: false,
      properties: {
        n: { type: 'integer', minimum: 1, maximum: 3 },
        s: { type: 'string', pattern: '^a', minLength: 2 },
        e: { enum: ['x', 'y'] },
        l: { type: 'array', minItems: 1, items: { type: 'boolean' } },
        c: { const: true },
        o: { oneOf: [{ type: 'string' }, { type: 'number', exclusiveMinimum: 0 }] },
      },
    };
    const messages = (v: unknown) => validateAgainstSchema(v, schema).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages({ n: 2, s: 'ab', e: 'x', l: [true], c: true, o: 'z' })).toEqual([]);
    expect(messages({ n: 2, o: 5 })).toEqual([]);
    expect(messages({})).toEqual(['n: missing required field, expected an integer']);
    expect(messages({ n: 1.5 })).toEqual(['n: got 1.5, expected an integer']);
    expect(messages({ n: 4 })).toEqual(['n: got 4, expected a number ≥ 1 and ≤ 3']);
    expect(messages({ n: 1, s: 'b' })).toEqual(['s: got "b", expected at least 2 characters']);
    expect(messages({ n: 1, s: 'bc' })).toEqual(['s: got "bc", expected a string matching /^a/']);
    expect(messages({ n: 1, e: 'z' })).toEqual(['e: got "z", expected one of: x, y']);
    expect(messages({ n: 1, l: [] })).toEqual(['l: got an empty list, expected at least 1 item']);
    expect(messages({ n: 1, l: [1] })).toEqual(['l.0: got 1, expected true or false']);
    expect(messages({ n: 1, c: false })).toEqual(['c: got false, expected true']);
    expect(messages({ n: 1, o: -1 })).toEqual(['o: got -1, expected a number > 0']);
    expect(messages({ n: 1, o: [] })).toEqual(['o: got a list, expected a string or a number']);
    expect(messages({ n: 1, m: 1 })).toEqual(['m: unknown field, expected one of: n, s, e, l, c, o']);
    expect(messages([])).toEqual([': got a list, expected a map']);
  });
});
