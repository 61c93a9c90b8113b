import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, startTeamAgent, stopAllTeamAgents, TEAM_DIR, type PaymentsMode, type StartedTeamAgent } from './helpers.js';

// Every idempotency rule of API.md, run against every payments variant. Each variant must break
// exactly the rules its one bug breaks and keep all the others: that is what makes them useful
// targets for agentcheck's checkers.
const DELAY_MS = 150; // long enough that two concurrent deliveries overlap on a busy machine

type Rule =
  | 'missingKey'
  | 'invalidBodyStoresNothing'
  | 'firstCharge'
  | 'contractChargeId'
  | 'duplicateDelivery'
  | 'replay'
  | 'keyPayloadBinding'
  | 'concurrentDuplicates';

type RuleCheck = (url: string) => Promise<string | null>; // null = rule holds, else why not

let seq = 0;
const fresh = (label: string) => `${label}-${++seq}`;
const charge = (orderId: string, amount = 500) => ({ orderId, amount, currency: 'EUR' });
const ledger = async (url: string) => (await getJson(`${url}/ledger`)).body.effects as Array<Record<string, unknown>>;
const effectsFor = async (url: string, orderId: string) => (await ledger(url)).filter((e) => e.orderId === orderId);

const rules: Record<Rule, RuleCheck> = {
  async missingKey(url) {
    const orderId = fresh('nokey');
    const r = await postJson(`${url}/charges`, charge(orderId));
    if (r.status !== 400 || r.body.error !== 'missing Idempotency-Key') return `got ${r.status} ${JSON.stringify(r.body)}`;
    return (await effectsFor(url, orderId)).length === 0 ? null : 'charged without a key';
  },
  async invalidBodyStoresNothing(url) {
    const key = fresh('k');
    const orderId = fresh('inv');
    const bad = await postJson(`${url}/charges`, { orderId, amount: -5, currency: 'EUR' }, { 'idempotency-key': key });
    if (bad.status !== 400 || typeof bad.body.error !== 'string') return `invalid body got ${bad.status}`;
    const good = await postJson(`${url}/charges`, charge(orderId), { 'idempotency-key': key });
    if (good.status !== 201) return `retry after a validation error got ${good.status} ${JSON.stringify(good.body)}`;
    return (await effectsFor(url, orderId)).length === 1 ? null : 'retry did not charge exactly once';
  },
  async firstCharge(url) {
    const orderId = fresh('first');
    const r = await postJson(`${url}/charges`, charge(orderId, 777), { 'idempotency-key': fresh('k') });
    if (r.status !== 201) return `got ${r.status}`;
    if (r.body.orderId !== orderId || r.body.amount !== 777 || r.body.currency !== 'EUR' || r.body.status !== 'captured') {
      return `body ${JSON.stringify(r.body)}`;
    }
    const effects = await effectsFor(url, orderId);
    return effects.length === 1 ? null : `${effects.length} effects`;
  },
  async contractChargeId(url) {
    const orderId = fresh('contract');
    const r = await postJson(`${url}/charges`, charge(orderId), { 'idempotency-key': fresh('k') });
    if (typeof r.body.chargeId !== 'string') return `no chargeId in ${JSON.stringify(r.body)}`;
    const effects = await effectsFor(url, orderId);
    return effects[0]?.chargeId === r.body.chargeId ? null : 'chargeId differs from the ledger';
  },
  async duplicateDelivery(url) {
    const orderId = fresh('dup');
    const key = fresh('k');
    for (let i = 0; i < 3; i++) await postJson(`${url}/charges`, charge(orderId), { 'idempotency-key': key });
    const effects = await effectsFor(url, orderId);
    const inv = (await getJson(`${url}/invariants`)).body;
    if (effects.length !== 1) {
      // The invariant endpoint must see the same double charge the ledger shows.
      expect(inv.ok).toBe(false);
      expect(inv.details.doubleCharged).toContain(orderId);
      return `${effects.length} effects for 3 deliveries`;
    }
    expect(inv.details.doubleCharged).not.toContain(orderId);
    return null;
  },
  async replay(url) {
    const orderId = fresh('replay');
    const key = fresh('k');
    const first = await postJson(`${url}/charges`, { orderId, amount: 900, currency: 'EUR' }, { 'idempotency-key': key });
    // Same payload with another key order: canonical JSON must make it the same request.
    const again = await postJson(`${url}/charges`, { currency: 'EUR', amount: 900, orderId }, { 'idempotency-key': key });
    if (again.headers.get('idempotent-replayed') !== 'true') return 'no Idempotent-Replayed: true header';
    if (again.status !== first.status || JSON.stringify(again.body) !== JSON.stringify(first.body)) return 'replay differs from the first answer';
    return null;
  },
  async keyPayloadBinding(url) {
    const orderId = fresh('bind');
    const key = fresh('k');
    const first = await postJson(`${url}/charges`, charge(orderId, 100), { 'idempotency-key': key });
    const other = await postJson(`${url}/charges`, charge(orderId, 999), { 'idempotency-key': key });
    if (other.status !== 422 || other.body.error !== 'Idempotency-Key reused with a different payload') {
      return `different payload got ${other.status}`;
    }
    if ((await effectsFor(url, orderId)).length !== 1) return 'the rejected request created an effect';
    const again = await postJson(`${url}/charges`, charge(orderId, 100), { 'idempotency-key': key });
    return JSON.stringify(again.body) === JSON.stringify(first.body) ? null : 'the stored response changed';
  },
  async concurrentDuplicates(url) {
    const orderId = fresh('conc');
    const key = fresh('k');
    const [a, b] = await Promise.all([
      postJson(`${url}/charges`, charge(orderId), { 'idempotency-key': key }),
      postJson(`${url}/charges`, charge(orderId), { 'idempotency-key': key }),
    ]);
    const statuses = [a.status, b.status].sort();
    if (statuses[0] !== 201 || statuses[1] !== 409) return `statuses ${statuses.join(',')}`;
    const loser = a.status === 409 ? a : b;
    if (loser.body.error !== 'request with this Idempotency-Key is in progress') return 'wrong 409 message';
    return (await effectsFor(url, orderId)).length === 1 ? null : 'more than one effect';
  },
};

const expectedBroken: Record<PaymentsMode, Rule[]> = {
  correct: [],
  // Ignoring the key breaks every rule that needs the key remembered, and nothing else.
  'no-dedup': ['duplicateDelivery', 'replay', 'keyPayloadBinding', 'concurrentDuplicates'],
  'store-before-validate': ['invalidBodyStoresNothing'],
  'ignore-payload': ['keyPayloadBinding'],
  'renamed-field': ['contractChargeId'],
};

const modes = Object.keys(expectedBroken) as PaymentsMode[];
const agents = new Map<PaymentsMode, StartedTeamAgent>();

beforeAll(async () => {
  // Half via --mode, half via PAYMENTS_MODE, so both ways of choosing a variant are exercised.
  const started = await Promise.all(
    modes.map((mode, i) =>
      startTeamAgent('payments', {
        env: { PAYMENTS_DELAY_MS: String(DELAY_MS), ...(i % 2 ? { PAYMENTS_MODE: mode } : {}) },
        args: i % 2 ? [] : ['--mode', mode],
      }),
    ),
  );
  modes.forEach((mode, i) => agents.set(mode, started[i]!));
});
afterAll(stopAllTeamAgents);

describe.each(modes)('payments --mode %s', (mode) => {
  it(`breaks exactly: ${expectedBroken[mode].join(', ') || 'nothing'}`, async () => {
    const url = agents.get(mode)!.url;
    const results = await Promise.all(
      (Object.keys(rules) as Rule[]).map(async (rule) => [rule, await rules[rule](url)] as const),
    );
    const broken = results.filter(([, why]) => why !== null).map(([rule]) => rule).sort();
    expect(broken, JSON.stringify(results)).toEqual([...expectedBroken[mode]].sort());
  });
});

describe('payments endpoints', () => {
  it('GET /ledger lists one effect per real charge with its key', async () => {
    const url = agents.get('correct')!.url;
    const orderId = fresh('ledger');
    const r = await postJson(`${url}/charges`, charge(orderId, 4200), { 'idempotency-key': 'ledger-key' });
    const effects = await effectsFor(url, orderId);
    expect(effects).toEqual([{ key: 'ledger-key', orderId, amount: 4200, currency: 'EUR', chargeId: r.body.chargeId }]);
  });

  it('POST /reset clears the ledger and the stored keys', async () => {
    const url = agents.get('ignore-payload')!.url;
    await postJson(`${url}/charges`, charge('reset-1'), { 'idempotency-key': 'reset-key' });
    expect((await ledger(url)).length).toBeGreaterThan(0);
    expect((await postJson(`${url}/reset`, {})).status).toBe(200);
    expect(await ledger(url)).toEqual([]);
    const again = await postJson(`${url}/charges`, charge('reset-1'), { 'idempotency-key': 'reset-key' });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect((await getJson(`${url}/invariants`)).body).toEqual({ ok: true, details: { charges: 1, doubleCharged: [] } });
  });

  it('answers bad JSON with 400 and an oversized body with 413', async () => {
    const url = agents.get('correct')!.url;
    const notJson = await postJson(`${url}/charges`, '{"orderId":', { 'idempotency-key': 'bad-json' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/not valid JSON/);
    const huge = await postJson(`${url}/charges`, JSON.stringify({ orderId: 'x'.repeat(1_100_000), amount: 1, currency: 'EUR' }), {
      'idempotency-key': 'huge',
    });
    expect(huge.status).toBe(413);
    // Nothing was stored for either key: both can still charge.
    const ok = await postJson(`${url}/charges`, charge(fresh('after-bad')), { 'idempotency-key': 'bad-json' });
    expect(ok.status).toBe(201);
  });

  it('rejects an unknown mode with exit 2 and the list of valid modes', () => {
    const r = spawnSync(process.execPath, [join(TEAM_DIR, 'payments.mjs'), '--mode', 'sloppy'], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown mode "sloppy"');
    expect(r.stderr).toContain('no-dedup');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
