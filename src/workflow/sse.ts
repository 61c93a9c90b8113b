/**
 * An incremental Server-Sent Events reader (the WHATWG event-stream format): bytes in, the `data`
 * of each complete event out. Only `data` matters to the workflow engine (A2A streams carry one
 * JSON-RPC response per event); `event`, `id` and `retry` fields and comments are skipped.
 */
import { StringDecoder } from 'node:string_decoder';

/** Feeds event-stream bytes; returns the data of every event completed by them. */
export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private line = '';
  private data: string[] = [];
  private lastWasCr = false;

  feed(chunk: Buffer | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: string[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\n' && this.lastWasCr) {
        // The LF of a CRLF: the line already ended at the CR.
        this.lastWasCr = false;
        continue;
      }
      this.lastWasCr = c === '\r';
      if (c === '\n' || c === '\r') {
        this.endLine(out);
        continue;
      }
      this.line += c;
    }
    return out;
  }

  /** The data of an event left unterminated when the stream ended (servers often omit the last blank line). */
  end(): string[] {
    const out: string[] = [];
    if (this.line !== '') this.endLine(out);
    if (this.data.length > 0) {
      out.push(this.data.join('\n'));
      this.data = [];
    }
    return out;
  }

  private endLine(out: string[]): void {
    const line = this.line;
    this.line = '';
    if (line === '') {
      if (this.data.length > 0) out.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.data.push(value);
  }
}
