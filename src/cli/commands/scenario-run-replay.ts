/**
 * The reproducibility side of `agentcheck scenario run`: `--replay <journal>` (apply exactly the
 * journaled fault decisions, and say whether the failure reproduced), the one replay command every
 * failing run prints, and `--shrink` (scenario/shrink.ts) with its CLI output.
 */
import path from 'node:path';
import { AgentcheckError } from '../../errors.js';
import type { RunReport } from '../../report/model.js';
import { JOURNAL_FILE, readJournalFile, type SavedJournalEntry } from '../../scenario/journal-file.js';
import { judgeReplay, readReplayOrigin, replayCommand, scenarioForReplay, type ReplayOrigin } from '../../scenario/replay.js';
import { runScenarioDetailed } from '../../scenario/runner.js';
import type { Scenario } from '../../scenario/types.js';

/** A `--replay` about to run: the scenario with the journal's decisions, the seed, and what the journaled run ended as. */
export interface PreparedReplay {
  journal: string;
  scenario: Scenario;
  seed: string;
  origin?: ReplayOrigin;
}

/**
 * Reads the journal (and the report.json next to it) and builds the scenario that replays it.
 * The seed is the one given, else the journaled run's, else the scenario's: identities are made
 * from it, so a replay under another seed would match nothing.
 */
export async function prepareReplay(scenario: Scenario, journalFile: string, seed: string | undefined): Promise<PreparedReplay> {
  const journal = path.resolve(journalFile);
  const entries: SavedJournalEntry[] = await readJournalFile(journal);
  const origin = await readReplayOrigin(journal);
  const names = new Set(scenario.phases.flatMap((p) => p.faults.map((f) => f.name)));
  const unknown = [...new Set(entries.filter((e) => e.fired && !names.has(e.toxic)).map((e) => e.toxic))];
  if (unknown.length > 0) {
    throw new AgentcheckError('usage', `the journal ${journal} has decisions of faults this scenario does not have (${unknown.join(', ')})`, 'replay a journal with the scenario file of the run that wrote it');
  }
  const chosen = seed ?? origin?.seed ?? scenario.seed;
  if (chosen === undefined) {
    throw new AgentcheckError('usage', `--replay needs the seed of the journaled run: no report.json next to ${journal} and no seed in the scenario`, 'add --seed <the seed the run printed>');
  }
  if (origin?.seed !== undefined && seed !== undefined && seed !== origin.seed) {
    throw new AgentcheckError('usage', `--seed ${seed} differs from the journaled run's seed ${origin.seed}: request identities come from the seed, so nothing would match`);
  }
  return { journal, scenario: scenarioForReplay(scenario, entries), seed: chosen, ...(origin ? { origin } : {}) };
}

/**
 * Judges a finished replay against the journaled run and rewrites its report: a replay that did
 * not end as the original did (or cannot be compared) is `invalid` (exit 4), never a plain pass.
 */
export function finishReplay(report: RunReport, prepared: PreparedReplay, outDir: string): void {
  const origin = prepared.origin;
  if (report.verdict === 'aborted' || report.verdict === 'error') return;
  if (!origin) {
    report.reasons = [`cannot tell whether this replay reproduced: no report.json next to ${prepared.journal} says how the journaled run ended`, ...report.reasons];
    report.verdict = 'invalid';
    return;
  }
  const judged = judgeReplay(origin, report);
  report.replay = { ...(report.replay ?? { journal: path.join(outDir, JOURNAL_FILE), seed: prepared.seed }), of: { journal: prepared.journal, verdict: origin.verdict, failed: origin.failed, reproduced: judged.reproduced, message: judged.message } };
  if (judged.reproduced) report.reasons = [...report.reasons, judged.message];
  else {
    report.reasons = [judged.message, ...report.reasons];
    report.verdict = 'invalid';
  }
}

/** Sets `report.replay` (the one command that replays this run) on a failed run. */
export function attachReplayCommand(report: RunReport, scenarioFile: string, outDir: string): string | undefined {
  if (report.verdict !== 'fail' || report.seed === undefined) return undefined;
  const journal = path.join(outDir, JOURNAL_FILE);
  const command = replayCommand(path.resolve(scenarioFile), report.seed, journal);
  report.replay = { ...(report.replay ?? {}), command, journal, seed: report.seed };
  return command;
}

/** `--shrink`: shrinks the failed run (scenario/shrink.ts) and prints what it found; the run's exit code stands. */
export async function shrinkFailedRun(scenario: Scenario, report: RunReport, outDir: string, shrinkFlag: boolean | string, signal: AbortSignal): Promise<void> {
  const maxReruns = typeof shrinkFlag === 'string' ? Number(shrinkFlag) : 30;
  if (!Number.isInteger(maxReruns) || maxReruns < 7) throw new AgentcheckError('usage', `--shrink expects a number of reruns of at least 7 (2 replays, a search, 3 checks of the result), got '${shrinkFlag}'`);
  const { faultDecisions, describeDecision, shrinkRun } = await import('../../scenario/shrink.js');
  const journal = await readJournalFile(path.join(outDir, JOURNAL_FILE));
  const out = process.stdout;
  const decisions = faultDecisions(scenario, journal);
  out.write(`shrinking: ${decisions.length} fault decision(s), at most ${maxReruns} reruns; each is an exact replay of a subset\n`);
  const result = await shrinkRun(
    scenario,
    report,
    journal,
    outDir,
    async (s, label) => {
      if (signal.aborted) return { ...report, verdict: 'aborted' };
      return (await runScenarioDetailed(s, { outDir: path.join(outDir, 'shrink', label), ...(report.seed !== undefined ? { seed: report.seed } : {}), signal })).report;
    },
    { maxReruns, log: (line) => out.write(`${line}\n`) },
  );
  if (!result.reproduced) {
    out.write(
      `shrinking: the failure did not reproduce under exact replay of its own fault decisions (${result.reproductions.failed} of ${result.reproductions.runs} replays failed): it depends on timing rather than on the fault decisions, so there is nothing to shrink (${result.reruns} reruns, ${(result.elapsedMs / 1000).toFixed(1)} s)\n`,
    );
    return;
  }
  if (result.failsWithout) {
    out.write(`shrinking: the run fails the same way with none of its ${decisions.length} fault decisions: the failure does not depend on the faults (a busy machine, or a bug without faults)\n`);
  } else {
    const claim = result.oneMinimal ? '1-minimal: removing any one of them, or all, passes' : result.exhausted ? 'not proven 1-minimal: the rerun budget ran out' : 'not proven 1-minimal';
    out.write(`shrinking: ${result.minimal.length} of ${decisions.length} fault decision(s) still fail ${result.target.join(', ')} (${claim}):\n`);
    for (const d of result.minimal) out.write(`  - ${describeDecision(d)}\n`);
  }
  if (result.workload) out.write(`  ${result.workload}\n`);
  const verified = result.verified!;
  out.write(`shrunk scenario: ${result.file} (with journal.ndjson and report.json); run from another folder it failed the same way ${verified.failed}/${verified.runs}\n`);
  out.write(`shrinking took ${result.reruns} reruns, ${(result.elapsedMs / 1000).toFixed(1)} s\n`);
}
