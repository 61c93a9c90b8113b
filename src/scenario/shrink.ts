/**
 * Fault-schedule shrinking for scenarios (`agentcheck scenario run --shrink`). A failed run's fault
 * decisions are read from the proxies' journals: every message-level fault that fired on a
 * request is one decision (its toxic and which match it was); a stream fault (latency, timeout, …)
 * is one decision for its whole phase. fast-check (through {@link shrinkFaultSchedule}) then reruns
 * the scenario with subsets of those decisions, replayed exactly with the message toxics' `only`
 * attribute, until it finds the smallest set that still fails the same way, and the result is
 * written as a scenario file anyone can run again.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { JournalEntry } from '../chaos/journal.js';
import { shrinkFaultSchedule, type ShrinkResult } from '../idempotency/shrink.js';
import type { RunReport } from '../report/model.js';
import type { Scenario, ScenarioFault } from './types.js';

/** One fault decision of a run. */
export interface FaultDecision {
  phase: string;
  /** The fault's (toxic's) name, unique in the scenario. */
  fault: string;
  edge: string;
  type: string;
  /** For a message-level fault: which match of the toxic it fired on (1-based); null for a stream fault. */
  ordinal: number | null;
}

/** The fault decisions a run made: fired message-fault decisions from the journal, and every stream fault. */
export function faultDecisions(scenario: Scenario, journal: readonly JournalEntry[]): FaultDecision[] {
  const out: FaultDecision[] = [];
  for (const phase of scenario.phases) {
    for (const fault of phase.faults) {
      if (!fault.messageLevel) {
        out.push({ phase: phase.name, fault: fault.name, edge: fault.edge, type: fault.type, ordinal: null });
        continue;
      }
      const ordinals = journal.filter((e) => e.fired && e.toxic === fault.name).map((e) => e.ordinal);
      for (const ordinal of [...new Set(ordinals)].sort((a, b) => a - b)) {
        out.push({ phase: phase.name, fault: fault.name, edge: fault.edge, type: fault.type, ordinal });
      }
    }
  }
  return out;
}

/**
 * The scenario with only `decisions` as faults: a message fault fires exactly on its listed match
 * ordinals (`only`, toxicity 1, no `first`/`every`); a stream fault is kept or dropped whole.
 */
export function scenarioWithDecisions(scenario: Scenario, decisions: readonly FaultDecision[]): Scenario {
  const keep = (f: ScenarioFault): ScenarioFault | undefined => {
    const mine = decisions.filter((d) => d.fault === f.name);
    if (mine.length === 0) return undefined;
    if (!f.messageLevel) return f;
    const { first: _first, every: _every, probability: _probability, ...rest } = f;
    return { ...rest, toxicity: 1, attributes: { ...f.attributes, only: mine.map((d) => d.ordinal!) } };
  };
  return {
    ...scenario,
    phases: scenario.phases.map((p) => ({ ...p, faults: p.faults.map(keep).filter((f): f is ScenarioFault => f !== undefined) })),
  };
}

/** The checks a report failed, by name, to recognise "the same failure" in a rerun. */
export function failedChecks(report: RunReport): Set<string> {
  const names = new Set<string>();
  for (const i of report.invariants) if (i.status === 'fail') names.add(`invariant:${i.name}`);
  for (const b of report.budgets) if (b.status === 'fail') names.add(`budget:${b.metric}:${b.expression}:${b.scope}`);
  for (const a of report.agents) if (a.status === 'crashed') names.add(`crash:${a.name}`);
  return names;
}

/** Options of {@link shrinkScenario}. */
export interface ShrinkScenarioOptions {
  /** Most reruns, the full schedule's included (default 30: each rerun is a whole scenario run). */
  maxAttempts?: number;
  /** fast-check seed for the search. */
  seed?: number;
  onAttempt?: (attempt: { subset: number[]; failed: boolean; attempts: number }) => void;
}

/** The result of {@link shrinkScenario}. */
export interface ShrinkScenarioResult extends ShrinkResult<FaultDecision> {
  /** The failed checks the reruns had to reproduce. */
  target: string[];
  /** The scenario with only the minimal fault set. */
  scenario: Scenario;
}

/**
 * Shrinks the fault schedule of a failed run. `rerun` runs a scenario and returns its report; a
 * rerun reproduces the failure when it fails at least one of the checks the original failed.
 */
export async function shrinkScenario(
  scenario: Scenario,
  failed: RunReport,
  journal: readonly JournalEntry[],
  rerun: (s: Scenario, attempt: number) => Promise<RunReport>,
  options: ShrinkScenarioOptions = {},
): Promise<ShrinkScenarioResult> {
  const target = failedChecks(failed);
  const decisions = faultDecisions(scenario, journal);
  let attempt = 0;
  const result = await shrinkFaultSchedule(
    decisions,
    async (subset) => {
      const report = await rerun(scenarioWithDecisions(scenario, subset), ++attempt);
      if (report.verdict !== 'fail') return false;
      return [...failedChecks(report)].some((name) => target.has(name));
    },
    { maxAttempts: options.maxAttempts ?? 30, ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}) },
  );
  return { ...result, target: [...target], scenario: scenarioWithDecisions(scenario, result.minimal) };
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
      ...(a.command ? { command: a.command } : {}),
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
      ...(p.faults.length > 0
        ? {
            faults: p.faults.map((f) => ({
              edge: f.edge,
              type: f.type,
              name: f.name,
              ...(f.stream ? { stream: f.stream } : {}),
              toxicity: f.toxicity,
              ...(Object.keys(f.attributes).length > 0 ? { attributes: f.attributes } : {}),
              ...(f.match ? { match: f.match } : {}),
              ...(f.first !== undefined ? { first: f.first } : {}),
              ...(f.every !== undefined ? { every: f.every } : {}),
            })),
          }
        : {}),
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
                return { ...base, command: i.command };
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

/** Writes {@link scenarioToYaml} to `dir/name` and returns the path. */
export async function writeScenarioFile(scenario: Scenario, dir: string, name: string, comment?: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, scenarioToYaml(scenario, comment));
  return file;
}
