/**
 * Per-subject records of a NATS proxy: what it carried and did, per subject, since the proxy was
 * created. Served as NDJSON at `GET /proxies/{p}/records` (one line per subject, in the order
 * subjects were first seen) for a scenario's per-subject figures.
 *
 * Counts are of messages as the proxy read them, before its faults: `published` = PUB/HPUB from
 * clients, `delivered` = MSG/HMSG from the server (JetStream heartbeats and flow-control status
 * messages are not counted). JetStream acks are counted on the subject of the message they
 * acknowledge when the proxy carried its delivery, else on `$JS.ACK.<stream>.<consumer>`.
 * Request inboxes (`_INBOX.…`) are counted together as `_INBOX.>`.
 */
import { parseNdjson } from '../http/bounded-log.js';

/** One subject's figures. */
export interface SubjectRecord {
  proxy: string;
  subject: string;
  /** PUB/HPUB frames read from clients. */
  published: number;
  /** MSG/HMSG frames read from the server. */
  delivered: number;
  /** Messages the proxy did not forward (`drop`). */
  dropped: number;
  /** Extra copies the proxy sent (`duplicate`). */
  duplicated: number;
  /** Messages held by `delay`. */
  delayed: number;
  /** Messages that went through a `reorder` window. */
  reordered: number;
  /** Positive acks seen (`+ACK`, empty, `+NXT`). */
  acks: number;
  /** `-NAK`s seen. */
  naks: number;
  /** `+TERM`s seen. */
  terms: number;
  /** Acks the proxy swallowed (`drop_ack`). */
  acksDropped: number;
  /** Deliveries whose JetStream delivery count was above 1. */
  redeliveries: number;
  /** Consumer lag: the pending count of the latest JetStream delivery (null before one). */
  pending: number | null;
  /** The highest pending count seen. */
  maxPending: number | null;
}

/** Subjects tracked before the rest are counted under {@link OTHER_SUBJECTS}. */
export const MAX_SUBJECTS = 10_000;
/** The record that counts subjects beyond {@link MAX_SUBJECTS}. */
export const OTHER_SUBJECTS = '(other)';

/** The subject a message is counted under (inboxes folded together). */
export function recordSubject(subject: string): string {
  return subject.startsWith('_INBOX.') ? '_INBOX.>' : subject;
}

/** A proxy's per-subject records. */
export class SubjectRecords {
  private readonly bySubject = new Map<string, SubjectRecord>();

  constructor(private readonly proxy: string) {}

  /** The record of `subject` (created on first use). */
  of(subject: string): SubjectRecord {
    const key = recordSubject(subject);
    let r = this.bySubject.get(key);
    if (r) return r;
    const name = this.bySubject.size >= MAX_SUBJECTS ? OTHER_SUBJECTS : key;
    r = this.bySubject.get(name);
    if (r) return r;
    r = {
      proxy: this.proxy,
      subject: name,
      published: 0,
      delivered: 0,
      dropped: 0,
      duplicated: 0,
      delayed: 0,
      reordered: 0,
      acks: 0,
      naks: 0,
      terms: 0,
      acksDropped: 0,
      redeliveries: 0,
      pending: null,
      maxPending: null,
    };
    this.bySubject.set(name, r);
    return r;
  }

  /** Every record, in first-seen order (copies). */
  list(): SubjectRecord[] {
    return [...this.bySubject.values()].map((r) => ({ ...r }));
  }

  /** The records as NDJSON. */
  toNdjson(): string {
    let out = '';
    for (const r of this.bySubject.values()) out += JSON.stringify(r) + '\n';
    return out;
  }
}

/** Parses per-subject records fetched as NDJSON. */
export function parseSubjectRecords(ndjson: string): SubjectRecord[] {
  return parseNdjson<SubjectRecord>(ndjson);
}
