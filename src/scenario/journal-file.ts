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

/** Reads the proxies' journals as a run goes, appending each new entry to `journal.ndjson`. */
export class JournalDrain {
  /** Every entry read, in read order (per proxy, in journal order). */
  readonly entries: SavedJournalEntry[] = [];
  /** Entries the proxy evicted before they were read (a gap in `seq`); 0 unless the drain fell far behind. */
  lost = 0;
  private readonly since = new Map<string, number>();
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
    this.fileReady = file ? mkdir(path.dirname(file), { recursive: true }).then(() => writeFile(file, '')) : Promise.resolve();
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

  /** Stops the timer, reads the rest, and returns every entry. Safe to call twice. */
  async stop(): Promise<SavedJournalEntry[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.drain();
    return this.entries;
  }

  private async readAll(): Promise<void> {
    await this.fileReady;
    let lines = '';
    for (const { edge, proxyName } of this.edges) {
      const since = this.since.get(proxyName) ?? 0;
      const text = await fetchText(`${this.apiUrl}/proxies/${encodeURIComponent(proxyName)}/journal?since=${since}`);
      if (!text) continue;
      let last = since;
      for (const entry of parseJournal(text)) {
        if (entry.seq <= last) continue;
        this.lost += entry.seq - last - 1;
        last = entry.seq;
        const saved: SavedJournalEntry = { ...entry, edge };
        this.entries.push(saved);
        lines += JSON.stringify(saved) + '\n';
      }
      this.since.set(proxyName, last);
    }
    if (this.file && lines) await appendFile(this.file, lines);
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
