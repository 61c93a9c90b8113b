/**
 * An operation history in the Jepsen style: every attempt is an `invoke` followed by exactly one
 * completion — `ok` (it happened), `fail` (it definitely did not) or `info` (unknown: timed out,
 * connection cut). The exactly-once checker reads it next to the effects the system recorded.
 */

/** What an event says about an operation: started, happened, definitely did not, or unknown. */
export type HistoryEventType = 'invoke' | 'ok' | 'fail' | 'info';

/** One event of a {@link History}. */
export interface HistoryEvent {
  type: HistoryEventType;
  /** The operation (attempt) this event belongs to; an `invoke` and its completion share it. */
  op: number;
  /** The idempotency key (or business key) the attempt carried. */
  key: string;
  /** Milliseconds from the clock the history was built with. */
  time: number;
  /** Free-form note: a status code, an error message. */
  note?: string;
}

/** The outcome of one key's attempts, as the exactly-once checker sees them. */
export interface KeyOutcome {
  key: string;
  attempts: number;
  ok: number;
  fail: number;
  /** Unknown outcomes, including invokes that never completed. */
  info: number;
}

/**
 * Records invoke / ok / fail / info per operation. Completing an operation twice, or one that was
 * never invoked, throws: a history that breaks that rule would make every verdict meaningless.
 */
export class History {
  private readonly list: HistoryEvent[] = [];
  private readonly open = new Map<number, string>();
  private readonly closed = new Set<number>();
  private nextOp = 1;

  /** @param now - the clock for event times (default `performance.now`). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records the start of an attempt with `key`; returns the operation id to complete it with. */
  invoke(key: string, note?: string): number {
    const op = this.nextOp++;
    this.open.set(op, key);
    this.push('invoke', op, key, note);
    return op;
  }

  /** The attempt happened (acknowledged). */
  ok(op: number, note?: string): void {
    this.complete('ok', op, note);
  }

  /** The attempt definitely did not happen (a definite rejection). */
  fail(op: number, note?: string): void {
    this.complete('fail', op, note);
  }

  /** The attempt's outcome is unknown (timeout, connection cut, 5xx after the request was sent). */
  info(op: number, note?: string): void {
    this.complete('info', op, note);
  }

  /** Every event in the order recorded. */
  get events(): readonly HistoryEvent[] {
    return this.list;
  }

  /** Operations invoked but not completed yet (they count as `info`). */
  get pending(): number {
    return this.open.size;
  }

  private complete(type: Exclude<HistoryEventType, 'invoke'>, op: number, note?: string): void {
    const key = this.open.get(op);
    if (key === undefined) {
      throw new Error(
        this.closed.has(op) ? `operation ${op} was already completed` : `operation ${op} was never invoked`,
      );
    }
    this.open.delete(op);
    this.closed.add(op);
    this.push(type, op, key, note);
  }

  private push(type: HistoryEventType, op: number, key: string, note?: string): void {
    const event: HistoryEvent = { type, op, key, time: this.now() };
    if (note !== undefined) event.note = note;
    this.list.push(event);
  }
}

/**
 * Folds a history (a {@link History} or its events) into one outcome per key. An invoke with no
 * completion counts as `info`: its effect may or may not have happened.
 */
export function outcomesByKey(history: History | readonly HistoryEvent[]): Map<string, KeyOutcome> {
  const events = history instanceof History ? history.events : history;
  const out = new Map<string, KeyOutcome>();
  const completed = new Set<number>();
  const invoked = new Map<number, string>();
  const at = (key: string): KeyOutcome => {
    let o = out.get(key);
    if (!o) {
      o = { key, attempts: 0, ok: 0, fail: 0, info: 0 };
      out.set(key, o);
    }
    return o;
  };
  for (const e of events) {
    if (e.type === 'invoke') {
      invoked.set(e.op, e.key);
      at(e.key).attempts++;
      continue;
    }
    if (completed.has(e.op)) continue;
    completed.add(e.op);
    at(e.key)[e.type]++;
  }
  for (const [op, key] of invoked) if (!completed.has(op)) at(key).info++;
  return out;
}
