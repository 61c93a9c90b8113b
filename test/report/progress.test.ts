import { describe, expect, it } from 'vitest';
import { createProgress, formatClock, formatProgressLine, type ProgressSnapshot } from '../../src/report/progress.js';

class Sink {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const snap = (phase: string, elapsedMs: number, requests = 0, errors = 0, p99Ms: number | null = null): ProgressSnapshot => ({
  phase,
  elapsedMs,
  totalMs: 60_000,
  requests,
  errors,
  p99Ms,
});

describe('progress on a terminal', () => {
  it('redraws one line in place at most every 250 ms, and at once on a phase change', () => {
    const sink = new Sink(true, 120);
    const c = clock();
    const p = createProgress({ stream: sink, now: c.now });
    // 100 updates 10 ms apart = 1 s: at most 1 + 1000/250 draws, plus the phase change.
    for (let i = 0; i < 100; i++) {
      p.update(snap(i < 50 ? 'baseline' : 'fault', i * 10, i * 3, i === 99 ? 2 : 0, 40 + i));
      c.advance(10);
    }
    const draws = sink.chunks.filter((s) => s.startsWith('\r\u001b[K'));
    expect(draws.length).toBeGreaterThanOrEqual(3);
    expect(draws.length).toBeLessThanOrEqual(7);
    expect(sink.text).not.toContain('\n');
    expect(draws.some((d) => d.includes('▸ fault'))).toBe(true);
    p.finish('reports in .agentcheck/runs/x');
    expect(sink.chunks.at(-2)).toBe('\r\u001b[K■ fault  0:00/1:00  297 req  2 err (0.67 %)  p99 139 ms\n');
    expect(sink.chunks.at(-1)).toBe('reports in .agentcheck/runs/x\n');
    // Finished: further calls draw nothing.
    const n = sink.chunks.length;
    p.update(snap('late', 1));
    p.finish();
    expect(sink.chunks.length).toBe(n);
  });

  it('log() prints a whole line above the live line and redraws it', () => {
    const sink = new Sink(true, 120);
    const p = createProgress({ stream: sink, now: clock().now });
    p.update(snap('baseline', 1000, 10));
    p.log('agent payments crashed');
    expect(sink.chunks.slice(-2)).toEqual(['\r\u001b[Kagent payments crashed\n', '\r\u001b[K▸ baseline  0:01/1:00  10 req  0 err (0 %)  p99 –']);
  });

  it('cuts the line to the terminal width so the redraw never wraps, and strips escape sequences from names', () => {
    const sink = new Sink(true, 30);
    const p = createProgress({ stream: sink, now: clock().now });
    p.update(snap('\u001b[2Jvery-long-phase-name-that-goes-on', 0));
    const line = (sink.chunks[0] ?? '').slice('\r\u001b[K'.length);
    expect([...line].length).toBeLessThan(30);
    expect(line.endsWith('…')).toBe(true);
    expect(line).not.toContain('\u001b');
  });
});

describe('progress in CI (not a terminal)', () => {
  it('prints a line per phase change and every 5 s, never carriage returns', () => {
    const sink = new Sink(false);
    const c = clock();
    const p = createProgress({ stream: sink, now: c.now });
    // 30 s of updates every 100 ms; phases change at 0 s and 20 s.
    for (let t = 0; t < 30_000; t += 100) {
      p.update(snap(t < 20_000 ? 'baseline' : 'latency-on-payments', t, t / 10, 0, 50));
      c.advance(100);
    }
    p.finish();
    const lines = sink.text.split('\n').filter(Boolean);
    expect(sink.text).not.toContain('\r');
    expect(lines[0]).toBe('[0:00/1:00] phase baseline · 0 req · 0 err · p99 50.0 ms');
    expect(lines.filter((l) => l.includes('] phase '))).toHaveLength(2);
    expect(lines).toContain('[0:20/1:00] phase latency-on-payments · 2,000 req · 0 err (0 %) · p99 50.0 ms');
    // Status lines at 5, 10, 15 s in baseline and 25 s in the second phase.
    expect(lines.filter((l) => !l.includes('] phase ') && !l.includes('] done'))).toHaveLength(4);
    expect(lines.at(-1)).toBe('[0:29/1:00] done · 2,990 req · 0 err (0 %) · p99 50.0 ms');
  });

  it('isTTY from the stream decides the mode unless overridden', () => {
    const sink = new Sink(false);
    const p = createProgress({ stream: sink, tty: true, now: clock().now });
    p.update(snap('x', 0));
    expect(sink.chunks[0]?.startsWith('\r')).toBe(true);
  });

  it('a stream that throws (closed stdout) does not break the run', () => {
    const p = createProgress({
      stream: {
        write() {
          throw new Error('EPIPE');
        },
      },
    });
    expect(() => {
      p.update(snap('x', 0));
      p.log('y');
      p.finish('z');
    }).not.toThrow();
  });
});

describe('formatting', () => {
  it('formats the clock and the line', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(65_400)).toBe('1:05');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatProgressLine({ phase: 'p', elapsedMs: 12_000, requests: 1234, errors: 5, p99Ms: 312 })).toBe('p  0:12  1,234 req  5 err (0.41 %)  p99 312 ms');
  });
});
