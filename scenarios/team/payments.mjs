#!/usr/bin/env node
// payments: charges an order once per Idempotency-Key (IETF Idempotency-Key draft semantics).
// The --mode variants each break exactly one rule, so agentcheck's checks have a real bug to find:
//   no-dedup               ignores the key: every valid delivery charges again
//   store-before-validate  burns the key on an invalid request (its 400 is stored and replayed)
//   ignore-payload         replays the first response for a reused key whatever the payload (no 422)
//   renamed-field          answers `charge_id` instead of `chargeId` (a contract break)
import { randomUUID } from 'node:crypto';
import { startAgent } from './lib/server.mjs';
import { argValue, envInt, usageError } from './lib/config.mjs';
import { canonicalJson } from './lib/canonical.mjs';

const NAME = 'payments';
const MODES = ['correct', 'no-dedup', 'store-before-validate', 'ignore-payload', 'renamed-field'];
const mode = argValue('--mode') ?? process.env.PAYMENTS_MODE ?? 'correct';
if (!MODES.includes(mode)) usageError(NAME, `unknown mode "${mode}"; valid modes: ${MODES.join(', ')}`);
const delayMs = envInt(NAME, 'PAYMENTS_DELAY_MS', 5, 0);

/** key → {fingerprint, state: 'in-flight'|'done', status, body} */
let keys = new Map();
/** One entry per real charge: {key, orderId, amount, currency, chargeId}. */
let effects = [];
// Bumped by POST /reset so a charge that was in flight during the reset lands nowhere.
let generation = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The first thing wrong with a charge request body, or null. */
function validationError(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be a JSON object';
  if (typeof body.orderId !== 'string' || body.orderId === '') return 'orderId must be a non-empty string';
  if (!Number.isInteger(body.amount) || body.amount <= 0) return 'amount must be an integer > 0 (cents)';
  if (typeof body.currency !== 'string' || !/^[A-Z]{3}$/.test(body.currency)) {
    return 'currency must be a 3-letter upper-case ISO 4217 code';
  }
  return null;
}

function chargeResponse(body, chargeId) {
  const idField = mode === 'renamed-field' ? 'charge_id' : 'chargeId';
  return { [idField]: chargeId, orderId: body.orderId, amount: body.amount, currency: body.currency, status: 'captured' };
}

/** Do the charge: the processing delay, then one ledger effect. Returns the 201 body. */
async function capture(key, body) {
  const gen = generation;
  await sleep(delayMs);
  const chargeId = `ch_${randomUUID()}`;
  if (gen === generation) {
    effects.push({ key, orderId: body.orderId, amount: body.amount, currency: body.currency, chargeId });
  }
  return chargeResponse(body, chargeId);
}

function replay(ctx, entry) {
  ctx.send(entry.status, entry.body, { 'idempotent-replayed': 'true' });
}

const CONFLICT_IN_FLIGHT = { error: 'request with this Idempotency-Key is in progress' };
const KEY_REUSED = { error: 'Idempotency-Key reused with a different payload' };

async function postCharge(ctx) {
  const key = ctx.req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') return ctx.send(400, { error: 'missing Idempotency-Key' });

  if (mode === 'store-before-validate') return postChargeStoreFirst(ctx, key);

  const parsed = await ctx.json();
  if (!parsed) return; // 400/413 already answered; nothing stored
  const body = parsed.value;
  const invalid = validationError(body);
  if (invalid) return ctx.send(400, { error: invalid });

  if (mode === 'no-dedup') return ctx.send(201, await capture(key, body));

  const fingerprint = canonicalJson(body);
  const existing = keys.get(key);
  if (existing) {
    if (existing.fingerprint !== fingerprint && mode !== 'ignore-payload') return ctx.send(422, KEY_REUSED);
    if (existing.state === 'in-flight') return ctx.send(409, CONFLICT_IN_FLIGHT);
    return replay(ctx, existing);
  }
  const entry = { fingerprint, state: 'in-flight' };
  keys.set(key, entry);
  const gen = generation;
  try {
    const response = await capture(key, body);
    Object.assign(entry, { state: 'done', status: 201, body: response });
    ctx.send(201, response);
  } catch (err) {
    // A failed charge stores nothing, so the client may retry with the same key.
    if (gen === generation) keys.delete(key);
    throw err;
  }
}

// The store-before-validate bug: the key is claimed (and its answer stored) before the body is
// checked, so a 400 is remembered and the corrected retry with the same key can never charge.
async function postChargeStoreFirst(ctx, key) {
  const parsed = await ctx.body();
  if (!parsed.ok && parsed.raw === undefined) return ctx.send(parsed.status, { error: parsed.error });
  const fingerprint = parsed.ok ? canonicalJson(parsed.value) : `raw:${parsed.raw}`;
  const existing = keys.get(key);
  if (existing) {
    if (existing.fingerprint !== fingerprint) return ctx.send(422, KEY_REUSED);
    if (existing.state === 'in-flight') return ctx.send(409, CONFLICT_IN_FLIGHT);
    return replay(ctx, existing);
  }
  const entry = { fingerprint, state: 'in-flight' };
  keys.set(key, entry);
  const invalid = parsed.ok ? validationError(parsed.value) : parsed.error;
  if (invalid) {
    Object.assign(entry, { state: 'done', status: 400, body: { error: invalid } });
    return ctx.send(400, entry.body);
  }
  const response = await capture(key, parsed.value);
  Object.assign(entry, { state: 'done', status: 201, body: response });
  ctx.send(201, response);
}

function invariants() {
  const perOrder = new Map();
  for (const e of effects) perOrder.set(e.orderId, (perOrder.get(e.orderId) ?? 0) + 1);
  const doubleCharged = [...perOrder].filter(([, n]) => n > 1).map(([orderId]) => orderId);
  return { ok: doubleCharged.length === 0, details: { charges: effects.length, doubleCharged } };
}

await startAgent({
  name: NAME,
  routes: [
    { method: 'POST', path: '/charges', handler: postCharge },
    { method: 'GET', path: '/ledger', handler: (ctx) => ctx.send(200, { effects }) },
    { method: 'GET', path: '/invariants', handler: (ctx) => ctx.send(200, invariants()) },
    {
      method: 'POST',
      path: '/reset',
      handler: (ctx) => {
        keys = new Map();
        effects = [];
        generation++;
        ctx.send(200, { ok: true });
      },
    },
  ],
});
