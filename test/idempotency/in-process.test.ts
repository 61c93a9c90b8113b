import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertIdempotent,
  checkIdempotency,
  IdempotencyAssertionError,
  type IdempotentSystem,
} from '../../src/idempotency/in-process.js';
import type { PropertyOutcome } from '../../src/idempotency/types.js';
import { chargeSchema, payments, type Charge } from './fixtures.js';

const RUNS = 60;

function outcome(result: { properties: PropertyOutcome[] }, name: string): PropertyOutcome {
  const o = result.properties.find((p) => p.property === name);
  if (!o) throw new Error(`no outcome for ${name}`);
  return o;
}

describe('checkIdempotency (in-process)', () => {
  it('passes every property on the correct handler, each one really exercised', async () => {
    const r = await checkIdempotency(payments('correct', { ttlMs: 1000 }), {
      payload: chargeSchema,
      ttlMs: 1000,
      commutative: true,
      // Charge ids come from a counter, so delivery order renames them; the charges themselves commute.
      normalize: { effect: ({ chargeId: _id, ...rest }) => rest },
      runs: RUNS,
      seed: 1,
    });
    const statuses = Object.fromEntries(r.properties.map((p) => [p.property, p.status]));
    expect(statuses).toEqual({
      'duplicate-delivery': 'passed',
      'response-replay': 'passed',
      'key-payload-binding': 'passed',
      'concurrent-duplicates': 'passed',
      'missing-key': 'passed',
      'validation-stores-nothing': 'passed',
      expiry: 'passed',
      commutativity: 'passed',
    });
    expect(r.ok).toBe(true);
    expect(r.status).toBe('passed');
    for (const p of r.properties) expect(p.exercisedRuns).toBeGreaterThan(0);
  });

  it('fails duplicate delivery on the non-de-duplicating handler with a minimal counterexample', async () => {
    const r = await checkIdempotency(payments('no-dedup'), {
      payload: chargeSchema,
      properties: ['duplicate-delivery'],
      runs: RUNS,
      seed: 2,
    });
    const o = outcome(r, 'duplicate-delivery');
    expect(o.status).toBe('failed');
    expect(r.status).toBe('failed');
    // Shrunk to one message delivered twice, with the smallest payload the schema allows.
    const input = o.counterexample?.input as { payload: Charge; offsets: number[] }[];
    expect(input).toHaveLength(1);
    expect(input[0]?.offsets).toEqual([0]);
    expect(input[0]?.payload.amount).toBe(1);
    expect(o.counterexample?.message).toMatch(/key-0: 2 effects vs 1/);
    expect(o.replay.path).toMatch(/^\d+(:\d+)*$/);
  });

  it('replays a failure from its seed and path', async () => {
    const first = await checkIdempotency(payments('no-dedup'), {
      payload: chargeSchema,
      properties: ['response-replay'],
      runs: RUNS,
      seed: 3,
    });
    const o = outcome(first, 'response-replay');
    expect(o.status).toBe('failed');
    const again = await checkIdempotency(payments('no-dedup'), {
      payload: chargeSchema,
      properties: ['response-replay'],
      seed: o.replay.seed,
      path: o.replay.path as string,
    });
    const p = outcome(again, 'response-replay');
    expect(p.status).toBe('failed');
    expect(p.counterexample?.input).toEqual(o.counterexample?.input);
    expect(p.runs).toBe(1);
  });

  it('catches the check-then-act race only under concurrency (the scheduler finds the interleaving)', async () => {
    const r = await checkIdempotency(payments('check-then-act'), {
      payload: chargeSchema,
      properties: ['duplicate-delivery', 'concurrent-duplicates'],
      runs: RUNS,
      seed: 4,
    });
    expect(outcome(r, 'duplicate-delivery').status).toBe('passed');
    const c = outcome(r, 'concurrent-duplicates');
    expect(c.status).toBe('failed');
    expect(c.counterexample?.message).toMatch(/2 concurrent deliveries left 2 effects/);
    expect((c.counterexample?.input as { copies: number }).copies).toBe(2);
    expect(JSON.stringify(c.counterexample?.observed)).toMatch(/schedulerFor/);
    // The reported input carries the interleaving as fast-check renders it, not an object dump.
    expect((c.counterexample?.input as { scheduler: string }).scheduler).toMatch(/^schedulerFor\(\)`/);
    expect(c.summary).not.toMatch(/taskSelector/);
  });

  it('fails key-payload binding when a reused key replays whatever the payload', async () => {
    const r = await checkIdempotency(payments('ignore-payload'), {
      payload: chargeSchema,
      properties: ['key-payload-binding', 'duplicate-delivery'],
      runs: RUNS,
      seed: 5,
    });
    const o = outcome(r, 'key-payload-binding');
    expect(o.status).toBe('failed');
    expect(o.counterexample?.message).toMatch(/different payload answered 201 .*expected 422/);
    expect(outcome(r, 'duplicate-delivery').status).toBe('passed');
  });

  it('fails the validation property when the handler stores the response before validating', async () => {
    const r = await checkIdempotency(payments('store-before-validate'), {
      payload: chargeSchema,
      properties: ['validation-stores-nothing'],
      runs: RUNS,
      seed: 6,
    });
    const o = outcome(r, 'validation-stores-nothing');
    expect(o.status).toBe('failed');
    // The stored key is visible in the handler's state, so the burnt key is caught before the retry.
    expect(o.counterexample?.message).toBe('a rejected invalid payload still changed the state or effects');
    expect(JSON.stringify(o.counterexample?.observed)).toMatch(/"stateAfterTest":\{"charges":0,"keys":\["key-0"\]\}/);
  });

  it('without a state view, catches the burnt key on the valid retry', async () => {
    const withoutState = (env: Parameters<ReturnType<typeof payments>>[0]) => {
      const { state: _state, ...rest } = payments('store-before-validate')(env);
      return rest;
    };
    const r = await checkIdempotency(withoutState, {
      payload: chargeSchema,
      properties: ['validation-stores-nothing'],
      runs: RUNS,
      seed: 6,
    });
    const o = outcome(r, 'validation-stores-nothing');
    expect(o.status).toBe('failed');
    expect(o.counterexample?.message).toMatch(/valid retry with the same key answered 422 .*the failure was stored/);
  });

  it('fails expiry when keys never expire, on the injected clock', async () => {
    const r = await checkIdempotency(payments('correct'), {
      payload: chargeSchema,
      properties: ['expiry'],
      ttlMs: 500,
      runs: 20,
      seed: 7,
    });
    const o = outcome(r, 'expiry');
    expect(o.status).toBe('failed');
    expect(o.counterexample?.message).toMatch(/the key was not new/);
    // Shrinking pushes the late delivery to just past the TTL.
    expect((o.counterexample?.input as { after: number }).after).toBe(501);
  });

  it('fails commutativity when the order of operations declared commutative changes the outcome', async () => {
    // A register that keeps the last value written: "set" operations do not commute.
    const register = (): IdempotentSystem<number> => {
      let value = 0;
      const seen = new Set<string>();
      return {
        handle: ({ key, payload }) => {
          if (key === undefined) return { status: 400 };
          if (!seen.has(key)) {
            seen.add(key);
            value = payload;
          }
          return { status: 200, body: { ok: true } };
        },
        effects: () => [],
        state: () => value,
      };
    };
    const bad = await checkIdempotency(register, { payload: fc.integer({ min: 0, max: 9 }), commutative: true, properties: ['commutativity'], runs: RUNS, seed: 8 });
    expect(outcome(bad, 'commutativity').status).toBe('failed');
    // Declared non-commuting for different values, the same register passes: only equal writes move.
    const ok = await checkIdempotency(register, {
      payload: fc.integer({ min: 0, max: 2 }),
      commutative: (a, b) => a === b,
      properties: ['commutativity'],
      runs: RUNS,
      seed: 8,
    });
    expect(outcome(ok, 'commutativity').status).toBe('passed');
  });

  it('reports not-exercised, never a pass, when nothing was duplicated or nothing overlapped', async () => {
    const r = await checkIdempotency(payments('synchronous'), {
      payload: chargeSchema,
      properties: ['duplicate-delivery', 'concurrent-duplicates'],
      maxCopies: 1,
      runs: 30,
      seed: 9,
    });
    const dup = outcome(r, 'duplicate-delivery');
    expect(dup.status).toBe('not-exercised');
    expect(dup.summary).toMatch(/nothing was ever duplicated/);
    const conc = outcome(r, 'concurrent-duplicates');
    expect(conc.status).toBe('not-exercised');
    expect(conc.summary).toMatch(/never .*pause|same time/);
    expect(r.status).toBe('not-exercised');
    expect(r.ok).toBe(false);
  });

  it('says why key-payload binding cannot be tested with a single possible payload', async () => {
    const r = await checkIdempotency(payments('correct'), {
      payload: fc.constant({ orderId: 'o-1', amount: 5, currency: 'EUR' }),
      properties: ['key-payload-binding'],
      runs: 10,
      seed: 10,
    });
    expect(outcome(r, 'key-payload-binding').status).toBe('not-exercised');
  });

  it('assertIdempotent throws the details on failure and resolves them on success', async () => {
    const err = await assertIdempotent(payments('no-dedup'), {
      payload: chargeSchema,
      properties: ['duplicate-delivery'],
      runs: 30,
      seed: 11,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyAssertionError);
    const e = err as IdempotencyAssertionError;
    expect(e.details.status).toBe('failed');
    expect(e.message).toMatch(/duplicate-delivery: violated/);
    expect(e.message).toMatch(/replay: \{ seed: 11, path: '/);
    const fine = await assertIdempotent(payments('correct'), { payload: chargeSchema, properties: ['missing-key'], runs: 10, seed: 12 });
    expect(fine.ok).toBe(true);
  });

  it('rejects a schema outside the supported subset with a clear message', async () => {
    await expect(
      checkIdempotency(payments('correct'), { payload: { type: 'object', patternProperties: {} }, runs: 1 }),
    ).rejects.toThrow(/unsupported schema keyword 'patternProperties'/);
  });
});
