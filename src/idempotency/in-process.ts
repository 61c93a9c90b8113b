/**
 * The in-process idempotency checker: property-based tests of a handler, run inside the test
 * process with fast-check. Each run builds a fresh system from the factory, delivers generated
 * requests with duplication, reordering (for operations declared commutative) or concurrency
 * (interleavings chosen by fast-check's scheduler at the handler's `pause()` points), and compares
 * the state, effects and responses with a single, in-order delivery.
 *
 * Result first (`checkIdempotency` returns details), throw second (`assertIdempotent`).
 */
import fc from 'fast-check';
import { ManualClock, type Clock } from './clock.js';
import { brief, canonicalJson, canonicalMultiset, sameJson, toPlain } from './compare.js';
import { arbitraryFromSchema, checkSchema, invalidArbitraryFromSchema, type JsonSchema } from './json-schema.js';
import { PropertyViolation, runProperty, type RunHooks } from './property-runner.js';
import {
  IDEMPOTENCY_PROPERTIES,
  overallStatus,
  type IdempotencyCheckResult,
  type IdempotencyProperty,
  type PropertyOutcome,
} from './types.js';

/** One delivery of a request to the handler. `key` is undefined when the key header is missing. */
export interface HandlerRequest<P> {
  key: string | undefined;
  payload: P;
}

/** What a handler answers: an HTTP-like status and a body. */
export interface HandlerResponse {
  status: number;
  body?: unknown;
}

/** What a handler may use besides its request: the injected clock and interleaving points. */
export interface HandlerContext {
  /** The clock to read instead of `Date.now()` (a manual clock under the expiry property). */
  clock: Clock;
  /**
   * An await point where another concurrent delivery may run first (where real code would await
   * a database or a network call). Under the concurrency property fast-check picks who continues.
   */
  pause(label?: string): Promise<void>;
}

/** An effect the system recorded (a ledger entry, a sent message) with the key it was made for. */
export interface KeyedEffect {
  key?: string | null;
  [field: string]: unknown;
}

/** One fresh instance of the system under test. */
export interface IdempotentSystem<P> {
  /** Handles one delivery. */
  handle(request: HandlerRequest<P>, ctx: HandlerContext): HandlerResponse | Promise<HandlerResponse>;
  /** The effects so far, each with its key. */
  effects(): readonly KeyedEffect[] | Promise<readonly KeyedEffect[]>;
  /** Observable state to compare (optional; Maps and Sets are fine). */
  state?(): unknown;
}

/** Builds a fresh system for each run; the clock is the one the handler must read. */
export type SystemFactory<P> = (env: { clock: Clock }) => IdempotentSystem<P> | Promise<IdempotentSystem<P>>;

/** Statuses the properties expect; defaults follow the IETF Idempotency-Key draft. */
export interface ExpectedStatuses {
  /** Same key, different payload. Default 422. */
  payloadMismatch?: number;
  /** Loser of concurrent duplicates. Default 409. */
  conflict?: number;
  /** Missing key. Default 400. */
  missingKey?: number;
  /** Invalid payload. Default 400. */
  validation?: number;
  /** What counts as success. Default: 200–299. */
  isSuccess?: (response: HandlerResponse) => boolean;
}

/** Options of {@link checkIdempotency}. */
export interface CheckIdempotencyOptions<P> {
  /** Valid payloads: a fast-check arbitrary or a JSON Schema in the supported subset. */
  payload: fc.Arbitrary<P> | JsonSchema;
  /** Invalid payloads for `validation-stores-nothing`. Default: derived from `payload` when it is a schema. */
  invalidPayload?: fc.Arbitrary<unknown>;
  /** Properties to run. Default: every one that applies (expiry needs `ttlMs`, commutativity `commutative`). */
  properties?: IdempotencyProperty[];
  /** Runs per property. Default 100. */
  runs?: number;
  /** fast-check seed. Default: drawn at random and reported. */
  seed?: number;
  /** fast-check counterexample path, to replay one failure (with `seed` and a single property). */
  path?: string;
  /** Most messages per run in multi-message properties. Default 3. */
  maxMessages?: number;
  /** Most deliveries of one message (original included) in `duplicate-delivery`. Default 4. */
  maxCopies?: number;
  /** Most copies delivered at once in `concurrent-duplicates`. Default 3. */
  concurrency?: number;
  /** Whether two payloads' operations commute (or `true`: all do). Enables `commutativity`. */
  commutative?: boolean | ((a: P, b: P) => boolean);
  /** The key's time to live in ms of the injected clock. Enables `expiry`. */
  ttlMs?: number;
  /** Whether a request without a key must be rejected. Default true. */
  keyRequired?: boolean;
  expect?: ExpectedStatuses;
  /** Strip run-specific values (generated ids, timestamps) before comparing. Default: identity. */
  normalize?: {
    response?: (r: HandlerResponse) => unknown;
    effect?: (e: KeyedEffect) => unknown;
    state?: (s: unknown) => unknown;
  };
}

interface Resolved<P> {
  create: SystemFactory<P>;
  valid: fc.Arbitrary<P>;
  invalid: fc.Arbitrary<unknown> | undefined;
  runs: number;
  maxMessages: number;
  maxCopies: number;
  concurrency: number;
  commutes: ((a: P, b: P) => boolean) | undefined;
  ttlMs: number | undefined;
  keyRequired: boolean;
  mismatch: number;
  conflict: number;
  missingKey: number;
  validation: number;
  isSuccess: (r: HandlerResponse) => boolean;
  normResponse: (r: HandlerResponse) => unknown;
  normEffect: (e: KeyedEffect) => unknown;
  normState: (s: unknown) => unknown;
}

interface Snapshot {
  /** Normalised effects, for comparison. */
  effects: unknown[];
  /** Effects as recorded, for counting per key. */
  rawEffects: KeyedEffect[];
  state: unknown;
}

const immediate: HandlerContext['pause'] = () => Promise.resolve();

class Instance<P> {
  private constructor(
    private readonly r: Resolved<P>,
    private readonly system: IdempotentSystem<P>,
    readonly clock: Clock,
  ) {}

  static async create<P>(r: Resolved<P>, clock: Clock = new ManualClock(0)): Promise<Instance<P>> {
    return new Instance(r, await r.create({ clock }), clock);
  }

  async deliver(key: string | undefined, payload: P, pause = immediate): Promise<HandlerResponse> {
    let reply: HandlerResponse;
    try {
      reply = await this.system.handle({ key, payload }, { clock: this.clock, pause });
    } catch (e) {
      throw new PropertyViolation(`the handler threw on key ${brief(key)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!reply || typeof reply.status !== 'number') {
      throw new PropertyViolation(`the handler answered ${brief(reply)}; expected {status, body}`);
    }
    // Copy so a handler that mutates its stored reply later cannot change what we compare.
    return toPlain(reply) as HandlerResponse;
  }

  async snapshot(): Promise<Snapshot> {
    const raw = (toPlain(await this.system.effects()) as KeyedEffect[]) ?? [];
    return {
      rawEffects: raw,
      effects: raw.map((e) => this.r.normEffect(e)),
      state: this.system.state ? this.r.normState(toPlain(this.system.state())) : null,
    };
  }

  static effectsFor(s: Snapshot, key: string): number {
    return s.rawEffects.filter((e) => e.key === key).length;
  }
}

function sameState(a: Snapshot, b: Snapshot, asMultiset: boolean): boolean {
  const eff = asMultiset ? canonicalMultiset : canonicalJson;
  return eff(a.effects) === eff(b.effects) && sameJson(a.state, b.state);
}

function stateDiff(single: Snapshot, actual: Snapshot): Record<string, unknown> {
  return {
    effectsAfterSingleDelivery: single.effects,
    effectsAfterTest: actual.effects,
    ...(single.state !== null ? { stateAfterSingleDelivery: single.state, stateAfterTest: actual.state } : {}),
  };
}

function key(i: number): string {
  return `key-${i}`;
}

/** The delivery order of originals and their extra copies: extra copy j of message i comes after original i + offset. */
function duplicatePlan(copies: { offsets: number[] }[]): { msg: number; copy: number }[] {
  const n = copies.length;
  const order: { msg: number; copy: number }[] = [];
  for (let p = 0; p < n; p++) {
    order.push({ msg: p, copy: 0 });
    copies.forEach((m, i) => {
      m.offsets.forEach((o, j) => {
        if (Math.min(i + o, n - 1) === p) order.push({ msg: i, copy: j + 1 });
      });
    });
  }
  return order;
}

/** Follows `preference` as far as non-commuting pairs allow: they keep their original relative order. */
function commutingOrder<P>(payloads: P[], preference: number[], commutes: (a: P, b: P) => boolean): number[] {
  const placed: number[] = [];
  const done = new Set<number>();
  while (placed.length < payloads.length) {
    const next = preference.find(
      (i) => !done.has(i) && payloads.every((q, j) => j >= i || done.has(j) || commutes(payloads[i] as P, q)),
    );
    // The lowest unplaced index is always placeable, so `next` only falls back when preference is partial.
    const pick = next ?? payloads.findIndex((_, i) => !done.has(i));
    placed.push(pick);
    done.add(pick);
  }
  return placed;
}

function describeReply(r: HandlerResponse): string {
  return `${r.status} ${brief(r.body, 120)}`;
}

function resolve<P>(create: SystemFactory<P>, o: CheckIdempotencyOptions<P>): Resolved<P> {
  let valid: fc.Arbitrary<P>;
  let invalid = o.invalidPayload;
  if (o.payload instanceof fc.Arbitrary) {
    valid = o.payload;
  } else {
    const problems = checkSchema(o.payload);
    if (problems.length > 0) {
      throw new TypeError(
        `checkIdempotency: the payload schema is not in the supported subset: ${problems
          .map((p) => `${p.path.join('.') || '(root)'}: ${p.message}`)
          .join('; ')}`,
      );
    }
    valid = arbitraryFromSchema(o.payload) as fc.Arbitrary<P>;
    invalid ??= invalidArbitraryFromSchema(o.payload);
  }
  const positive = (name: string, v: number | undefined, fallback: number, min: number) => {
    const n = v ?? fallback;
    if (!Number.isInteger(n) || n < min) throw new RangeError(`checkIdempotency: ${name} must be an integer ≥ ${min}, got ${n}`);
    return n;
  };
  if (o.ttlMs !== undefined && !(Number.isInteger(o.ttlMs) && o.ttlMs >= 1)) {
    throw new RangeError(`checkIdempotency: ttlMs must be an integer ≥ 1, got ${o.ttlMs}`);
  }
  const id = (x: unknown) => x;
  return {
    create,
    valid,
    invalid,
    runs: positive('runs', o.runs, 100, 1),
    maxMessages: positive('maxMessages', o.maxMessages, 3, 1),
    maxCopies: positive('maxCopies', o.maxCopies, 4, 1),
    concurrency: positive('concurrency', o.concurrency, 3, 1),
    commutes: o.commutative === true ? () => true : typeof o.commutative === 'function' ? o.commutative : undefined,
    ttlMs: o.ttlMs,
    keyRequired: o.keyRequired ?? true,
    mismatch: o.expect?.payloadMismatch ?? 422,
    conflict: o.expect?.conflict ?? 409,
    missingKey: o.expect?.missingKey ?? 400,
    validation: o.expect?.validation ?? 400,
    isSuccess: o.expect?.isSuccess ?? ((r) => r.status >= 200 && r.status < 300),
    normResponse: o.normalize?.response ?? ((r) => ({ status: r.status, body: r.body ?? null })),
    normEffect: o.normalize?.effect ?? id,
    normState: o.normalize?.state ?? id,
  };
}

function applicable<P>(r: Resolved<P>): IdempotencyProperty[] {
  return IDEMPOTENCY_PROPERTIES.filter((p) => {
    if (p === 'expiry') return r.ttlMs !== undefined;
    if (p === 'commutativity') return r.commutes !== undefined;
    if (p === 'validation-stores-nothing') return r.invalid !== undefined;
    if (p === 'missing-key') return r.keyRequired;
    return true;
  });
}

type Body<T> = { arbitrary: fc.Arbitrary<T>; run: (input: T, hooks: RunHooks) => Promise<void>; notExercised: string };

function duplicateDelivery<P>(r: Resolved<P>): Body<{ payload: P; offsets: number[] }[]> {
  const message = fc.record({
    payload: r.valid,
    offsets: fc.array(fc.nat({ max: r.maxMessages - 1 }), { maxLength: r.maxCopies - 1 }),
  });
  return {
    arbitrary: fc.array(message, { minLength: 1, maxLength: r.maxMessages }),
    notExercised: r.maxCopies < 2 ? 'maxCopies is 1, so nothing was ever duplicated' : 'no message was delivered twice',
    run: async (messages, hooks) => {
      const single = await Instance.create(r);
      for (const [i, m] of messages.entries()) await single.deliver(key(i), m.payload);
      const once = await single.snapshot();

      const test = await Instance.create(r);
      const plan = duplicatePlan(messages);
      for (const step of plan) {
        await test.deliver(key(step.msg), (messages[step.msg] as { payload: P }).payload);
        if (step.copy > 0) hooks.exercised();
      }
      const after = await test.snapshot();
      if (!sameState(once, after, false)) {
        const extra = messages
          .map((_, i) => [key(i), Instance.effectsFor(after, key(i)), Instance.effectsFor(once, key(i))] as const)
          .filter(([, a, b]) => a !== b)
          .map(([k, a, b]) => `${k}: ${a} effects vs ${b}`);
        throw new PropertyViolation(
          `delivering duplicates changed the outcome compared with single delivery${extra.length ? ` (${extra.join(', ')})` : ' (state differs)'}`,
          { deliveryOrder: plan.map((s) => `${key(s.msg)}${s.copy ? ` (copy ${s.copy})` : ''}`), ...stateDiff(once, after) },
        );
      }
    },
  };
}

function responseReplay<P>(r: Resolved<P>): Body<{ payload: P; retries: number }> {
  const noStore = new Set([r.conflict, r.validation, r.missingKey, r.mismatch]);
  return {
    arbitrary: fc.record({ payload: r.valid, retries: fc.integer({ min: 1, max: Math.max(1, r.maxCopies - 1) }) }),
    notExercised: 'every first response was a conflict or validation failure, which is not stored',
    run: async ({ payload, retries }, hooks) => {
      const sys = await Instance.create(r);
      const first = await sys.deliver(key(0), payload);
      if (noStore.has(first.status) && !r.isSuccess(first)) return;
      hooks.exercised();
      for (let i = 1; i <= retries; i++) {
        const again = await sys.deliver(key(0), payload);
        if (!sameJson(r.normResponse(again), r.normResponse(first))) {
          throw new PropertyViolation(
            `retry ${i} answered ${describeReply(again)}, but the first delivery answered ${describeReply(first)}`,
            { first, retry: again },
          );
        }
      }
    },
  };
}

function keyPayloadBinding<P>(r: Resolved<P>): Body<[P, P]> {
  return {
    arbitrary: fc.tuple(r.valid, r.valid).filter(([a, b]) => !sameJson(a, b)),
    notExercised: 'no first delivery succeeded, so there was no stored response to protect',
    run: async ([p, q], hooks) => {
      const sys = await Instance.create(r);
      const first = await sys.deliver(key(0), p);
      if (!r.isSuccess(first)) return;
      hooks.exercised();
      const before = await sys.snapshot();
      const other = await sys.deliver(key(0), q);
      const after = await sys.snapshot();
      if (other.status !== r.mismatch) {
        throw new PropertyViolation(
          `the same key with a different payload answered ${describeReply(other)}; expected ${r.mismatch}`,
          { first, differentPayloadReply: other },
        );
      }
      if (!sameState(before, after, false)) {
        throw new PropertyViolation('the rejected different payload still changed the state or effects', stateDiff(before, after));
      }
      const retry = await sys.deliver(key(0), p);
      if (!sameJson(r.normResponse(retry), r.normResponse(first))) {
        throw new PropertyViolation(
          `after the rejected reuse, a retry of the original answered ${describeReply(retry)}, not the stored ${describeReply(first)}`,
          { first, retry },
        );
      }
    },
  };
}

function concurrentDuplicates<P>(r: Resolved<P>): Body<{ payload: P; copies: number; scheduler: fc.Scheduler }> {
  return {
    arbitrary: fc.record({
      payload: r.valid,
      copies: fc.integer({ min: 2, max: Math.max(2, r.concurrency) }),
      scheduler: fc.scheduler(),
    }),
    notExercised:
      'no two deliveries were ever in the handler at the same time (it never calls ctx.pause(), or answers before the next starts)',
    run: async ({ payload, copies, scheduler: s }, hooks) => {
      const single = await Instance.create(r);
      const firstReply = await single.deliver(key(0), payload);
      const once = await single.snapshot();

      const test = await Instance.create(r);
      let inFlight = 0;
      let overlapped = false;
      const pause = (label?: string) => s.schedule(Promise.resolve(), label ?? 'pause');
      const one = async (i: number) => {
        await s.schedule(Promise.resolve(), `deliver copy ${i}`);
        inFlight++;
        if (inFlight > 1) overlapped = true;
        try {
          return await test.deliver(key(0), payload, pause);
        } finally {
          inFlight--;
        }
      };
      const replies = await s.waitFor(Promise.all(Array.from({ length: copies }, (_, i) => one(i))));
      const after = await test.snapshot();
      const observed = () => ({ replies, singleDeliveryReply: firstReply, schedule: String(s), ...stateDiff(once, after) });
      if (!sameState(once, after, true)) {
        if (overlapped) hooks.exercised();
        throw new PropertyViolation(
          `${copies} concurrent deliveries left ${Instance.effectsFor(after, key(0))} effects for the key (single delivery: ${Instance.effectsFor(once, key(0))})`,
          observed(),
        );
      }
      const wrong = replies.find((x) => x.status !== r.conflict && !sameJson(r.normResponse(x), r.normResponse(firstReply)));
      if (wrong) {
        if (overlapped) hooks.exercised();
        throw new PropertyViolation(
          `a concurrent duplicate answered ${describeReply(wrong)}: neither the single-delivery response nor a ${r.conflict} conflict`,
          observed(),
        );
      }
      if (overlapped) hooks.exercised();
    },
  };
}

function missingKey<P>(r: Resolved<P>): Body<P> {
  return {
    arbitrary: r.valid,
    notExercised: 'no request without a key was delivered',
    run: async (payload, hooks) => {
      const sys = await Instance.create(r);
      const before = await sys.snapshot();
      const reply = await sys.deliver(undefined, payload);
      hooks.exercised();
      if (reply.status !== r.missingKey) {
        throw new PropertyViolation(`a request without a key answered ${describeReply(reply)}; expected ${r.missingKey}`, { reply });
      }
      const after = await sys.snapshot();
      if (!sameState(before, after, false)) {
        throw new PropertyViolation('a request without a key was rejected but still changed the state or effects', stateDiff(before, after));
      }
    },
  };
}

function validationStoresNothing<P>(r: Resolved<P>): Body<{ invalid: unknown; valid: P }> {
  return {
    arbitrary: fc.record({ invalid: r.invalid as fc.Arbitrary<unknown>, valid: r.valid }),
    notExercised: 'the handler accepted every invalid payload, so no validation failure happened',
    run: async ({ invalid, valid }, hooks) => {
      const sys = await Instance.create(r);
      const before = await sys.snapshot();
      const rejected = await sys.deliver(key(0), invalid as P);
      if (r.isSuccess(rejected)) return;
      hooks.exercised();
      if (rejected.status !== r.validation) {
        throw new PropertyViolation(`an invalid payload answered ${describeReply(rejected)}; expected ${r.validation}`, { rejected });
      }
      const after = await sys.snapshot();
      if (!sameState(before, after, false)) {
        throw new PropertyViolation('a rejected invalid payload still changed the state or effects', stateDiff(before, after));
      }
      const retry = await sys.deliver(key(0), valid);
      if (!r.isSuccess(retry)) {
        throw new PropertyViolation(
          `after a validation failure, a valid retry with the same key answered ${describeReply(retry)}: the failure was stored`,
          { rejected, retry },
        );
      }
    },
  };
}

function expiry<P>(r: Resolved<P>): Body<{ payload: P; inside: number; after: number }> {
  const ttl = r.ttlMs as number;
  return {
    arbitrary: fc.record({
      payload: r.valid,
      inside: fc.integer({ min: 0, max: ttl - 1 }),
      after: fc.integer({ min: ttl + 1, max: ttl * 3 }),
    }),
    notExercised: 'no first delivery succeeded, so no key was stored to expire',
    run: async ({ payload, inside, after }, hooks) => {
      const clock = new ManualClock(0);
      const sys = await Instance.create(r, clock);
      const first = await sys.deliver(key(0), payload);
      if (!r.isSuccess(first)) return;
      hooks.exercised();
      const stored = await sys.snapshot();
      clock.advance(inside);
      const dup = await sys.deliver(key(0), payload);
      const dupState = await sys.snapshot();
      if (!sameJson(r.normResponse(dup), r.normResponse(first)) || !sameState(stored, dupState, false)) {
        throw new PropertyViolation(
          `a duplicate ${inside} ms after the first (TTL ${ttl} ms) was not suppressed: answered ${describeReply(dup)}`,
          { first, duplicate: dup, ...stateDiff(stored, dupState) },
        );
      }
      clock.advance(after - inside);
      const late = await sys.deliver(key(0), payload);
      const lateState = await sys.snapshot();
      const n = Instance.effectsFor(lateState, key(0));
      const expected = Instance.effectsFor(stored, key(0)) + 1;
      if (!r.isSuccess(late) || n !== expected) {
        throw new PropertyViolation(
          `${after} ms after the first delivery (TTL ${ttl} ms) the key was not new: answered ${describeReply(late)}, ${n} effects for the key (expected ${expected})`,
          { first, late, ...stateDiff(stored, lateState) },
        );
      }
    },
  };
}

function commutativity<P>(r: Resolved<P>): Body<{ payload: P; rank: number }[]> {
  const commutes = r.commutes as (a: P, b: P) => boolean;
  return {
    arbitrary: fc.array(fc.record({ payload: r.valid, rank: fc.nat({ max: 99 }) }), {
      minLength: 2,
      maxLength: Math.max(2, r.maxMessages),
    }),
    notExercised: 'no run delivered commuting operations in a different order',
    run: async (messages, hooks) => {
      const payloads = messages.map((m) => m.payload);
      const preference = messages
        .map((m, i) => [m.rank, i] as const)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .map(([, i]) => i);
      const order = commutingOrder(payloads, preference, commutes);
      if (order.every((v, i) => v === i)) return;
      hooks.exercised();
      const inOrder = await Instance.create(r);
      for (const [i, p] of payloads.entries()) await inOrder.deliver(key(i), p);
      const expected = await inOrder.snapshot();
      const reordered = await Instance.create(r);
      for (const i of order) await reordered.deliver(key(i), payloads[i] as P);
      const actual = await reordered.snapshot();
      if (!sameState(expected, actual, true)) {
        throw new PropertyViolation(
          `delivering commuting operations in the order ${order.map(key).join(', ')} gave a different outcome than in order`,
          { order: order.map(key), ...stateDiff(expected, actual) },
        );
      }
    },
  };
}

const bodies: Record<IdempotencyProperty, <P>(r: Resolved<P>) => Body<any>> = {
  'duplicate-delivery': duplicateDelivery,
  'response-replay': responseReplay,
  'key-payload-binding': keyPayloadBinding,
  'concurrent-duplicates': concurrentDuplicates,
  'missing-key': missingKey,
  'validation-stores-nothing': validationStoresNothing,
  expiry,
  commutativity,
};

/** Whether an arbitrary can produce two different values (else a "different payload" filter would never end). */
export function canDiffer(arb: fc.Arbitrary<unknown>, seed: number): boolean {
  const seen = new Set(fc.sample(arb, { numRuns: 50, seed }).map(canonicalJson));
  return seen.size > 1;
}

function notApplicable(property: IdempotencyProperty, seed: number, why: string): PropertyOutcome {
  return { property, status: 'not-exercised', summary: `not exercised: ${why}`, runs: 0, exercisedRuns: 0, replay: { seed }, durationMs: 0 };
}

/**
 * Checks a handler's idempotency contract in-process with fast-check and returns the details:
 * one outcome per property, with the shrunk counterexample and the seed and path that replay it.
 * Defaults: 100 runs per property, every property that applies, statuses 422 / 409 / 400 / 400.
 */
export async function checkIdempotency<P>(
  create: SystemFactory<P>,
  options: CheckIdempotencyOptions<P>,
): Promise<IdempotencyCheckResult> {
  const started = performance.now();
  const r = resolve(create, options);
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const wanted = options.properties ?? applicable(r);
  const outcomes: PropertyOutcome[] = [];
  for (const property of wanted) {
    if (property === 'expiry' && r.ttlMs === undefined) {
      outcomes.push(notApplicable(property, seed, 'no ttlMs was given, so expiry cannot be tested'));
      continue;
    }
    if (property === 'commutativity' && r.commutes === undefined) {
      outcomes.push(notApplicable(property, seed, 'no operation was declared commutative'));
      continue;
    }
    if (property === 'key-payload-binding' && !canDiffer(r.valid, seed)) {
      outcomes.push(notApplicable(property, seed, 'the payload generator gives only one value, so a different payload cannot be sent'));
      continue;
    }
    if (property === 'validation-stores-nothing' && r.invalid === undefined) {
      outcomes.push(notApplicable(property, seed, 'no invalid payloads: give invalidPayload or a schema payload'));
      continue;
    }
    const body = bodies[property](r);
    outcomes.push(
      await runProperty({
        property,
        arbitrary: body.arbitrary,
        run: body.run,
        numRuns: r.runs,
        seed,
        ...(options.path !== undefined ? { path: options.path } : {}),
        notExercised: body.notExercised,
        replayCommand: (s, path) => `checkIdempotency(factory, { ...options, properties: ['${property}'], seed: ${s}, path: '${path}' })`,
      }),
    );
  }
  const status = overallStatus(outcomes);
  return { ok: status === 'passed', status, seed, properties: outcomes, durationMs: performance.now() - started };
}

/** The error {@link assertIdempotent} throws; `details` is the full result. */
export class IdempotencyAssertionError extends Error {
  override readonly name = 'IdempotencyAssertionError';
  constructor(readonly details: IdempotencyCheckResult) {
    super(formatFailure(details));
  }
}

function formatFailure(d: IdempotencyCheckResult): string {
  const lines = [`idempotency check ${d.status} (seed ${d.seed})`];
  for (const o of d.properties) {
    if (o.status === 'passed') continue;
    lines.push(`  ${o.property}: ${o.summary}`);
    if (o.replay.path !== undefined) lines.push(`    replay: { seed: ${o.replay.seed}, path: '${o.replay.path}' }`);
  }
  return lines.join('\n');
}

/**
 * Like {@link checkIdempotency}, but throws {@link IdempotencyAssertionError} unless every property
 * passed (a property that was not exercised throws too: no empty passes). Resolves the details.
 */
export async function assertIdempotent<P>(
  create: SystemFactory<P>,
  options: CheckIdempotencyOptions<P>,
): Promise<IdempotencyCheckResult> {
  const details = await checkIdempotency(create, options);
  if (!details.ok) throw new IdempotencyAssertionError(details);
  return details;
}
