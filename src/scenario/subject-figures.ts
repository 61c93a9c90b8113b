/**
 * A nats edge's per-subject figures for the report, from its proxy's per-subject records: the
 * subjects agents publish and consume, without the JetStream API, system and request-inbox
 * subjects a client library uses to talk to the server (they would bury the application's own).
 * Acks the proxy could not tie to a delivery it carried stay, under `$JS.ACK.<stream>.<consumer>`.
 */
import type { SubjectRecord } from '../chaos/nats/records.js';
import type { SubjectFigures } from '../report/model.js';

const CONTROL_PREFIXES = ['$JS.API.', '$JS.EVENT.', '$JS.FC.', '$SYS.', '$KV.', '$O.', '_INBOX.'];

/** True for a subject of the client library's own traffic with the server. */
export function isControlSubject(subject: string): boolean {
  return CONTROL_PREFIXES.some((p) => subject.startsWith(p));
}

/** The report rows of `records`, in the proxy's first-seen order. */
export function subjectFigures(records: readonly SubjectRecord[]): SubjectFigures[] {
  return records
    .filter((r) => !isControlSubject(r.subject))
    .map((r) => ({
      subject: r.subject,
      published: r.published,
      delivered: r.delivered,
      dropped: r.dropped,
      duplicated: r.duplicated,
      redeliveries: r.redeliveries,
      acks: r.acks,
      acksDropped: r.acksDropped,
      maxPending: r.maxPending,
    }));
}
