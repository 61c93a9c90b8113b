/**
 * Result shapes shared by the in-process checker ({@link checkIdempotency}) and the black-box HTTP
 * checker: one outcome per property, each with its shrunk counterexample and how to replay it.
 */

/** The idempotency properties of ../shared/reference/checks.md, by name. */
export type IdempotencyProperty =
  | 'duplicate-delivery'
  | 'response-replay'
  | 'key-payload-binding'
  | 'concurrent-duplicates'
  | 'missing-key'
  | 'validation-stores-nothing'
  | 'expiry'
  | 'commutativity';

/** Every property name, in report order. */
export const IDEMPOTENCY_PROPERTIES: readonly IdempotencyProperty[] = [
  'duplicate-delivery',
  'response-replay',
  'key-payload-binding',
  'concurrent-duplicates',
  'missing-key',
  'validation-stores-nothing',
  'expiry',
  'commutativity',
];

/** One line per property, for reports and `--help`. */
export const PROPERTY_DESCRIPTIONS: Record<IdempotencyProperty, string> = {
  'duplicate-delivery': 'n deliveries of one message leave the same state and effects as one',
  'response-replay': 'a retry after completion returns the first response (status and body)',
  'key-payload-binding': 'the same key with a different payload is rejected, with no effect',
  'concurrent-duplicates': 'overlapping attempts with one key run at most once; losers get a conflict',
  'missing-key': 'a request without the key is rejected and stores nothing',
  'validation-stores-nothing': 'a rejected request stores nothing, so a retry with the same key may succeed',
  expiry: 'inside the TTL duplicates are suppressed; after it the key is new',
  commutativity: 'operations declared commutative give the same state in any order',
};

/**
 * How a property came out. `not-exercised`: no run could have shown a violation (no duplicate was
 * really delivered, no overlap happened); it is never a pass.
 */
export type PropertyStatus = 'passed' | 'failed' | 'not-exercised';

/** A shrunk failing case and what was observed when it ran. */
export interface PropertyCounterexample {
  /** The generated input after shrinking (payloads, copies, delays). */
  input: unknown;
  /** Why it fails, in words. */
  message: string;
  /** What the system did on the shrunk input: replies, effects. */
  observed?: unknown;
  /** Shrinking steps fast-check took. */
  shrinks: number;
}

/** The outcome of one property. */
export interface PropertyOutcome {
  property: IdempotencyProperty;
  status: PropertyStatus;
  /** One line for humans: what held, what broke, or why it was not exercised. */
  summary: string;
  /** Runs fast-check made before stopping (up to and including the first failure). */
  runs: number;
  /** Runs that really exercised the property (a duplicate delivered, an overlap observed). */
  exercisedRuns: number;
  /** The shrunk counterexample when `failed`. */
  counterexample?: PropertyCounterexample;
  /** fast-check's seed and counterexample path: `fc.check(…, { seed, path })` replays it. */
  replay: { seed: number; path?: string; command?: string };
  durationMs: number;
  /**
   * What stopped the property early: the target became unreachable (`environment`) or its probe
   * or reset stopped answering as the spec says (`config`). With `failed`, only shrinking stopped.
   */
  error?: { code: 'environment' | 'config'; message: string; hint?: string };
}

/** Status of a whole check: failed if any property failed, else not-exercised if any was, else passed. */
export type CheckOverallStatus = PropertyStatus;

/** The result of an idempotency check (in-process or black-box). */
export interface IdempotencyCheckResult {
  /** True only when every property passed. */
  ok: boolean;
  status: CheckOverallStatus;
  seed: number;
  properties: PropertyOutcome[];
  durationMs: number;
  /** The first error that stopped a property early (see {@link PropertyOutcome.error}). */
  error?: { code: 'environment' | 'config'; message: string; hint?: string };
}

/** The overall status over property outcomes: any failed ⇒ failed; any not-exercised ⇒ not-exercised. */
export function overallStatus(outcomes: readonly PropertyOutcome[]): CheckOverallStatus {
  if (outcomes.some((o) => o.status === 'failed')) return 'failed';
  if (outcomes.length === 0 || outcomes.some((o) => o.status === 'not-exercised')) return 'not-exercised';
  return 'passed';
}
