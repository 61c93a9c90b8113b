/**
 * In-process payment handlers for the in-process checker tests: the correct one and one variant
 * per bug the properties must catch. Modelled on scenarios/team/API.md's payments agent.
 */
import type { HandlerContext, HandlerRequest, HandlerResponse, IdempotentSystem } from '../../src/idempotency/in-process.js';
import type { Clock } from '../../src/idempotency/clock.js';
import { canonicalJson } from '../../src/idempotency/compare.js';

export interface Charge {
  orderId: string;
  amount: number;
  currency: string;
}

/** The payload schema (the subset the checker understands). */
export const chargeSchema = {
  type: 'object',
  required: ['orderId', 'amount', 'currency'],
  additionalProperties: false,
  properties: {
    orderId: { type: 'string', pattern: '^o-[a-z0-9]{1,6}$' },
    amount: { type: 'integer', minimum: 1, maximum: 100000 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
};

export type Mode =
  | 'correct'
  | 'no-dedup'
  | 'store-before-validate'
  | 'ignore-payload'
  /** Checks the store, awaits, then marks in flight: fine sequentially, double-charges concurrently. */
  | 'check-then-act'
  /** Never awaits: concurrent deliveries can never overlap. */
  | 'synchronous';

function validate(p: unknown): string | undefined {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return 'body must be an object';
  const c = p as Record<string, unknown>;
  if (typeof c.orderId !== 'string' || c.orderId === '') return 'orderId must be a non-empty string';
  if (!Number.isInteger(c.amount) || (c.amount as number) <= 0) return 'amount must be an integer > 0';
  if (typeof c.currency !== 'string' || !/^[A-Z]{3}$/.test(c.currency)) return 'currency must be 3 capital letters';
  for (const k of Object.keys(c)) if (!['orderId', 'amount', 'currency'].includes(k)) return `unknown field ${k}`;
  return undefined;
}

interface Stored {
  fingerprint: string;
  inFlight: boolean;
  reply?: HandlerResponse;
  at: number;
}

/** A payments system; `ttlMs` makes stored keys expire on the injected clock. */
export function payments(mode: Mode, opts: { ttlMs?: number } = {}) {
  return ({ clock }: { clock: Clock }): IdempotentSystem<Charge> => {
    const stored = new Map<string, Stored>();
    const ledger: { key: string; orderId: string; amount: number; chargeId: string }[] = [];
    let next = 1;
    return {
      effects: () => ledger,
      state: () => ({ charges: ledger.length, keys: [...stored.keys()].sort() }),
      async handle({ key, payload }: HandlerRequest<Charge>, ctx: HandlerContext): Promise<HandlerResponse> {
        if (key === undefined) return { status: 400, body: { error: 'missing Idempotency-Key' } };
        const fingerprint = canonicalJson(payload);
        const problem = validate(payload);
        if (problem) {
          const reply = { status: 400, body: { error: problem } };
          if (mode === 'store-before-validate') stored.set(key, { fingerprint, inFlight: false, reply, at: clock.now() });
          return reply;
        }
        let s = stored.get(key);
        if (s && opts.ttlMs !== undefined && !s.inFlight && clock.now() - s.at >= opts.ttlMs) {
          stored.delete(key);
          s = undefined;
        }
        if (s && mode !== 'no-dedup') {
          if (s.inFlight) return { status: 409, body: { error: 'request with this Idempotency-Key is in progress' } };
          if (s.fingerprint !== fingerprint && mode !== 'ignore-payload') {
            return { status: 422, body: { error: 'Idempotency-Key reused with a different payload' } };
          }
          return s.reply as HandlerResponse;
        }
        const entry: Stored = { fingerprint, inFlight: true, at: clock.now() };
        if (mode === 'check-then-act') {
          await ctx.pause('read store');
          stored.set(key, entry);
        } else {
          stored.set(key, entry);
        }
        if (mode !== 'synchronous') await ctx.pause('charge');
        const chargeId = `ch_${next++}`;
        ledger.push({ key, orderId: payload.orderId, amount: payload.amount, chargeId });
        const reply = { status: 201, body: { chargeId, ...payload, status: 'captured' } };
        entry.inFlight = false;
        entry.reply = reply;
        entry.at = clock.now();
        return reply;
      },
    };
  };
}
