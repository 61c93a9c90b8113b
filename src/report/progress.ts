/**
 * Live progress of a run. On a terminal: one line redrawn in place, at most ~4 times a second (faster
 * is flicker, not information). Elsewhere (CI logs): plain lines at each phase change and every ~5 s,
 * because a log that is rewritten with `\r` is unreadable and one line per update floods it.
 */
import { sanitizeTerminal } from './escape.js';
import { formatCount, formatMs, formatRatio, NO_DATA } from './format.js';

/** Where progress goes: any writable stream (process.stderr, or a test sink). */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** True for a terminal (node's tty.WriteStream sets it). */
  isTTY?: boolean;
  /** Terminal width; lines are cut to fit so the in-place redraw never wraps. */
  columns?: number;
}

/** The state of a run at one moment. */
export interface ProgressSnapshot {
  /** Current phase name (or a stage such as `starting agents`). */
  phase: string;
  /** Milliseconds since the run's start. */
  elapsedMs: number;
  /** Planned length of the run, when known. */
  totalMs?: number;
  requests: number;
  errors: number;
  /** Current p99 latency in ms (of a recent window), or null with no samples yet. */
  p99Ms?: number | null;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  stream: ProgressStream;
  /** Redraw in place (default: `stream.isTTY`). */
  tty?: boolean;
  /** Least time between two redraws on a terminal, ms (default 250). */
  minRedrawMs?: number;
  /** Time between two status lines when not a terminal, ms (default 5000). */
  plainIntervalMs?: number;
  /** Clock in ms (default `performance.now`), injectable for tests. */
  now?: () => number;
}

/** A live progress display; call {@link Progress.update} as often as convenient (e.g. every 100 ms). */
export interface Progress {
  /** Records the latest state; draws it when due (always on a phase change). */
  update(snapshot: ProgressSnapshot): void;
  /** Prints a whole line (e.g. "agent payments started") without garbling the live line. */
  log(line: string): void;
  /** Draws the last state as a final line and stops; optional `message` is printed after it. Idempotent. */
  finish(message?: string): void;
}

/** Formats elapsed time for progress: `0:07`, `12:30`, `1:02:03`. */
export function formatClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function formatTime(s: ProgressSnapshot): string {
  return s.totalMs !== undefined && s.totalMs > 0 ? `${formatClock(s.elapsedMs)}/${formatClock(s.totalMs)}` : formatClock(s.elapsedMs);
}

function formatFigures(s: ProgressSnapshot, sep: string): string {
  const rate = s.requests > 0 ? ` (${formatRatio(s.errors / s.requests)})` : '';
  const p99 = s.p99Ms === undefined || s.p99Ms === null ? NO_DATA : formatMs(s.p99Ms);
  return [`${formatCount(s.requests)} req`, `${formatCount(s.errors)} err${rate}`, `p99 ${p99}`].join(sep);
}

/** One terminal status line: `phase  0:12/1:00  1,234 req  5 err (0.41 %)  p99 312 ms`. */
export function formatProgressLine(s: ProgressSnapshot): string {
  return `${sanitizeTerminal(s.phase)}  ${formatTime(s)}  ${formatFigures(s, '  ')}`;
}

const CLEAR_LINE = '\r\u001b[K';

/** Creates a live progress display on `stream` (see the module comment for the two modes). */
export function createProgress(options: ProgressOptions): Progress {
  const { stream } = options;
  const tty = options.tty ?? stream.isTTY === true;
  const minRedrawMs = options.minRedrawMs ?? 250;
  const plainIntervalMs = options.plainIntervalMs ?? 5000;
  const now = options.now ?? (() => performance.now());
  let last: ProgressSnapshot | undefined;
  let lastPhase: string | undefined;
  let lastDrawAt = -Infinity;
  let drawn = false;
  let finished = false;

  const write = (s: string): void => {
    try {
      stream.write(s);
    } catch {
      // A closed stdout (EPIPE, `| head`) must not abort the run it only reports on.
    }
  };
  const fitted = (line: string): string => {
    const cols = stream.columns;
    if (!tty || !cols || cols < 10) return line;
    const chars = [...line];
    return chars.length < cols ? line : `${chars.slice(0, cols - 2).join('')}…`;
  };
  const drawTty = (s: ProgressSnapshot): void => {
    write(`${CLEAR_LINE}${fitted(`▸ ${formatProgressLine(s)}`)}`);
    drawn = true;
  };

  return {
    update(snapshot) {
      if (finished) return;
      last = snapshot;
      const t = now();
      const phaseChanged = snapshot.phase !== lastPhase;
      if (tty) {
        if (phaseChanged || t - lastDrawAt >= minRedrawMs) {
          drawTty(snapshot);
          lastDrawAt = t;
        }
      } else if (phaseChanged) {
        write(`[${formatTime(snapshot)}] phase ${sanitizeTerminal(snapshot.phase)} · ${formatFigures(snapshot, ' · ')}\n`);
        lastDrawAt = t;
      } else if (t - lastDrawAt >= plainIntervalMs) {
        write(`[${formatTime(snapshot)}] ${sanitizeTerminal(snapshot.phase)} · ${formatFigures(snapshot, ' · ')}\n`);
        lastDrawAt = t;
      }
      lastPhase = snapshot.phase;
    },
    log(line) {
      if (finished) {
        write(`${sanitizeTerminal(line)}\n`);
        return;
      }
      if (tty && drawn) {
        write(`${CLEAR_LINE}${sanitizeTerminal(line)}\n`);
        if (last) drawTty(last);
      } else {
        write(`${sanitizeTerminal(line)}\n`);
      }
    },
    finish(message) {
      if (finished) return;
      finished = true;
      if (tty) {
        if (last) write(`${CLEAR_LINE}${fitted(`■ ${formatProgressLine(last)}`)}\n`);
        else if (drawn) write(CLEAR_LINE);
      } else if (last) {
        write(`[${formatTime(last)}] done · ${formatFigures(last, ' · ')}\n`);
      }
      if (message !== undefined) write(`${sanitizeTerminal(message)}\n`);
    },
  };
}
