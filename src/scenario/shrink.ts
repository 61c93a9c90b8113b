/**
 * Shrinking a failed scenario run (`agentcheck scenario run --shrink`) to a small regression file,
 * every step judged by an exact replay (replay.ts), never by match numbers:
 *
 * 1. The failure must reproduce under exact replay of all its journaled decisions, twice by
 *    default. If it does not, it depends on timing rather than on the fault decisions: say so, stop.
 * 2. Delta debugging (ddmin.ts) over the fired message decisions (each one request identity and
 *    attempt) and the stream faults (each kept or dropped whole): the empty set first, then one
 *    well-placed singleton (a failure one decision causes is found at once), then halvings.
 *    "1-minimal" is claimed only when every single removal was tested.
 * 3. The workload: the phases after the last decision that matters are cut, that phase is cut
 *    shortly after the decision, and the warm-up is dropped, if the failure still reproduces.
 *    Identities come from the seed and the workflow sequence, so the seed is kept and only the
 *    tail is cut (a lower rate would move the same workflow later, not make the file shorter).
 * 4. The result is written with every relative path resolved (agent commands and their script
 *    arguments, cwd, builds, command invariants), the seed and the replay schedule inside, and
 *    is run 3 times from another folder to say how often it reproduces.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { RunReport } from '../report/model.js';
import { ddmin } from './ddmin.js';
import { JOURNAL_FILE, type SavedJournalEntry } from './journal-file.js';
import { failedChecks, firedFor, withReplayedFaults } from './replay.js';
import type { Scenario, ScenarioFault, ScenarioPhase } from './types.js';

export { failedChecks } from './replay.js';

/** One fault decision of a run: a fired message decision (one request), or a stream fault for its whole phase. */
export interface FaultDecision {
  phase: string;
  /** The fault's (toxic's) name, unique in the scenario. */
  fault: string;
  edge: string;
  type: string;
  /** The journal line of a message decision; absent for a stream fault. */
  entry?: SavedJournalEntry;
}

/** The fault decisions of a run: every fired message decision of the journal, and every stream fault. */
export function faultDecisions(scenario: Scenario, journal: readonly SavedJournalEntry[]): FaultDecision[] {
  const out: FaultDecision[] = [];
  for (const phase of scenario.phases) {
    for (const fault of phase.faults) {
      const base = { phase: phase.name, fault: fault.name, edge: fault.edge, type: fault.type };
      if (!fault.messageLevel) out.push(base);
      else for (const entry of firedFor(fault, journal)) out.push({ ...base, entry });
    }
  }
  return out;
}

/**
 * The checks a rerun must fail (at least one of) to be "the same failure": the failed invariants
 * and crashed agents when there are any, since a latency budget can also fail from a busy machine
 * and would make every rerun look like a reproduction; the failed budgets otherwise.
 */
export function shrinkTarget(report: RunReport): Set<string> {
  const all = failedChecks(report);
  const correctness = [...all].filter((c) => !c.startsWith('budget:'));
  return correctness.length > 0 ? new Set(correctness) : all;
}

/** One line naming a decision, for the CLI. */
export function describeDecision(d: FaultDecision): string {
  if (!d.entry) return `${d.type} on ${d.edge} for all of phase ${d.phase}`;
  const e = d.entry;
  const who = e.identity === null ? `match #${e.ordinal} (no identity)` : `${e.method} ${e.path}${e.traceId ? ` trace ${e.traceId}` : ''}${e.attempt > 0 ? ` attempt ${e.attempt}` : ''}`;
  return `${e.outcome} on ${d.edge} in ${d.phase}: ${who}`;
}

/** The scenario with only `decisions` as faults: message faults replay exactly theirs (replay.ts), stream faults are kept whole. */
export function scenarioWithDecisions(scenario: Scenario, decisions: readonly FaultDecision[]): Scenario {
  const replays = new Map<string, SavedJournalEntry[]>();
  for (const d of decisions) if (d.entry) replays.set(d.fault, [...(replays.get(d.fault) ?? []), d.entry]);
  const streams = new Set(decisions.filter((d) => !d.entry).map((d) => `${d.phase}/${d.fault}`));
  return withReplayedFaults(scenario, replays, (f) => scenario.phases.some((p) => p.faults.includes(f) && streams.has(`${p.name}/${f.name}`)));
}

/** A rerun: runs `scenario` (in a folder named `label`) with the original seed and returns its report. */
export type Rerun = (scenario: Scenario, label: string) => Promise<RunReport>;

/** Options of {@link shrinkRun}. */
export interface ShrinkRunOptions {
  /** Most reruns in all, the reproduction and verification runs included (default 30). */
  maxReruns?: number;
  /** Exact replays of the whole schedule that must fail before shrinking (default 2). */
  reproduceRuns?: number;
  /** Runs of the written file from another folder (default 3). */
  verifyRuns?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What {@link shrinkRun} found. */
export interface ShrinkOutcome {
  /** The failed checks a rerun had to fail (at least one of) to count as the same failure. */
  target: string[];
  decisions: FaultDecision[];
  /** False when the full schedule did not fail under exact replay every time: nothing was shrunk. */
  reproduced: boolean;
  /** How many of the reproduction replays failed. */
  reproductions: { failed: number; runs: number };
  minimal: FaultDecision[];
  /** True only when the empty set and every single removal from `minimal` were rerun and passed. */
  oneMinimal: boolean;
  /** True when the rerun budget ran out during the search. */
  exhausted: boolean;
  /** True when the run fails without any fault decision (nothing to blame on them). */
  failsWithout: boolean;
  /** The workload cut (phases, durations, warm-up), when it still reproduced. */
  workload?: string;
  /** The shrunk scenario. */
  scenario: Scenario;
  /** Where it was written (`<outDir>/shrunk/scenario.yaml`, with journal.ndjson and report.json). */
  file?: string;
  /** Runs of the written file from another folder, and how many failed the same way. */
  verified?: { failed: number; runs: number };
  reruns: number;
  elapsedMs: number;
}

/**
 * Shrinks a failed run. `journal` is its saved journal; `rerun` runs a scenario with the same seed.
 * Writes `<outDir>/shrunk/` when the failure reproduces.
 */
export async function shrinkRun(scenario: Scenario, failed: RunReport, journal: readonly SavedJournalEntry[], outDir: string, rerun: Rerun, options: ShrinkRunOptions = {}): Promise<ShrinkOutcome> {
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  const maxReruns = options.maxReruns ?? 30;
  const reproduceRuns = options.reproduceRuns ?? 2;
  const verifyRuns = options.verifyRuns ?? 3;
  const target = shrinkTarget(failed);
  const decisions = faultDecisions(scenario, journal);
  let reruns = 0;
  const sameFailure = (r: RunReport) => r.verdict === 'fail' && [...failedChecks(r)].some((c) => target.has(c));
  const run = async (s: Scenario, label: string) => {
    reruns++;
    return rerun(s, label);
  };
  const outcome = (extra: Partial<ShrinkOutcome>): ShrinkOutcome => ({
    target: [...target],
    decisions,
    reproduced: false,
    reproductions: { failed: 0, runs: 0 },
    minimal: decisions,
    oneMinimal: false,
    exhausted: false,
    failsWithout: false,
    scenario: scenarioWithDecisions(scenario, decisions),
    reruns,
    elapsedMs: Math.round(performance.now() - t0),
    ...extra,
  });

  // 1. Does the failure reproduce under exact replay at all?
  const full = scenarioWithDecisions(scenario, decisions);
  let reproduced = 0;
  for (let k = 1; k <= reproduceRuns; k++) {
    const ok = sameFailure(await run(full, `reproduce-${k}`));
    log(`  replay ${k}/${reproduceRuns} of all ${decisions.length} decisions → ${ok ? 'fails again' : 'passes'}`);
    if (ok) reproduced++;
    else break;
  }
  const reproductions = { failed: reproduced, runs: reproduced === reproduceRuns ? reproduceRuns : reproduced + 1 };
  if (reproduced < reproduceRuns) return outcome({ reproductions });

  // 2. ddmin over the decisions.
  const verifyBudget = verifyRuns + 1; // the workload candidate and the verification runs
  let test = 0;
  const dd = await ddmin(
    decisions.length,
    async (subset) => {
      const ok = sameFailure(await run(scenarioWithDecisions(scenario, subset.map((i) => decisions[i]!)), `ddmin-${++test}`));
      log(`  rerun ${reruns}: ${subset.length} decision(s) → ${ok ? 'still fails' : 'passes'}`);
      return ok;
    },
    { maxTests: Math.max(1, maxReruns - reruns - verifyBudget), singletonsFirst: preferredSingletons(decisions) },
  );
  const minimal = dd.minimal.map((i) => decisions[i]!);
  let shrunk = scenarioWithDecisions(scenario, minimal);

  // 3. The workload.
  let workload: string | undefined;
  const seed = failed.seed ?? scenario.seed ?? '0';
  const cut = cutWorkload(shrunk, minimal, journal);
  if (cut && reruns < maxReruns) {
    // Budgets that are not part of the failure go (a shorter phase may not hold enough events for them).
    const budgetsMatter = [...target].some((c) => c.startsWith('budget:'));
    const candidate = budgetsMatter ? cut.scenario : { ...cut.scenario, slo: [] };
    const description = `${cut.description}${!budgetsMatter && cut.scenario.slo.length > 0 ? ', SLO budgets dropped (not part of the failure)' : ''}`;
    const invalid = await loadsBack(candidate, seed);
    if (invalid) log(`  ${description}: not a valid scenario (${invalid}); kept the full workload`);
    else {
      const ok = sameFailure(await run(candidate, 'workload'));
      log(`  rerun ${reruns}: ${description} → ${ok ? 'still fails' : 'passes (kept the full workload)'}`);
      if (ok) {
        shrunk = candidate;
        workload = description;
      }
    }
  }

  // 4. Write it, and run the written file from another folder.
  const dir = path.join(outDir, 'shrunk');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'scenario.yaml');
  const header = [
    `Shrunk by agentcheck from ${scenario.source.file ?? scenario.name} (seed ${seed}): ${minimal.length} of ${decisions.length} fault decisions${dd.oneMinimal ? ' (1-minimal)' : ''} still fail ${[...target].join(', ')}.`,
    'Message faults fire only on the listed request identities (attribute replay). Run it from anywhere:',
    `  agentcheck scenario run ${file}`,
  ].join('\n');
  await writeFile(file, await shrunkScenarioText(shrunk, seed, header));
  await writeFile(path.join(dir, JOURNAL_FILE), minimal.filter((d) => d.entry).map((d) => JSON.stringify(d.entry) + '\n').join(''));
  const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-shrunk-'));
  let verifiedFailed = 0;
  let verifiedRuns = 0;
  try {
    const copy = path.join(elsewhere, 'scenario.yaml');
    await copyFile(file, copy);
    const { loadScenarioFile } = await import('./load.js');
    let loaded: Scenario | undefined;
    try {
      loaded = await loadScenarioFile(copy);
    } catch (err) {
      log(`  the written file does not load: ${(err as Error).message}`);
    }
    for (let k = 1; loaded && k <= verifyRuns; k++) {
      const r = await run(loaded, `verify-${k}`);
      verifiedRuns++;
      const ok = sameFailure(r);
      if (ok) verifiedFailed++;
      // The origin a later `--replay shrunk/journal.ndjson` is judged against.
      if (k === 1) await writeFile(path.join(dir, 'report.json'), JSON.stringify(r, null, 2));
      log(`  run ${k}/${verifyRuns} of the written file from ${elsewhere} → ${ok ? 'fails the same way' : 'does not fail the same way'}`);
    }
  } finally {
    await rm(elsewhere, { recursive: true, force: true });
  }
  return outcome({
    reproduced: true,
    reproductions,
    minimal,
    oneMinimal: dd.oneMinimal,
    exhausted: dd.exhausted,
    failsWithout: dd.failsWithout,
    ...(workload ? { workload } : {}),
    scenario: shrunk,
    file,
    verified: { failed: verifiedFailed, runs: verifiedRuns },
  });
}

/** Undefined when `scenario`, written as the shrunk file, loads back; else why not. */
async function loadsBack(scenario: Scenario, seed: string): Promise<string | undefined> {
  const { parseScenarioText } = await import('./load.js');
  try {
    parseScenarioText(await shrunkScenarioText(scenario, seed, 'candidate'), { baseDir: scenario.source.baseDir });
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n').slice(0, 3).join(' ');
  }
}

/** Milliseconds from the first journal line of `d`'s fault to `d` (its offset into the phase, near enough), and to the last. */
function placement(d: FaultDecision, all: readonly FaultDecision[]): { fromStart: number; toEnd: number } | undefined {
  if (!d.entry) return undefined;
  const times = all.filter((o) => o.fault === d.fault && o.entry).map((o) => Date.parse(o.entry!.time));
  const t = Date.parse(d.entry.time);
  return { fromStart: t - Math.min(...times), toEnd: Math.max(...times) - t };
}

/**
 * The singleton to try first: the earliest message decision well inside its phase (a decision at a
 * phase edge may miss its window when replayed), else the one farthest from both edges.
 */
function preferredSingletons(decisions: readonly FaultDecision[]): number[] {
  const placed = decisions.map((d, i) => ({ i, p: placement(d, decisions) })).filter((x) => x.p !== undefined);
  if (placed.length === 0) return decisions.length > 0 ? [0] : [];
  const inside = placed.filter((x) => x.p!.fromStart >= 300 && x.p!.toEnd >= 300);
  if (inside.length > 0) return [inside.reduce((a, b) => (Date.parse(decisions[b.i]!.entry!.time) < Date.parse(decisions[a.i]!.entry!.time) ? b : a)).i];
  return [placed.reduce((a, b) => (Math.min(b.p!.fromStart, b.p!.toEnd) > Math.min(a.p!.fromStart, a.p!.toEnd) ? b : a)).i];
}

/**
 * The scenario cut after the last decision that matters: later phases removed, that phase ending
 * 1 s after its last kept decision, no warm-up. The phase's start is read from the journal (its
 * faults' first journaled decision, fired or not), so the cut is on the same clock. Undefined
 * when nothing can be cut.
 */
export function cutWorkload(scenario: Scenario, minimal: readonly FaultDecision[], journal: readonly SavedJournalEntry[]): { scenario: Scenario; description: string } | undefined {
  const phaseIndex = Math.max(-1, ...minimal.map((d) => scenario.phases.findIndex((p) => p.name === d.phase)));
  if (phaseIndex < 0) return undefined;
  const last = scenario.phases[phaseIndex]!;
  const names = new Set(minimal.filter((d) => d.phase === last.name).map((d) => d.fault));
  const phaseStart = Math.min(...journal.filter((e) => names.has(e.toxic)).map((e) => Date.parse(e.time)));
  const lastDecision = Math.max(...minimal.filter((d) => d.phase === last.name && d.entry).map((d) => Date.parse(d.entry!.time)));
  let duration = last.durationMs;
  if (Number.isFinite(phaseStart) && Number.isFinite(lastDecision)) duration = Math.min(last.durationMs, Math.ceil((lastDecision - phaseStart + 1000) / 100) * 100);
  const phases: ScenarioPhase[] = [];
  let startMs = 0;
  for (const p of scenario.phases.slice(0, phaseIndex + 1)) {
    const durationMs = p === last ? duration : p.durationMs;
    phases.push({ ...p, durationMs, startMs });
    startMs += durationMs;
  }
  const removed = scenario.phases.length - phases.length;
  if (removed === 0 && duration === last.durationMs && scenario.warmupMs === 0) return undefined;
  const kept = new Set(phases.map((p) => p.name));
  const slo = scenario.slo.flatMap((s) => {
    if (!s.phases) return [s];
    const ps = s.phases.filter((p) => kept.has(p));
    return ps.length > 0 ? [{ ...s, phases: ps }] : [];
  });
  const cut: Scenario = {
    ...scenario,
    warmupMs: 0,
    phases,
    slo,
    totalDurationMs: startMs,
    ...(scenario.load ? { load: { ...scenario.load, durationMs: Math.min(scenario.load.durationMs, startMs) } } : {}),
  };
  const parts = [
    removed > 0 ? `${removed} later phase(s) cut` : '',
    duration < last.durationMs ? `phase ${last.name} cut to ${duration} ms` : '',
    scenario.warmupMs > 0 ? 'no warm-up' : '',
  ].filter(Boolean);
  return { scenario: cut, description: `workload: ${parts.join(', ')} (${scenario.totalDurationMs + scenario.warmupMs} ms → ${startMs} ms)` };
}

/** An argv with every argument that names an existing file or folder relative to `cwd` made absolute. */
export function absoluteArgv(argv: readonly string[], cwd: string): string[] {
  return argv.map((arg, i) => {
    if (arg.startsWith('-') || path.isAbsolute(arg) || arg === '' || /^[a-z][\w+.-]*:\/\//i.test(arg)) return arg;
    // The program itself is looked up on PATH unless it is written as a path.
    if (i === 0 && !arg.includes('/')) return arg;
    const abs = path.resolve(cwd, arg);
    return existsSync(abs) ? abs : arg;
  });
}

type Doc = Record<string, unknown>;

/**
 * The shrunk scenario as YAML: the original document (so fields this code does not know survive),
 * with the seed, warm-up, phases, faults and budgets of `scenario`, and every relative path resolved.
 * A scenario that did not come from a YAML/JSON file is written from the model instead.
 */
export async function shrunkScenarioText(scenario: Scenario, seed: string, comment: string): Promise<string> {
  const file = scenario.source.file;
  let doc: Doc;
  if (file && /\.(ya?ml|json)$/i.test(file)) doc = parse(await readFile(file, 'utf8')) as Doc;
  else doc = parse(scenarioToYaml(scenario)) as Doc;
  doc.seed = seed;
  doc.warmup = scenario.warmupMs;
  const agents = (doc.agents as Doc[] | undefined) ?? [];
  for (const a of agents) {
    const model = scenario.agents.find((m) => m.name === a.name);
    if (!model) continue;
    a.cwd = model.cwd;
    if (model.command) a.command = absoluteArgv(model.command, model.cwd);
    if (model.build) a.build = { ...(a.build as Doc), context: model.build.context };
  }
  const docPhases = (doc.phases as Doc[] | undefined) ?? [];
  doc.phases = scenario.phases.map((p) => {
    const original = docPhases.find((d) => d.name === p.name) ?? {};
    const { faults: _faults, ...rest } = original;
    return { ...rest, name: p.name, duration: p.durationMs, ...(p.faults.length > 0 ? { faults: p.faults.map(faultInput) } : {}) };
  });
  if (scenario.slo.length > 0) doc.slo = scenario.slo.map((s) => ({ name: s.name, budget: s.budget, ...(s.phases ? { phases: s.phases } : {}) }));
  else delete doc.slo;
  if (doc.load && typeof doc.load === 'object' && scenario.load && (doc.load as Doc).duration !== undefined) (doc.load as Doc).duration = scenario.load.durationMs;
  const invariants = (doc.invariants as Doc[] | undefined) ?? [];
  for (const inv of invariants) {
    const model = scenario.invariants.find((m) => m.name === inv.name);
    if (model?.kind === 'command') inv.command = absoluteArgv(model.command, model.cwd);
  }
  const header = `${comment.split('\n').map((l) => `# ${l}`).join('\n')}\n`;
  return header + stringify(doc, { lineWidth: 0 });
}

/** A loaded fault back in the file's form (names written out, `replay` inside the attributes). */
function faultInput(f: ScenarioFault): Doc {
  return {
    edge: f.edge,
    type: f.type,
    name: f.name,
    ...(f.stream ? { stream: f.stream } : {}),
    toxicity: f.toxicity,
    ...(Object.keys(f.attributes).length > 0 ? { attributes: f.attributes } : {}),
    ...(f.match ? { match: f.match } : {}),
    ...(f.first !== undefined ? { first: f.first } : {}),
    ...(f.every !== undefined ? { every: f.every } : {}),
  };
}

/**
 * A scenario as a file that loads back to the same run: absolute paths, durations in ms, every
 * default written out, so it replays wherever it is saved.
 */
export function scenarioToYaml(scenario: Scenario, comment?: string): string {
  const input = {
    name: scenario.name,
    ...(scenario.description ? { description: scenario.description } : {}),
    ...(scenario.seed !== undefined ? { seed: scenario.seed } : {}),
    warmup: scenario.warmupMs,
    runtime: scenario.runtime,
    chaos: scenario.chaos,
    agents: scenario.agents.map((a) => ({
      name: a.name,
      ...(a.command ? { command: absoluteArgv(a.command, a.cwd) } : {}),
      cwd: a.cwd,
      ...(Object.keys(a.env).length > 0 ? { env: a.env } : {}),
      ...(a.image ? { image: a.image } : {}),
      ...(a.build ? { build: a.build } : {}),
      port: a.port,
      readiness: a.readiness.kind === 'http' ? { http: a.readiness.path, timeout: a.readiness.timeoutMs } : { tcp: true, timeout: a.readiness.timeoutMs },
    })),
    edges: scenario.edges.map((e) => ({ from: e.from, to: e.to, env: e.env, protocol: e.protocol })),
    phases: scenario.phases.map((p) => ({
      name: p.name,
      duration: p.durationMs,
      ...(p.load ? { load: p.load } : {}),
      ...(p.faults.length > 0 ? { faults: p.faults.map(faultInput) } : {}),
    })),
    ...(scenario.load
      ? {
          load: {
            target: scenario.load.target,
            model: scenario.load.model,
            rate: scenario.load.rate,
            connections: scenario.load.connections,
            duration: scenario.load.durationMs,
            timeout: scenario.load.timeoutMs,
            late_tolerance: scenario.load.lateToleranceMs,
            max_late: scenario.load.maxLateFraction,
            requests: scenario.load.requests.map((r) => ({ name: r.name, method: r.method, path: r.path, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) })),
          },
        }
      : {}),
    ...(scenario.slo.length > 0 ? { slo: scenario.slo.map((s) => ({ name: s.name, budget: s.budget, ...(s.phases ? { phases: s.phases } : {}) })) } : {}),
    ...(scenario.invariants.length > 0
      ? {
          invariants: scenario.invariants.map((i) => {
            const base = { name: i.name, after: i.after };
            switch (i.kind) {
              case 'http':
                return { ...base, http: { agent: i.agent, path: i.path } };
              case 'command':
                return { ...base, command: absoluteArgv(i.command, i.cwd) };
              case 'exactly_once':
                return { ...base, exactly_once: { effects: i.effects, key: i.key } };
            }
          }),
        }
      : {}),
  };
  const header = comment ? `${comment.split('\n').map((l) => `# ${l}`).join('\n')}\n` : '';
  return header + stringify(input, { lineWidth: 0 });
}
