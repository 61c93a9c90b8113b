import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbitraryFromSchema,
  checkSchema,
  invalidArbitraryFromSchema,
  schemaErrors,
  type JsonSchema,
} from '../../src/idempotency/json-schema.js';

const schemas: Record<string, JsonSchema> = {
  charge: {
    type: 'object',
    required: ['orderId', 'amount', 'currency'],
    properties: {
      orderId: { type: 'string', pattern: '^order-[a-z0-9]{1,8}$' },
      amount: { type: 'integer', minimum: 1, maximum: 1000000 },
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    },
  },
  order: {
    type: 'object',
    required: ['orderId', 'items'],
    additionalProperties: false,
    properties: {
      orderId: { type: 'string', format: 'uuid' },
      items: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'object', required: ['sku', 'qty'], properties: { sku: { enum: ['a', 'b'] }, qty: { type: 'integer', exclusiveMinimum: 0, maximum: 9 } } } },
      note: { type: ['string', 'null'], maxLength: 5 },
      at: { type: 'string', format: 'date-time' },
      price: { type: 'number', minimum: 0.5, exclusiveMaximum: 10 },
      kind: { anyOf: [{ const: 'x' }, { type: 'boolean' }] },
    },
  },
};

describe('JSON Schema subset', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: every generated value is valid, every invalid one is invalid`, () => {
      expect(checkSchema(schema)).toEqual([]);
      fc.assert(fc.property(arbitraryFromSchema(schema), (v) => schemaErrors(v, schema).length === 0), { numRuns: 300, seed: 1 });
      const invalid = invalidArbitraryFromSchema(schema);
      expect(invalid).toBeDefined();
      fc.assert(fc.property(invalid as fc.Arbitrary<unknown>, (v) => schemaErrors(v, schema).length > 0), { numRuns: 300, seed: 2 });
    });
  }

  it('explains what is wrong, with the path', () => {
    const s = schemas.order as JsonSchema;
    expect(schemaErrors({ orderId: 'nope', items: [{ sku: 'c', qty: 0 }], extra: 1 }, s)).toEqual([
      'body.orderId must be a uuid',
      'body.items[0].sku must be one of ["a","b"]',
      'body.items[0].qty must be > 0',
      'body.extra is not allowed',
    ]);
    expect(schemaErrors('x', s)).toEqual(['body must be of type object, got string']);
    expect(schemaErrors({ amount: 1.5 }, { properties: { amount: { type: 'integer' } } })).toEqual(['body.amount must be of type integer, got number']);
  });

  it('generates each kind of invalid value (missing field, out of range, wrong pattern)', () => {
    const invalid = invalidArbitraryFromSchema(schemas.charge as JsonSchema) as fc.Arbitrary<unknown>;
    const reasons = new Set(
      fc.sample(invalid, { numRuns: 400, seed: 3 }).flatMap((v) => schemaErrors(v, schemas.charge as JsonSchema).map((e) => e.replace(/body\.\w+/, 'F'))),
    );
    expect(reasons).toContain('F is required');
    expect(reasons).toContain('F must be ≥ 1');
    expect(reasons).toContain('F must be ≤ 1000000');
    expect(reasons).toContain('F must match /^[A-Z]{3}$/');
  });

  it('refuses what it does not support, naming the keyword and where', () => {
    expect(checkSchema({ type: 'object', properties: { a: { type: 'string', format: 'hostname' } }, required: ['b'], $ref: '#/x' })).toEqual([
      { path: ['properties', 'a', 'format'], message: 'format must be one of uuid, email, date-time, date, got "hostname"', atKey: false },
      { path: ['required', 0], message: "required property 'b' has no schema under properties", atKey: false },
      expect.objectContaining({ path: ['$ref'], atKey: true }),
    ]);
    expect(checkSchema({ type: 'integer', minimum: 5, maximum: 1 })[0]?.message).toMatch(/numeric range is empty/);
    expect(checkSchema({ pattern: '(' })[0]?.message).toMatch(/not a valid regular expression/);
  });

  it('shrinks generated values toward the smallest valid one', () => {
    const r = fc.check(
      fc.property(arbitraryFromSchema(schemas.charge as JsonSchema), () => false),
      { seed: 4 },
    );
    expect(r.counterexample?.[0]).toMatchObject({ amount: 1 });
  });
});
