/**
 * An append-only in-memory log that keeps only the newest `capacity` entries, numbering each
 * entry so readers can page with "since" and see how many were evicted.
 */

/** A bounded, sequence-numbered log. */
export class BoundedLog<T> {
  private items: (T & { seq: number })[] = [];
  private head = 0;
  private nextSeq = 1;

  /** @param capacity newest entries kept (default 10,000); older ones are evicted and counted. */
  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  /** Appends `entry`, stamping it with the next sequence number. */
  append(entry: T): T & { seq: number } {
    const stamped = Object.assign({ seq: this.nextSeq++ }, entry);
    if (this.items.length < this.capacity) this.items.push(stamped);
    else {
      // Ring buffer: overwrite the oldest in place instead of shifting an array per append.
      this.items[this.head] = stamped;
      this.head = (this.head + 1) % this.capacity;
    }
    return stamped;
  }

  /** Entries kept, oldest first, optionally only those with `seq > since`. */
  list(since = 0): (T & { seq: number })[] {
    const ordered = this.head === 0 ? this.items.slice() : [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
    return since > 0 ? ordered.filter((e) => e.seq > since) : ordered;
  }

  /** How many entries were evicted because the log was full. */
  get evicted(): number {
    return this.nextSeq - 1 - this.items.length;
  }

  /** Number of entries kept. */
  get size(): number {
    return this.items.length;
  }

  /** Forgets every entry (sequence numbers keep increasing). */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** Serialises entries as NDJSON (one JSON object per line, each line ending in `\n`). */
export function toNdjson(entries: readonly object[]): string {
  let out = '';
  for (const e of entries) out += JSON.stringify(e) + '\n';
  return out;
}

/** Parses NDJSON text into objects, skipping blank lines. Throws on a malformed line. */
export function parseNdjson<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim()) out.push(JSON.parse(line) as T);
  }
  return out;
}
