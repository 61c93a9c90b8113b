/**
 * The exactly-once checker: a {@link History} of attempts against the effects the system recorded
 * (a ledger, a probe), judged per key.
 *
 * Rules (../shared/reference/checks.md): a key with an `ok` attempt must have exactly 1 effect; a key
 * with only `info` (unknown) attempts at most 1; a key with only `fail` attempts, or no attempt, 0.
 * Verdicts: lost (acknowledged, no effect), duplicated (more effects than allowed), unexpected (an
 * effect where none was allowed), recovered (unknown outcome, effect happened: fine, reported).
 */
import { History, outcomesByKey, type HistoryEvent, type KeyOutcome } from './history.js';

/** The verdict for one key. `confirmed` and `not-applied` are the quiet, correct cases. */
export type KeyVerdict = 'confirmed' | 'not-applied' | 'recovered' | 'lost' | 'duplicated' | 'unexpected';

/** Overall status: `not-exercised` means the run could not have shown a violation (nothing attempted, nothing duplicated). */
export type ExactlyOnceStatus = 'passed' | 'failed' | 'not-exercised';

/** One key's judgement. */
export interface KeyJudgement {
  key: string;
  verdict: KeyVerdict;
  effects: number;
  /** Most effects the key's attempts allow (0 or 1); `ok` also requires at least 1. */
  allowed: number;
  attempts: KeyOutcome | null;
}

/** The result of {@link checkExactlyOnce}: keys per verdict and a one-line finding. */
export interface ExactlyOnceResult {
  ok: boolean;
  status: ExactlyOnceStatus;
  /** Acknowledged keys with no effect. */
  lost: string[];
  /** Keys with more effects than their attempts allow. */
  duplicated: string[];
  /** Keys with an effect but no attempt, or only definite failures. */
  unexpected: string[];
  /** Keys whose outcome was unknown and whose effect happened once (fine, reported). */
  recovered: string[];
  counts: {
    keys: number;
    attempts: number;
    effects: number;
    confirmed: number;
    notApplied: number;
    recovered: number;
    lost: number;
    duplicated: number;
    unexpected: number;
  };
  /** Every key that is not quietly correct (lost, duplicated, unexpected, recovered), sorted by key. */
  flagged: KeyJudgement[];
  /** One line, e.g. "duplicated: 3 keys charged more than once: order-17 (×2), order-42 (×2), …". */
  finding: string;
}

/** Options of {@link checkExactlyOnce}. */
export interface ExactlyOnceOptions {
  /**
   * Duplicate deliveries the run really made (from the fault journal or the load driver). When 0,
   * the run has not tested exactly-once and the result is `not-exercised`. Default: not judged.
   */
  duplicatesDelivered?: number;
  /** The verb in findings: "charged" gives "3 keys charged more than once". Default `applied`. */
  effectVerb?: string;
  /** Keys listed per category in the finding before "…". Default 5. */
  maxListed?: number;
}

/** An effect as recorded by the system: an object with its key, or the key itself. */
export type RecordedEffect = string | { key: string | null | undefined };

function effectKey(e: RecordedEffect): string | undefined {
  if (typeof e === 'string') return e;
  return e.key === null || e.key === undefined ? undefined : String(e.key);
}

function judge(outcome: KeyOutcome | undefined, effects: number): { verdict: KeyVerdict; allowed: number } {
  if (outcome && outcome.ok > 0) {
    if (effects === 0) return { verdict: 'lost', allowed: 1 };
    return { verdict: effects === 1 ? 'confirmed' : 'duplicated', allowed: 1 };
  }
  if (outcome && outcome.info > 0) {
    if (effects === 0) return { verdict: 'not-applied', allowed: 1 };
    return { verdict: effects === 1 ? 'recovered' : 'duplicated', allowed: 1 };
  }
  // Only definite failures, or no attempt at all: any effect is one nobody asked for.
  return { verdict: effects === 0 ? 'not-applied' : 'unexpected', allowed: 0 };
}

function list(keys: string[], max: number, suffix?: (k: string) => string): string {
  const shown = keys.slice(0, max).map((k) => (suffix ? `${k}${suffix(k)}` : k));
  return keys.length > max ? `${shown.join(', ')}, …` : shown.join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Judges exactly-once per key from a history of attempts and the effects the system recorded.
 * Fails on lost, duplicated and unexpected keys; reports recovered ones. An empty history (or
 * `duplicatesDelivered: 0`) is `not-exercised`, never a pass.
 */
export function checkExactlyOnce(
  history: History | readonly HistoryEvent[],
  effects: readonly RecordedEffect[],
  options: ExactlyOnceOptions = {},
): ExactlyOnceResult {
  const verb = options.effectVerb ?? 'applied';
  const maxListed = options.maxListed ?? 5;
  const outcomes = outcomesByKey(history);
  const effectCount = new Map<string, number>();
  let unkeyed = 0;
  for (const e of effects) {
    const k = effectKey(e);
    if (k === undefined) {
      unkeyed++;
      continue;
    }
    effectCount.set(k, (effectCount.get(k) ?? 0) + 1);
  }

  const keys = [...new Set([...outcomes.keys(), ...effectCount.keys()])].sort();
  const judgements: KeyJudgement[] = [];
  const by: Record<KeyVerdict, string[]> = {
    confirmed: [],
    'not-applied': [],
    recovered: [],
    lost: [],
    duplicated: [],
    unexpected: [],
  };
  for (const key of keys) {
    const outcome = outcomes.get(key);
    const n = effectCount.get(key) ?? 0;
    const { verdict, allowed } = judge(outcome, n);
    by[verdict].push(key);
    judgements.push({ key, verdict, effects: n, allowed, attempts: outcome ?? null });
  }

  const attempts = [...outcomes.values()].reduce((s, o) => s + o.attempts, 0);
  const failing = by.lost.length + by.duplicated.length + by.unexpected.length + unkeyed;
  const parts: string[] = [];
  if (by.lost.length > 0) {
    parts.push(`lost: ${plural(by.lost.length, 'key')} acknowledged with no effect: ${list(by.lost, maxListed)}`);
  }
  if (by.duplicated.length > 0) {
    const times = (k: string) => ` (×${effectCount.get(k) ?? 0})`;
    parts.push(
      `duplicated: ${plural(by.duplicated.length, 'key')} ${verb} more than once: ${list(by.duplicated, maxListed, times)}`,
    );
  }
  if (by.unexpected.length > 0) {
    parts.push(
      `unexpected: ${plural(by.unexpected.length, 'key')} ${verb} without a successful or unknown attempt: ${list(by.unexpected, maxListed)}`,
    );
  }
  if (unkeyed > 0) parts.push(`unexpected: ${plural(unkeyed, 'effect')} recorded without a key`);

  let status: ExactlyOnceStatus;
  let finding: string;
  if (failing > 0) {
    status = 'failed';
    finding = parts.join('; ');
  } else if (attempts === 0) {
    status = 'not-exercised';
    finding = 'not exercised: the history has no attempts, so exactly-once was not tested';
  } else if (options.duplicatesDelivered === 0) {
    status = 'not-exercised';
    finding = `not exercised: no duplicate was delivered in ${plural(attempts, 'attempt')}, so exactly-once was not tested`;
  } else {
    status = 'passed';
    finding = `exactly-once held over ${plural(keys.length, 'key')} (${by.confirmed.length} confirmed`;
    if (by.recovered.length > 0) {
      finding += `, ${by.recovered.length} recovered after an unknown outcome: ${list(by.recovered, maxListed)}`;
    }
    finding += ')';
  }

  return {
    ok: status === 'passed',
    status,
    lost: by.lost,
    duplicated: by.duplicated,
    unexpected: by.unexpected,
    recovered: by.recovered,
    counts: {
      keys: keys.length,
      attempts,
      effects: effects.length,
      confirmed: by.confirmed.length,
      notApplied: by['not-applied'].length,
      recovered: by.recovered.length,
      lost: by.lost.length,
      duplicated: by.duplicated.length,
      unexpected: by.unexpected.length,
    },
    flagged: judgements.filter((j) => j.verdict !== 'confirmed' && j.verdict !== 'not-applied'),
    finding,
  };
}
