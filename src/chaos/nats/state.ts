/**
 * What a NATS proxy keeps across its connections: the fault journal, the per-subject records, one
 * decider per toxic (so `first` / `every` count proxy-wide and each toxic has its own seeded
 * stream), each toxic's compiled attributes, and which subject each pending JetStream ack
 * subject belongs to (so an ack is counted, and matched by `drop_ack`, on its message's subject).
 */
import { BoundedLog, toNdjson } from '../http/bounded-log.js';
import type { JournalEntry } from '../journal.js';
import { PublishedCapture } from './capture.js';
import { createRng, type Rng } from '../rng.js';
import type { Toxic, ToxicSet } from '../toxic.js';
import { Decider, type DecisionValue } from '../http/decision.js';
import { isNatsMessageToxic, type CompiledNatsToxic } from './message-toxic.js';
import type { NatsDirection } from './parser.js';
import { SubjectRecords } from './records.js';

/**
 * One journaled decision: the HTTP journal's line shape (`path` holds the subject, `method` the
 * operation `PUB`/`HPUB`/`MSG`/`HMSG`, `requestId` is `<connection>.<n>` with n counting the
 * connection's messages in both directions) plus the message's identity, `direction` and `subject`.
 */
export interface NatsJournalEntry
  extends Pick<JournalEntry, 'seq' | 'time' | 'proxy' | 'toxic' | 'type' | 'requestId' | 'method' | 'path' | 'traceparent' | 'ordinal' | 'fired' | 'outcome'> {
  jsonrpcMethod: null;
  /** The message identity's join key (see identity.ts); null when it has none. */
  identity: string | null;
  traceId: string | null;
  idempotencyKey: null;
  /** How many times the proxy had carried the identity before (JetStream: delivery count − 1). */
  attempt: number;
  /** What a fired decision drew or applied: `{delayMs}`, `{copies}`; null otherwise. */
  value: DecisionValue | null;
  direction: NatsDirection;
  subject: string;
}

/** A NATS toxic ready to apply. */
export interface ActiveNatsToxic {
  readonly toxic: Toxic;
  readonly compiled: CompiledNatsToxic;
  readonly decider: Decider;
}

// Pending ack subjects (reply → message subject) and identities (→ attempts) remembered; the oldest are forgotten beyond this.
const ACK_MEMORY = 100_000;

/** The journal, records and decision state of one NATS proxy. */
export class NatsProxyState {
  readonly journal: BoundedLog<Omit<NatsJournalEntry, 'seq'>>;
  readonly records: SubjectRecords;
  /** What clients published, per subject, bounded (for checks that read message content). */
  readonly published: PublishedCapture;
  /** Connections reset because of a bug in the NATS layer (should stay 0), and the last such error. */
  internalErrors = 0;
  lastInternalError: unknown = undefined;
  private readonly ackSubjects = new Map<string, string>();
  private readonly deciders = new WeakMap<Toxic, Decider>();
  private readonly attempts = new Map<string, number>();
  private readonly compiled = new WeakMap<Toxic, { attributes: object; value: CompiledNatsToxic }>();

  constructor(
    readonly name: string,
    private readonly toxics: ToxicSet,
    private readonly rng: Rng,
    journalCapacity = 100_000,
  ) {
    this.journal = new BoundedLog(journalCapacity);
    this.records = new SubjectRecords(name);
    this.published = new PublishedCapture(name);
  }

  /** The proxy's NATS toxics in API order (upstream first, then downstream); [] on the fast path. */
  active(): ActiveNatsToxic[] {
    const out: ActiveNatsToxic[] = [];
    for (const toxic of this.toxics.list()) {
      if (!isNatsMessageToxic(toxic.definition)) continue;
      let c = this.compiled.get(toxic);
      // Updates replace `toxic.attributes` with a new object, so identity tells when to recompile.
      if (!c || c.attributes !== toxic.attributes) {
        c = { attributes: toxic.attributes, value: toxic.definition.compileNats(toxic.attributes) };
        this.compiled.set(toxic, c);
      }
      let decider = this.deciders.get(toxic);
      if (!decider) {
        decider = new Decider(this.rng.fork(`toxic:${toxic.name}`));
        this.deciders.set(toxic, decider);
      }
      out.push({ toxic, compiled: c.value, decider });
    }
    return out;
  }

  /**
   * The attempt of a message with identity `key`: how many messages with it this proxy carried
   * before (counted on every message, faulted or not, so removing a fault never shifts it).
   */
  nextAttempt(key: string): number {
    const seen = this.attempts.get(key);
    if (seen === undefined) {
      if (this.attempts.size >= ACK_MEMORY) this.attempts.delete(this.attempts.keys().next().value as string);
      this.attempts.set(key, 1);
      return 0;
    }
    this.attempts.set(key, seen + 1);
    return seen;
  }

  /** Remembers that ack subject `reply` acknowledges a message on `subject`. */
  rememberAck(reply: string, subject: string): void {
    if (this.ackSubjects.size >= ACK_MEMORY && !this.ackSubjects.has(reply)) {
      this.ackSubjects.delete(this.ackSubjects.keys().next().value as string);
    }
    this.ackSubjects.set(reply, subject);
  }

  /** The subject of the message `ackSubject` acknowledges, if the proxy carried it; `forget` once final. */
  ackedSubject(ackSubject: string, forget: boolean): string | undefined {
    const s = this.ackSubjects.get(ackSubject);
    if (forget) this.ackSubjects.delete(ackSubject);
    return s;
  }

  /** The journal as NDJSON, optionally only `seq > since`. */
  journalNdjson(since = 0): string {
    return toNdjson(this.journal.list(since));
  }

  /** Records a bug that cost one connection (reset instead of crashing the proxy). */
  noteInternalError(err: unknown): void {
    this.internalErrors++;
    this.lastInternalError = err;
  }
}

/** The owner (proxy) fields the NATS layer reads. */
export interface NatsStateOwner {
  readonly name: string;
  readonly toxics: ToxicSet;
  readonly rng?: Rng;
}

const states = new WeakMap<object, NatsProxyState>();

/** The {@link NatsProxyState} of a proxy, created on first use (decisions use the proxy's RNG when it has one). */
export function natsStateFor(owner: NatsStateOwner, fallbackSeed?: string): NatsProxyState {
  let state = states.get(owner);
  if (!state) {
    state = new NatsProxyState(owner.name, owner.toxics, owner.rng ?? createRng(fallbackSeed ?? `proxy:${owner.name}`));
    states.set(owner, state);
  }
  return state;
}

/** The {@link NatsProxyState} of a proxy if it ever carried a NATS connection, else undefined. */
export function existingNatsState(owner: object): NatsProxyState | undefined {
  return states.get(owner);
}
