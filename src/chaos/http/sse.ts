/**
 * Counting Server-Sent Events in a `text/event-stream` body as it streams, so a proxy can cut
 * a stream right after the N-th event. An event counts when a blank line ends a block that
 * had at least one `data` field: exactly when an EventSource client would dispatch one.
 */

/** True when a Content-Type names an event stream. */
export function isEventStream(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.toLowerCase().split(';')[0]?.trim() === 'text/event-stream';
}

/** An incremental SSE event counter over decoded body bytes. */
export class SseEventCounter {
  /** Events seen so far. */
  count = 0;
  private lineStart = true;
  private lineHasContent = false;
  private fieldName = '';
  private inName = true;
  private blockHasData = false;
  private lastWasCr = false;

  /**
   * Feeds `data`; returns the offset just past the byte that completed event number `limit`
   * (so `data.subarray(0, offset)` ends exactly after it), or -1 if it was not reached.
   */
  feed(data: Buffer, limit = Infinity): number {
    for (let i = 0; i < data.length; i++) {
      const c = data[i] as number;
      if (c === 10 && this.lastWasCr) {
        // The LF of a CRLF pair: the line already ended at the CR.
        this.lastWasCr = false;
        continue;
      }
      this.lastWasCr = c === 13;
      if (c === 10 || c === 13) {
        if (this.lineStart && !this.lineHasContent) {
          if (this.blockHasData) {
            this.count++;
            this.blockHasData = false;
            if (this.count >= limit) {
              // Include the LF of a CRLF terminator so the client sees a complete blank line.
              const next = data[i + 1];
              return c === 13 && next === 10 ? i + 2 : i + 1;
            }
          }
        } else if (this.fieldName === 'data') {
          this.blockHasData = true;
        }
        this.lineStart = true;
        this.lineHasContent = false;
        this.fieldName = '';
        this.inName = true;
        continue;
      }
      this.lineHasContent = true;
      this.lineStart = false;
      if (this.inName) {
        if (c === 58 /* : */) this.inName = false;
        // Only 'data' matters: five characters are enough to tell it apart from any longer name.
        else if (this.fieldName.length < 5) this.fieldName += String.fromCharCode(c);
      }
    }
    return -1;
  }
}
