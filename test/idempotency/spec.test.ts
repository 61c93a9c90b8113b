import { describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { loadIdempotencySpec, parseIdempotencySpec } from '../../src/idempotency/spec.js';

function problems(text: string): string {
  try {
    parseIdempotencySpec(text, 'spec.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(AgentcheckError);
    expect((e as AgentcheckError).exitCode).toBe(2);
    return (e as AgentcheckError).message;
  }
  throw new Error('expected the spec to be rejected');
}

const minimal = `operation:
  path: /charges
  body:
    examples: [{ orderId: o-1, amount: 5, currency: EUR }]
effects:
  probe: /ledger
`;

describe('idempotency spec', () => {
  it('loads the example payments spec with its defaults filled in', async () => {
    const spec = await loadIdempotencySpec('scenarios/idempotency/payments.yaml');
    expect(spec.operation).toMatchObject({ method: 'POST', path: '/charges', keyHeader: 'Idempotency-Key' });
    expect(spec.effects).toEqual({ kind: 'probe', method: 'GET', path: '/ledger', list: 'effects', key: 'key' });
    expect(spec.reset).toEqual({ method: 'POST', path: '/reset' });
    expect(spec.expect).toEqual({
      success: [201],
      conflict: 409,
      payloadMismatch: 422,
      missingKey: 400,
      validation: 400,
      replayIgnore: [],
      concurrency: 'conflict',
    });
    expect(spec.properties).toEqual([
      'duplicate-delivery',
      'response-replay',
      'key-payload-binding',
      'concurrent-duplicates',
      'missing-key',
      'validation-stores-nothing',
    ]);
    expect(spec.deliveries).toEqual({ maxDuplicates: 4, concurrency: 3, timeoutMs: 5000 });
  });

  it('fills defaults for a minimal spec, and a JSON spec parses the same way', () => {
    const spec = parseIdempotencySpec(minimal, 'spec.yaml');
    expect(spec.effects).toEqual({ kind: 'probe', method: 'GET', path: '/ledger', list: '', key: 'key' });
    expect(spec.expect.missingKey).toBe(400);
    const json = JSON.stringify({ operation: { path: '/charges', body: { examples: [{ a: 1 }] } }, effects: { probe: '/ledger' } }, null, 2);
    expect(parseIdempotencySpec(json, 'spec.json').operation.body.examples).toEqual([{ a: 1 }]);
  });

  it('drops missing-key when the key is optional', () => {
    const spec = parseIdempotencySpec(`${minimal}expect: { missingKey: false }\n`, 'spec.yaml');
    expect(spec.properties).not.toContain('missing-key');
    expect(spec.expect.missingKey).toBeUndefined();
  });

  it('reports YAML syntax errors with file:line:col', () => {
    expect(problems('operation:\n  path: /x\n  body: [1, 2\n')).toMatch(/^invalid spec:\nspec\.yaml:\d+:\d+: /);
    expect(problems('a: 1\na: 2\n')).toMatch(/spec\.yaml:2:1: Map keys must be unique/);
  });

  it('points at the exact line and column of each problem', () => {
    const text = `operation:
  method: FETCH
  path: charges
  body:
    schema:
      type: object
      properties:
        amount: { type: integer, multipleOf: 5 }
effects:
  probe: { path: /ledger, colour: red }
expect:
  conflict: 999
properties: [duplicate-delivery, expiry, bogus]
deliveries: { concurrency: 1 }
`;
    const msg = problems(text);
    expect(msg).toMatch(/^invalid spec \(8 problems\):/);
    expect(msg).toContain("spec.yaml:2:11: method must be one of GET, POST, PUT, PATCH, DELETE, got \"FETCH\" (operation.method)");
    expect(msg).toContain("spec.yaml:3:9: operation.path must start with '/', got \"charges\" (operation.path)");
    expect(msg).toContain("spec.yaml:8:34: unsupported schema keyword 'multipleOf'");
    expect(msg).toContain("spec.yaml:10:27: unknown field 'colour' (expected one of: method, path, list, key) (effects.probe.colour)");
    expect(msg).toContain('spec.yaml:12:13: conflict must be an integer between 100 and 599, got 999 (expect.conflict)');
    expect(msg).toContain('spec.yaml:13:34: expiry needs an injected clock or declared operations: use the in-process checkIdempotency() for it');
    expect(msg).toContain('spec.yaml:13:42: unknown property "bogus"');
    expect(msg).toContain('spec.yaml:14:28: concurrency must be an integer between 2 and 64, got 1 (deliveries.concurrency)');
  });

  it('reports missing sections at their parent, and examples that break the schema', () => {
    const msg = problems(`operation:
  path: /charges
  body:
    schema: { type: object, required: [amount], properties: { amount: { type: integer, minimum: 1 } } }
    examples:
      - { amount: 0 }
    invalidExamples:
      - { amount: 3 }
`);
    expect(msg).toContain('spec.yaml:1:1: effects is required');
    expect(msg).toContain('spec.yaml:6:9: example does not match the schema: body.amount must be ≥ 1 (operation.body.examples.0)');
    expect(msg).toContain('spec.yaml:8:9: this invalid example is valid against the schema');
  });

  it('needs exactly one effects source', () => {
    expect(problems(`${minimal.replace('  probe: /ledger\n', '  probe: /ledger\n  command: cat ledger.json\n')}`)).toMatch(
      /spec\.yaml:5:1: effects needs exactly one of probe or command/,
    );
  });

  it('is a usage error (exit 2) when the file cannot be read', async () => {
    const err = await loadIdempotencySpec('no/such/spec.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(2);
    expect((err as AgentcheckError).message).toMatch(/cannot read spec file no\/such\/spec\.yaml: ENOENT/);
  });
});
