import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyCommand, type IdempotencyFlags } from '../../src/cli/commands/idempotency.js';
import { AgentcheckError } from '../../src/errors.js';
import { startLocalTarget, type LocalTarget, type Misbehaviour } from './local-targets.js';

let tmp: string;
let targets: LocalTarget[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'agentcheck-idem-misbehave-'));
});
afterEach(async () => {
  await Promise.all(targets.map((t) => t.close()));
  targets = [];
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The payments spec with `invalidShapes` (the shapes of invalid payload generated). */
function spec(name: string, shapes: string, extra = ''): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `operation:
  path: /charges
  body:
    invalidShapes: ${shapes}
    schema:
      type: object
      required: [orderId, amount, currency]
      properties:
        orderId: { type: string, pattern: "^order-[a-z0-9]{1,8}$" }
        amount: { type: integer, minimum: 1, maximum: 1000000 }
        currency: { type: string, pattern: "^[A-Z]{3}$" }
effects: { probe: { path: /ledger, list: effects, key: key } }
reset: { path: /reset }
expect: { success: [201], payloadMismatch: 422, missingKey: 400, validation: 400 }
${extra}`,
  );
  return file;
}

async function target(misbehave: Misbehaviour): Promise<string> {
  // No de-duplication: duplicate-delivery is violated too, before the payload that breaks the target.
  const t = await startLocalTarget('synchronous-no-dedup', undefined, misbehave);
  targets.push(t);
  return t.url;
}

async function run(flags: Partial<IdempotencyFlags> & { target: string; spec: string; out: string }) {
  const out: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: () => undefined, env: {} };
  let code: number;
  try {
    code = await idempotencyCommand({ runs: 30, seed: 7, format: ['json'], ...flags }, io);
  } catch (err) {
    if (!(err instanceof AgentcheckError)) throw err;
    code = err.exitCode;
    out.push(`error: ${err.message}\n`);
  }
  const report = JSON.parse(readFileSync(join(flags.out, 'report.json'), 'utf8')) as {
    verdict: string;
    checks: { name: string; status: string; reason?: string; details?: { counterexample?: { input: { invalid: unknown } }; replay?: { command?: string } } }[];
  };
  return { code, text: out.join(''), report };
}

const isNull = (body: unknown): boolean => body === null;
const properties: IdempotencyFlags['property'] = ['duplicate-delivery', 'validation-stores-nothing'];

describe('agentcheck idempotency keeps its findings when the target misbehaves', () => {
  it('a connection reset on one payload shape is a shrunk finding with a replay command; earlier findings and the report stay (exit 1)', async () => {
    const url = await target({ on: isNull, then: 'reset' });
    const out = join(tmp, 'reset');
    const r = await run({ target: url, spec: spec('reset', '[null-body, other-body, missing-required]'), out, property: properties });
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/^FAIL +duplicate-delivery +violated: /m);
    expect(r.text).toMatch(/^FAIL +validation-stores-nothing +violated: the target closed the connection on this payload \(ECONNRESET\)/m);
    const validation = r.report.checks.find((c) => c.name.includes('validation-stores-nothing'));
    expect(validation?.status).toBe('fail');
    expect(validation?.details?.counterexample?.input.invalid).toBeNull();
    expect(validation?.details?.replay?.command).toMatch(/--property validation-stores-nothing --seed 7 --path /);
    expect(r.report.checks.find((c) => c.name.includes('duplicate-delivery'))?.status).toBe('fail');
  });

  it('a crash on one payload keeps the finding, runs the other properties as far as they can, and writes the report (exit 1)', async () => {
    const url = await target({ on: isNull, then: 'crash' });
    const out = join(tmp, 'crash');
    const r = await run({ target: url, spec: spec('crash', '[null-body, missing-required]'), out, property: ['validation-stores-nothing', 'duplicate-delivery'] });
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/^FAIL +validation-stores-nothing +violated: the target closed the connection on this payload/m);
    // The property after the crash could not run: it says why, and is not a pass.
    expect(r.text).toMatch(/duplicate-delivery +not run to the end: cannot reach the target: POST .*ECONNREFUSED/);
    expect(r.report.verdict).toBe('fail');
  });

  it('a crash part-way: properties before it keep their verdict, the one it hit fails, the ones after are not passes', async () => {
    const url = await target({ on: isNull, then: 'crash' });
    const out = join(tmp, 'crash-first');
    // missing-key never sends null; validation-stores-nothing with only null-body payloads crashes it at once;
    // response-replay then finds no target: invalid (not a pass), and the verdict is the finding.
    const r = await run({ target: url, spec: spec('crash-first', '[null-body]'), out, property: ['missing-key', 'validation-stores-nothing', 'response-replay'] });
    expect(r.code).toBe(1);
    expect(r.report.checks.map((c) => c.status)).toEqual(['pass', 'fail', 'invalid']);
  });

  it('a target that stops answering with nothing violated: the report is written, then exit 3 naming the cause', async () => {
    const url = await target({ on: isNull, then: 'hang' });
    const out = join(tmp, 'hang');
    const r = await run({ target: url, spec: spec('hang', '[null-body]', 'deliveries: { timeoutMs: 300 }\n'), out, property: ['validation-stores-nothing', 'missing-key'] });
    expect(r.code).toBe(3);
    expect(r.text).toMatch(/validation-stores-nothing +not run to the end: POST .*\/charges did not answer within 300 ms/);
    expect(r.text).toMatch(/^PASS +missing-key/m);
    expect(r.text).toMatch(/^error: POST .* did not answer within 300 ms/m);
    expect(r.report.checks.map((c) => c.status)).toEqual(['invalid', 'pass']);
  });

  it('a spec that leaves null out of its invalid shapes never sends it: the same target passes', async () => {
    const url = await target({ on: isNull, then: 'reset' });
    const out = join(tmp, 'narrowed');
    const r = await run({ target: url, spec: spec('narrowed', '[missing-required, wrong-property, other-body]'), out, property: ['validation-stores-nothing'] });
    expect(r.text).toMatch(/^PASS +validation-stores-nothing +held in 30 runs/m);
    expect(r.code).toBe(0);
  });
});
