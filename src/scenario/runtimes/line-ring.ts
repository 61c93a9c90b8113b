/** Keeps the last `max` lines of a stream in memory (an agent's log tail for error messages). */
export class LineRing {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}
  /** Adds a chunk of text; a line is complete at its newline. */
  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }
  /** The last `n` lines, the unfinished one included. */
  tail(n: number): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-n).join('\n');
  }
}
