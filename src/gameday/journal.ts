/**
 * The game day's journal, `journal.ndjson`: one JSON line per action, written synchronously as it
 * happens (a game day killed halfway still has every line up to the kill): experiment start and
 * end, each phase, each fault applied and removed, each abort condition that fired, each
 * measurement (steady state, during, after, recovery, budgets), each rollback step, the proxies'
 * restore check.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** The journal file's name in the game-day folder. */
export const GAMEDAY_JOURNAL_FILE = 'journal.ndjson';

/** What kind of action a line records. */
export type JournalKind =
  | 'gameday-start'
  | 'gameday-end'
  | 'experiment-start'
  | 'experiment-end'
  | 'team-start'
  | 'team-stop'
  | 'phase'
  | 'faults-applied'
  | 'faults-removed'
  | 'abort'
  | 'measurement'
  | 'rollback-step'
  | 'proxies-restored'
  | 'interrupt'
  | 'error';

/** One line of the journal. */
export interface JournalLine {
  /** Wall-clock time. */
  time: string;
  /** Milliseconds since the game day started. */
  atMs: number;
  kind: JournalKind;
  experiment?: string;
  /** The sweep cell, when the experiment sweeps. */
  cell?: string;
  /** Milliseconds on the experiment's load-driver clock (timeline actions). */
  runMs?: number;
  [field: string]: unknown;
}

/** Appends lines to `<dir>/journal.ndjson`; also keeps them for the report. */
export class GameDayJournal {
  readonly file: string;
  readonly lines: JournalLine[] = [];
  private readonly t0 = performance.now();

  constructor(
    dir: string,
    private readonly onLine?: (line: JournalLine) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, GAMEDAY_JOURNAL_FILE);
    appendFileSync(this.file, '');
  }

  /** Milliseconds since the journal opened. */
  now(): number {
    return Math.round(performance.now() - this.t0);
  }

  write(kind: JournalKind, fields: Omit<JournalLine, 'time' | 'atMs' | 'kind'> = {}): JournalLine {
    const line: JournalLine = { time: new Date().toISOString(), atMs: this.now(), kind, ...fields };
    this.lines.push(line);
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    this.onLine?.(line);
    return line;
  }
}
