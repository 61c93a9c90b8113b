import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { checkHttpIdempotency } from '../../src/idempotency/black-box.js';
import { loadIdempotencySpec, parseIdempotencySpec, type IdempotencySpec } from '../../src/idempotency/spec.js';
import type { IdempotencyCheckResult, PropertyOutcome } from '../../src/idempotency/types.js';
import { startTeamAgent, type PaymentsMode, type StartedTeamAgent } from '../team/helpers.js';
import { startLocalTarget, type LocalTarget } from './local-targets.js';

const RUNS = 30;
const modes: PaymentsMode[] = ['correct', 'no-dedup', 'store-before-validate', 'ignore-payload'];
const agents = new Map<PaymentsMode, StartedTeamAgent>();
const locals: LocalTarget[] = [];
let spec: IdempotencySpec;
let tmp: string;

beforeAll(async () => {
  spec = await loadIdempotencySpec('scenarios/idempotency/payments.yaml');
  tmp = mkdtempSync(join(tmpdir(), 'agentcheck-idem-'));
  const started = await Promise.all(modes.map((mode) => startTeamAgent('payments', { args: ['--mode', mode] })));
  modes.forEach((m, i) => agents.set(m, started[i] as StartedTeamAgent));
});

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop()));
  await Promise.all(locals.map((l) => l.close()));
  rmSync(tmp, { recursive: true, force: true });
});

function url(mode: PaymentsMode): string {
  return (agents.get(mode) as StartedTeamAgent).url;
}

function outcome(r: IdempotencyCheckResult, name: string): PropertyOutcome {
  const o = r.properties.find((p) => p.property === name);
  if (!o) throw new Error(`no outcome for ${name}`);
  return o;
}

async function local(mode: Parameters<typeof startLocalTarget>[0], ledgerFile?: string): Promise<string> {
  const t = await startLocalTarget(mode, ledgerFile);
  locals.push(t);
  return t.url;
}

describe('checkHttpIdempotency against the reference payments agent', () => {
  it('the correct agent passes every property, each one exercised', async () => {
    const r = await checkHttpIdempotency(spec, { target: url('correct'), runs: RUNS, seed: 1 });
    expect(r.properties.map((p) => [p.property, p.status])).toEqual(spec.properties.map((p) => [p, 'passed']));
    expect(r.status).toBe('passed');
    for (const p of r.properties) expect(p.exercisedRuns).toBeGreaterThan(0);
    // Concurrent copies really overlapped at least once: the agent answered 409 to a loser.
    expect(outcome(r, 'concurrent-duplicates').exercisedRuns).toBeGreaterThanOrEqual(1);
  });

  it('no-dedup fails duplicate delivery with a minimal counterexample and a replay command', async () => {
    const r = await checkHttpIdempotency(spec, {
      target: url('no-dedup'),
      runs: RUNS,
      seed: 2,
      properties: ['duplicate-delivery'],
      replayCommand: (p, s, path) => `agentcheck idempotency --property ${p} --seed ${s} --path ${path}`,
    });
    const o = outcome(r, 'duplicate-delivery');
    expect(o.status).toBe('failed');
    expect(r.status).toBe('failed');
    expect(o.counterexample?.message).toBe('2 deliveries of one request left 2 effects for its key (1 after the first delivery)');
    // Shrunk: two deliveries, the smallest amount, the shortest orderId the pattern allows.
    const input = o.counterexample?.input as { payload: { orderId: string; amount: number; currency: string }; deliveries: number };
    expect(input.deliveries).toBe(2);
    expect(input.payload.amount).toBe(1);
    expect(input.payload.orderId).toMatch(/^order-[a-z0-9]$/);
    expect(o.replay.command).toBe(`agentcheck idempotency --property duplicate-delivery --seed 2 --path ${o.replay.path}`);
    const observed = o.counterexample?.observed as { effectsAfterAll: unknown[]; replies: { status: number }[] };
    expect(observed.effectsAfterAll).toHaveLength(2);
    expect(observed.replies.map((x) => x.status)).toEqual([201, 201]);
  });

  it('replays the counterexample from its seed and path', async () => {
    const first = await checkHttpIdempotency(spec, { target: url('no-dedup'), runs: RUNS, seed: 3, properties: ['concurrent-duplicates'] });
    const o = outcome(first, 'concurrent-duplicates');
    expect(o.status).toBe('failed');
    const again = await checkHttpIdempotency(spec, {
      target: url('no-dedup'),
      seed: o.replay.seed,
      path: o.replay.path as string,
      properties: ['concurrent-duplicates'],
    });
    const p = outcome(again, 'concurrent-duplicates');
    expect(p.status).toBe('failed');
    expect(p.runs).toBe(1);
    expect(p.counterexample?.input).toEqual(o.counterexample?.input);
  });

  it('store-before-validate fails the validation property and only that one', async () => {
    const r = await checkHttpIdempotency(spec, { target: url('store-before-validate'), runs: RUNS, seed: 4 });
    const failed = r.properties.filter((p) => p.status === 'failed').map((p) => p.property);
    expect(failed).toEqual(['validation-stores-nothing']);
    expect(outcome(r, 'validation-stores-nothing').counterexample?.message).toMatch(
      /^after a validation failure, a valid retry with the same key answered 422 .*: the failure was stored$/,
    );
  });

  it('ignore-payload fails key-payload binding and only that one', async () => {
    const r = await checkHttpIdempotency(spec, { target: url('ignore-payload'), runs: RUNS, seed: 5 });
    const failed = r.properties.filter((p) => p.status === 'failed').map((p) => p.property);
    expect(failed).toEqual(['key-payload-binding']);
    const o = outcome(r, 'key-payload-binding');
    expect(o.counterexample?.message).toMatch(/^the same key with a different payload answered 201 .*; expected 422$/);
    const [a, b] = o.counterexample?.input as [unknown, unknown];
    expect(a).not.toEqual(b);
  });

  it('honours a configured mismatch status: expecting 409 for key reuse makes the correct agent fail', async () => {
    const custom = { ...spec, expect: { ...spec.expect, payloadMismatch: 409 } };
    const r = await checkHttpIdempotency(custom, { target: url('correct'), runs: 10, seed: 6, properties: ['key-payload-binding'] });
    expect(outcome(r, 'key-payload-binding').counterexample?.message).toMatch(/answered 422 .*; expected 409/);
  });
});

describe('no empty passes', () => {
  it('a target that never processes a request leaves duplicate delivery not-exercised, never passed', async () => {
    const target = await local('always-unavailable');
    const r = await checkHttpIdempotency(spec, {
      target,
      runs: 20,
      seed: 7,
      properties: ['duplicate-delivery', 'response-replay', 'key-payload-binding'],
    });
    expect(r.properties.map((p) => p.status)).toEqual(['not-exercised', 'not-exercised', 'not-exercised']);
    expect(outcome(r, 'duplicate-delivery').summary).toMatch(/no duplicate of a processed request was delivered/);
    expect(r.status).toBe('not-exercised');
    expect(r.ok).toBe(false);
  });

  it('a target that handles copies one after another leaves concurrency not-exercised', async () => {
    const target = await local('synchronous');
    const r = await checkHttpIdempotency(spec, { target, runs: 20, seed: 8, properties: ['duplicate-delivery', 'concurrent-duplicates'] });
    expect(outcome(r, 'duplicate-delivery').status).toBe('passed');
    const c = outcome(r, 'concurrent-duplicates');
    expect(c.status).toBe('not-exercised');
    expect(c.exercisedRuns).toBe(0);
    expect(c.summary).toMatch(/never answered 409/);
  });

  it('with expect.concurrency single-effect, copies that overlapped on the wire count, and a double charge still fails', async () => {
    const lenient = { ...spec, expect: { ...spec.expect, concurrency: 'single-effect' as const } };
    const ok = await checkHttpIdempotency(lenient, { target: await local('synchronous'), runs: 20, seed: 8, properties: ['concurrent-duplicates'] });
    const c = outcome(ok, 'concurrent-duplicates');
    expect(c.status).toBe('passed');
    expect(c.exercisedRuns).toBeGreaterThan(0);
    const bad = await checkHttpIdempotency(lenient, { target: url('no-dedup'), runs: 20, seed: 8, properties: ['concurrent-duplicates'] });
    expect(outcome(bad, 'concurrent-duplicates').status).toBe('failed');
  });

  it('says why key-payload binding cannot run with a single example', async () => {
    const one = parseIdempotencySpec(
      `operation: { path: /charges, body: { examples: [{ orderId: order-1, amount: 5, currency: EUR }] } }
effects: { probe: { path: /ledger, list: effects } }
reset: /reset
properties: [key-payload-binding, validation-stores-nothing]
`,
      'one.yaml',
    );
    const r = await checkHttpIdempotency(one, { target: url('correct'), runs: 5, seed: 9 });
    expect(outcome(r, 'key-payload-binding').summary).toMatch(/only one payload can be generated/);
    expect(outcome(r, 'validation-stores-nothing').summary).toMatch(/no invalid payloads/);
    expect(r.status).toBe('not-exercised');
  });
});

describe('effects from a command, errors from the environment', () => {
  it('reads effects from a command printing JSON, and catches a double charge through it', async () => {
    const specFor = () => parseIdempotencySpec(
      `operation:
  path: /charges
  body:
    examples:
      - { orderId: order-1, amount: 5, currency: EUR }
      - { orderId: order-2, amount: 7, currency: EUR }
effects:
  command: { run: "cat ledger.json", list: effects, key: key }
reset: /reset
properties: [duplicate-delivery, key-payload-binding]
`,
      'cmd.yaml',
      tmp,
    );
    const good = await local('synchronous', join(tmp, 'ledger.json'));
    const ok = await checkHttpIdempotency(specFor(), { target: good, runs: 5, seed: 10 });
    expect(ok.status).toBe('passed');
    const bad = await local('synchronous-no-dedup', join(tmp, 'ledger.json'));
    const caught = await checkHttpIdempotency(specFor(), { target: bad, runs: 5, seed: 10, properties: ['duplicate-delivery'] });
    expect(outcome(caught, 'duplicate-delivery').counterexample?.message).toBe(
      '2 deliveries of one request left 2 effects for its key (1 after the first delivery)',
    );
  });

  it('an unreachable target is an environment error (exit 3), not a violation', async () => {
    const gone = await startLocalTarget('synchronous');
    const deadUrl = gone.url;
    await gone.close();
    const err = await checkHttpIdempotency(spec, { target: deadUrl, runs: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(3);
    expect((err as AgentcheckError).message).toMatch(/cannot reach the target: POST .*\/reset failed \(ECONNREFUSED\)/);
  });

  it('a probe that does not return the list the spec names is a config error (exit 2)', async () => {
    const wrong = { ...spec, effects: { ...spec.effects, list: 'charges' } } as IdempotencySpec;
    const err = await checkHttpIdempotency(wrong, { target: url('correct'), runs: 5 }).catch((e: unknown) => e);
    expect((err as AgentcheckError).exitCode).toBe(2);
    expect((err as AgentcheckError).message).toMatch(/no list of effects at 'charges'/);
  });
});
