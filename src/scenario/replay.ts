/**
 * Exact replay of a run's fault decisions (`agentcheck scenario run FILE --replay journal.ndjson`).
 * Every message fault of the scenario gets the toxic attribute `replay`: the fired decisions the
 * journal holds for it (request identity, hop attempt, drawn value), and fires on those and on
 * nothing else, with no roll. A fault whose decisions all have a request identity is installed
 * in every phase (its schedule says which requests, so its window no longer matters: a workflow
 * sent a little later than in the journaled run still gets its decision); one with decisions keyed
 * by match order (no identity) stays in its own phase. Stream faults (latency, timeout, … on
 * bytes) are applied as the scenario says: they are not per-request decisions and are not journaled.
 *
 * A replay is judged against the run it replays (the `report.json` next to the journal): same
 * verdict and, for a failure, at least one of the same failed checks, or it did not reproduce
 * (exit 4), never a plain PASS.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReplayDecision } from '../chaos/http/decision.js';
import type { RunReport, Verdict } from '../report/model.js';
import type { SavedJournalEntry } from './journal-file.js';
import type { Scenario, ScenarioFault } from './types.js';

/** The journaled decision as the `replay` attribute takes it. */
export function replayDecision(e: SavedJournalEntry): ReplayDecision {
  return {
    id: e.identity,
    attempt: e.attempt,
    ...(e.identity === null ? { ordinal: e.ordinal } : {}),
    ...(e.value ? { value: e.value } : {}),
  };
}

/**
 * `fault` replaying exactly `entries` (its fired journal lines): toxicity 1, no `first`/`every`/
 * `probability`/`only`, and the `replay` attribute.
 */
export function replayFault(fault: ScenarioFault, entries: readonly SavedJournalEntry[]): ScenarioFault {
  const { first: _first, every: _every, probability: _probability, ...rest } = fault;
  const { only: _only, replay: _replay, ...attributes } = fault.attributes;
  return { ...rest, toxicity: 1, attributes: { ...attributes, replay: entries.map(replayDecision) } };
}

/** The fired journal lines of one scenario fault (by toxic name and edge). */
export function firedFor(fault: ScenarioFault, journal: readonly SavedJournalEntry[]): SavedJournalEntry[] {
  return journal.filter((e) => e.fired && e.toxic === fault.name && (e.edge === undefined || e.edge === fault.edge));
}

/**
 * `scenario` with its message faults replaced by `replays` (fault name → journal lines to replay;
 * a message fault without an entry is removed), placed as the module comment says. Stream faults
 * are kept when `keepStream(fault)` says so.
 */
export function withReplayedFaults(scenario: Scenario, replays: ReadonlyMap<string, readonly SavedJournalEntry[]>, keepStream: (f: ScenarioFault) => boolean = () => true): Scenario {
  const nameCount = new Map<string, number>();
  for (const p of scenario.phases) for (const f of p.faults) nameCount.set(f.name, (nameCount.get(f.name) ?? 0) + 1);
  const everywhere: ScenarioFault[] = [];
  const own = new Map<ScenarioFault, ScenarioFault>();
  for (const p of scenario.phases) {
    for (const f of p.faults) {
      const entries = f.messageLevel ? replays.get(f.name) : undefined;
      if (!entries || entries.length === 0) continue;
      const replayed = replayFault(f, entries);
      if (nameCount.get(f.name) === 1 && entries.every((e) => e.identity !== null)) everywhere.push(replayed);
      else own.set(f, replayed);
    }
  }
  return {
    ...scenario,
    phases: scenario.phases.map((p) => ({
      ...p,
      faults: [...everywhere, ...p.faults.flatMap((f) => (f.messageLevel ? (own.has(f) ? [own.get(f)!] : []) : keepStream(f) ? [f] : []))],
    })),
  };
}

/** The scenario with every message fault replaying exactly its journaled decisions, and nothing else. */
export function scenarioForReplay(scenario: Scenario, journal: readonly SavedJournalEntry[]): Scenario {
  const replays = new Map<string, SavedJournalEntry[]>();
  for (const p of scenario.phases) for (const f of p.faults) if (f.messageLevel) replays.set(f.name, firedFor(f, journal));
  return withReplayedFaults(scenario, replays);
}

/** The checks a report failed, by name, to recognise "the same failure" in a rerun. */
export function failedChecks(report: Pick<RunReport, 'invariants' | 'budgets' | 'agents'>): Set<string> {
  const names = new Set<string>();
  for (const i of report.invariants) if (i.status === 'fail') names.add(`invariant:${i.name}`);
  for (const b of report.budgets) if (b.status === 'fail') names.add(`budget:${b.metric}:${b.expression}:${b.scope}`);
  for (const a of report.agents) if (a.status === 'crashed') names.add(`crash:${a.name}`);
  return names;
}

/** What the replayed run had: its verdict, failed checks and seed (from the report.json next to the journal). */
export interface ReplayOrigin {
  verdict: Verdict;
  failed: string[];
  seed?: string;
  /** Where this was read from. */
  report: string;
}

/** Reads the original run's verdict next to `journalFile`; undefined when there is no readable report.json there. */
export async function readReplayOrigin(journalFile: string): Promise<ReplayOrigin | undefined> {
  const file = path.join(path.dirname(path.resolve(journalFile)), 'report.json');
  try {
    const report = JSON.parse(await readFile(file, 'utf8')) as RunReport;
    if (typeof report.verdict !== 'string' || !Array.isArray(report.invariants)) return undefined;
    return { verdict: report.verdict, failed: [...failedChecks({ invariants: report.invariants, budgets: report.budgets ?? [], agents: report.agents ?? [] })], ...(report.seed !== undefined ? { seed: report.seed } : {}), report: file };
  } catch {
    return undefined;
  }
}

/** Whether a replay reproduced its origin, and the sentence that says so. */
export interface ReplayJudgement {
  reproduced: boolean;
  message: string;
}

/**
 * Judges a replay: reproduced when the verdict is the same and, for a failure, at least one of the
 * originally failed checks failed again.
 */
export function judgeReplay(origin: ReplayOrigin, replay: Pick<RunReport, 'verdict' | 'invariants' | 'budgets' | 'agents'>): ReplayJudgement {
  const now = failedChecks(replay);
  const common = origin.failed.filter((c) => now.has(c));
  const was = `${origin.verdict.toUpperCase()}${origin.failed.length > 0 ? ` (${origin.failed.join(', ')})` : ''}`;
  const is = `${replay.verdict.toUpperCase()}${now.size > 0 ? ` (${[...now].join(', ')})` : ''}`;
  if (replay.verdict === origin.verdict && (origin.verdict !== 'fail' || common.length > 0)) {
    return { reproduced: true, message: `reproduced: the replay ended ${is}, as the journaled run did` };
  }
  return { reproduced: false, message: `did not reproduce: the journaled run ended ${was}, this replay of its fault decisions ended ${is}` };
}

/** Quotes one shell word when it needs it. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The one command that replays a run: the scenario file, its seed and its journal. */
export function replayCommand(scenarioFile: string, seed: string, journalFile: string): string {
  return ['agentcheck', 'scenario', 'run', scenarioFile, '--seed', seed, '--replay', journalFile].map(shellWord).join(' ');
}
