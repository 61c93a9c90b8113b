/**
 * A bounded capture of the messages clients published through a NATS proxy, per subject: what an
 * agent really put on the bus during a run, for checks that read message content (Pact message
 * contracts). Only application publishes are kept: JetStream acks, JetStream API calls (`$JS.…`),
 * system subjects (`$SYS.…`) and request inboxes are not. Served as NDJSON at
 * `GET /proxies/{p}/messages` (`?subject=` takes a NATS wildcard pattern).
 *
 * Bounds: the last {@link PER_SUBJECT} messages of each subject, up to {@link MAX_CAPTURED_SUBJECTS}
 * subjects (later subjects are counted, not kept), bodies cut at {@link MAX_BODY_BYTES}, and
 * {@link MAX_TOTAL_BYTES} of bodies and headers in all (the oldest message overall goes first).
 */

/** Messages kept per subject. */
export const PER_SUBJECT = 100;
/** Subjects with kept messages. */
export const MAX_CAPTURED_SUBJECTS = 1000;
/** Bytes of one body kept. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Bytes of one header block kept (a longer block is kept as no headers). */
export const MAX_HEADER_BYTES = 8 * 1024;
/** Bytes of bodies and header blocks kept in all. */
export const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

/** One captured publish. */
export interface PublishedMessage {
  proxy: string;
  /** Order of capture on this proxy, from 1. */
  seq: number;
  /** ISO time the proxy read it. */
  time: string;
  subject: string;
  /** Headers in order, names as sent; [] for PUB. */
  headers: Array<[string, string]>;
  /** The payload as UTF-8 text (cut at {@link MAX_BODY_BYTES}). */
  body: string;
  /** Payload bytes as sent. */
  bytes: number;
  /** The body was cut. */
  truncated: boolean;
}

// Kept as bytes, rendered when read: the capture runs on every publish, reads are rare.
interface Kept {
  seq: number;
  timeMs: number;
  subject: string;
  /** The header block's bytes (`NATS/1.0…`), null for PUB. */
  headerBlock: Buffer | null;
  body: Buffer;
  bytes: number;
  /** Bytes this entry holds (body and header block). */
  size: number;
  evicted: boolean;
}

const EMPTY = Buffer.alloc(0);

function parseHeaderBlock(block: Buffer | null): Array<[string, string]> {
  if (!block) return [];
  const out: Array<[string, string]> = [];
  for (const line of block.toString('utf8').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** True for a publish that is the client library's talk with the server, not an application message. */
export function isControlPublish(subject: string): boolean {
  return subject.startsWith('$JS.') || subject.startsWith('$SYS.') || subject.startsWith('_INBOX.');
}

/** Per-subject rings of published messages under one global byte budget. */
export class PublishedCapture {
  private readonly bySubject = new Map<string, Kept[]>();
  /** Every kept message in capture order (evicted ones are skipped lazily). */
  private order: Kept[] = [];
  private live = 0;
  private head = 0;
  private totalBytes = 0;
  private seq = 0;
  /** Publishes not kept because {@link MAX_CAPTURED_SUBJECTS} subjects already had messages. */
  uncapturedSubjects = 0;

  constructor(
    private readonly proxy: string,
    private readonly limits = { perSubject: PER_SUBJECT, subjects: MAX_CAPTURED_SUBJECTS, bodyBytes: MAX_BODY_BYTES, totalBytes: MAX_TOTAL_BYTES },
  ) {}

  /** Keeps one publish (`headerBlock` and `payload` are copied, not retained). */
  add(subject: string, headerBlock: Buffer | null, payload: Buffer, now = Date.now()): void {
    if (isControlPublish(subject)) return;
    let ring = this.bySubject.get(subject);
    if (!ring) {
      if (this.bySubject.size >= this.limits.subjects) {
        this.uncapturedSubjects++;
        return;
      }
      ring = [];
      this.bySubject.set(subject, ring);
    }
    const kept: Kept = {
      seq: ++this.seq,
      timeMs: now,
      subject,
      headerBlock: headerBlock && headerBlock.length > 0 && headerBlock.length <= MAX_HEADER_BYTES ? Buffer.from(headerBlock) : null,
      body: Buffer.from(payload.subarray(0, this.limits.bodyBytes)),
      bytes: payload.length,
      size: 0,
      evicted: false,
    };
    kept.size = kept.body.length + (kept.headerBlock?.length ?? 0);
    ring.push(kept);
    this.order.push(kept);
    this.totalBytes += kept.size;
    this.live++;
    if (ring.length > this.limits.perSubject) this.evict(ring.shift()!);
    while (this.totalBytes > this.limits.totalBytes && this.head < this.order.length) {
      const oldest = this.order[this.head++]!;
      if (oldest.evicted) continue;
      const r = this.bySubject.get(oldest.subject)!;
      // The oldest message overall is also the oldest of its subject.
      r.shift();
      this.evict(oldest);
    }
    while (this.head < this.order.length && this.order[this.head]!.evicted) this.head++;
    // Entries a subject's own ring evicted stay behind older live ones: compact now and then, so
    // the list holds at most about twice the live entries.
    if (this.order.length - this.head > 2 * this.live + 1024) {
      this.order = this.order.filter((k, i) => i >= this.head && !k.evicted);
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Kept messages (all, or those whose subject `matches`), in capture order (copies). */
  list(matches: (subject: string) => boolean = () => true): PublishedMessage[] {
    const out: PublishedMessage[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const k = this.order[i]!;
      if (k.evicted || !matches(k.subject)) continue;
      out.push({
        proxy: this.proxy,
        seq: k.seq,
        time: new Date(k.timeMs).toISOString(),
        subject: k.subject,
        headers: parseHeaderBlock(k.headerBlock),
        body: k.body.toString('utf8'),
        bytes: k.bytes,
        truncated: k.bytes > k.body.length,
      });
    }
    return out;
  }

  private evict(k: Kept): void {
    if (k.evicted) return;
    k.evicted = true;
    this.live--;
    this.totalBytes -= k.size;
    // The entry may wait in the order list a while: it holds no bytes meanwhile.
    k.body = EMPTY;
    k.headerBlock = null;
  }
}
