/**
 * `journal.ndjson`, the fault journal of a run, saved in its report folder: one line per
 * message-level fault decision (fired or not) of every http edge, as the embedded proxy journaled
 * it, plus the scenario's edge id. The proxy keeps a bounded buffer, so a {@link JournalDrain}
 * reads it incrementally during the run (`GET /proxies/{p}/journal?since=<seq>`) and appends to
 * the file as it goes: a long run loses nothing, and a run that dies midway keeps what it had.
 * Independent of the hop-record evidence store (different file, different reader).
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentcheckError } from '../errors.js';
import { parseJournal, type JournalEntry } from '../chaos/journal.js';

/** The file name of the journal in a report folder. */
export const JOURNAL_FILE = 'journal.ndjson';

/** One line of `journal.ndjson`: a proxy journal entry and the scenario edge it was on (`from->to`). */
export type SavedJournalEntry = JournalEntry & { edge: string };

/** The http edges a drain reads. */
export interface DrainedEdge {
  edge: string;
  proxyName: string;
}

/** How often a running drain reads the proxies' journals; at 100,000 entries per proxy this never evicts below ~30k decisions/s. */
const DRAIN_INTERVAL_MS = 1000;

/**
 * Reads the proxies' journals as a run goes, appending each new entry to `journal.ndjson`.
 *
 * With a file, the entries are not also kept in memory while the run goes (one decision per
 * request per message toxic would grow with the run): {@link stop} reads the file back once, at
 * the end. Without a file, or after an append failed (the entries from then on are not in the
 * file), they are held in memory.
 */
export class JournalDrain {
  /** Entries the proxy evicted before they were read (a gap in `seq`); 0 unless the drain fell far behind. */
  lost = 0;
  private readonly since = new Map<string, number>();
  /** Entries not in the file: every entry without a file, else those read after an append failed. */
  private readonly held: SavedJournalEntry[] = [];
  private writing: boolean;
  /** Whether an append to the file succeeded (so it holds entries to read back). */
  private wroteAny = false;
  /** Every entry, once {@link stop} has read the file back. */
  private all: SavedJournalEntry[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private fileReady: Promise<void>;

  /**
   * @param apiUrl the embedded proxy's API base URL
   * @param file where to write; undefined keeps the entries in memory only
   */
  constructor(
    private readonly apiUrl: string,
    private readonly edges: readonly DrainedEdge[],
    private readonly file?: string,
  ) {
    this.writing = file !== undefined;
    this.fileReady = file
      ? mkdir(path.dirname(file), { recursive: true })
          .then(() => writeFile(file, ''))
          .catch(() => void (this.writing = false))
      : Promise.resolve();
  }

  /** Every entry read, in read order (per proxy, in journal order): all of them after {@link stop}, else those held in memory. */
  get entries(): SavedJournalEntry[] {
    return this.all ?? this.held;
  }

  /** Entries held in memory right now (none while a file takes them). */
  get heldInMemory(): number {
    return this.held.length;
  }

  /** Starts reading every second. */
  start(): this {
    this.timer = setInterval(() => void this.drain(), DRAIN_INTERVAL_MS);
    this.timer.unref();
    return this;
  }

  /** Reads what is new now (serialised: overlapping calls wait for each other). */
  drain(): Promise<void> {
    this.running = this.running.then(() => this.readAll()).catch(() => undefined);
    return this.running;
  }

  /** Stops the timer, reads the rest, and returns every entry (the file read back, then what it could not take). Safe to call twice. */
  async stop(): Promise<SavedJournalEntry[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.drain();
    if (this.all) return this.all;
    const saved = this.file && (this.writing || this.wroteAny) ? await readJournalFile(this.file).catch(() => []) : [];
    this.all = [...saved, ...this.held];
    this.held.length = 0;
    return this.all;
  }

  private async readAll(): Promise<void> {
    await this.fileReady;
    const batch: SavedJournalEntry[] = [];
    for (const { edge, proxyName } of this.edges) {
      const since = this.since.get(proxyName) ?? 0;
      const text = await fetchText(`${this.apiUrl}/proxies/${encodeURIComponent(proxyName)}/journal?since=${since}`);
      if (!text) continue;
      let last = since;
      for (const entry of parseJournal(text)) {
        if (entry.seq <= last) continue;
        this.lost += entry.seq - last - 1;
        last = entry.seq;
        batch.push({ ...entry, edge });
      }
      this.since.set(proxyName, last);
    }
    if (batch.length === 0) return;
    if (this.writing && this.file) {
      try {
        await appendFile(this.file, batch.map((e) => JSON.stringify(e) + '\n').join(''));
        this.wroteAny = true;
        return;
      } catch {
        // From here on the file is incomplete: keep the rest in memory, after what it holds.
        this.writing = false;
      }
    }
    this.held.push(...batch);
  }
}

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a saved journal. A missing file is a usage error (exit 2); a malformed line is a
 * configuration error naming `file:line`.
 */
export async function readJournalFile(file: string): Promise<SavedJournalEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AgentcheckError('usage', `cannot read the journal ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const out: SavedJournalEntry[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (err) {
      throw new AgentcheckError('config', `${file}:${i + 1}:1: not a JSON journal line: ${(err as Error).message}`);
    }
    const e = entry as Partial<SavedJournalEntry>;
    if (typeof e !== 'object' || e === null || typeof e.toxic !== 'string' || typeof e.fired !== 'boolean' || !('identity' in e)) {
      throw new AgentcheckError('config', `${file}:${i + 1}:1: not a journal line of this agentcheck version (needs toxic, fired, identity, attempt)`);
    }
    out.push(e as SavedJournalEntry);
  }
  return out;
}
