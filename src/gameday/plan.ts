/**
 * `gameday plan`: the blast radius of a game day, read from the file alone. Which edges get which
 * faults for how long, at what load, which checks gate each experiment, which abort conditions
 * guard it and what its rollback runs. It starts nothing: no agent, no proxy, no listener.
 */
import { formatDuration } from '../scenario/duration.js';
import type { Experiment, GameDay } from './model.js';
import { AFTER_PHASE, STEADY_PHASE, needsOwnTeam } from './model.js';

/** One experiment's blast radius. */
export interface ExperimentPlan {
  name: string;
  team: 'shared' | 'fresh';
  load: { target: string; rate: number; model: string };
  durationMs: number;
  runs: number;
  phases: Array<{ name: string; durationMs: number; faults: Array<{ edge: string; type: string; attributes: Record<string, unknown> }> }>;
  edges: string[];
  gates: string[];
  abort: string[];
  rollback: string[];
  sweep?: { attribute: string; magnitudes: number[]; durationsMs: number[] };
}

/** The plan of a game day. */
export interface GameDayPlan {
  name: string;
  team: { file: string; agents: string[]; edges: string[] };
  experiments: ExperimentPlan[];
  /** Upper bound of the load time of the whole game day (start-up not included). */
  totalMs: number;
}

function planOf(exp: Experiment): ExperimentPlan {
  const s = exp.scenario;
  const load = s.load!;
  const faultEdges = new Set(s.phases.flatMap((p) => p.faults.map((f) => f.edge)));
  const gates = [
    ...s.slo.map((b) => `budget ${b.budget}${b.phases ? ` in ${b.phases.join(', ')}` : ''}`),
    ...s.invariants.map((i) => `invariant ${i.name} (${i.kind}, ${i.after === 'each-phase' ? 'after each phase' : 'at the end'}${i.duringIntervalMs !== undefined ? `, sampled every ${formatDuration(i.duringIntervalMs)}` : ''})`),
    ...(exp.recovery ? [`recovery within ${formatDuration(exp.recovery.withinMs)}: goodput ≥ ${Math.round(exp.recovery.goodput * 100)}% and p99 ≤ ${Math.round(exp.recovery.p99 * 100)}% of the steady state`] : []),
    'detectors (amplification, loops, traces, topology)',
  ];
  const runs = exp.sweep ? exp.sweep.cells.length : 1;
  const perRun = exp.sweep ? Math.max(...exp.sweep.cells.map((c) => c.scenario.totalDurationMs)) : s.totalDurationMs;
  return {
    name: exp.name,
    team: needsOwnTeam(exp) ? 'fresh' : 'shared',
    load: { target: load.target, rate: load.rate, model: load.model },
    durationMs: perRun * runs + s.warmupMs * runs,
    runs,
    phases: s.phases.map((p) => ({ name: p.name, durationMs: p.durationMs, faults: p.faults.map((f) => ({ edge: f.edge, type: f.type, attributes: f.attributes })) })),
    edges: [...faultEdges],
    gates,
    abort: exp.abort.map((c) => c.text),
    rollback: exp.rollback.map((r) => r.command.join(' ')),
    ...(exp.sweep ? { sweep: { attribute: exp.sweep.attribute, magnitudes: exp.sweep.magnitudes, durationsMs: exp.sweep.durationsMs } } : {}),
  };
}

/** The plan of `gameday`. */
export function planGameDay(gameday: GameDay): GameDayPlan {
  const experiments = gameday.experiments.map(planOf);
  return {
    name: gameday.name,
    team: { file: gameday.teamFile, agents: gameday.team.agents.map((a) => a.name), edges: gameday.team.edges.map((e) => e.id) },
    experiments,
    totalMs: experiments.reduce((a, e) => a + e.durationMs, 0),
  };
}

/** The plan as text lines. */
export function planLines(plan: GameDayPlan): string[] {
  const width = Math.max(16, ...plan.experiments.flatMap((e) => e.phases.map((p) => p.name.length + 1)));
  const out = [`game day ${plan.name}: ${plan.experiments.length} experiments, about ${formatDuration(Math.round(plan.totalMs / 1000) * 1000)} of load; nothing is started by this plan`];
  out.push(`team ${plan.team.file}: agents ${plan.team.agents.join(', ')}; edges ${plan.team.edges.join(', ')}`);
  for (const e of plan.experiments) {
    out.push('', `experiment ${e.name} (${e.team} team, ${e.load.model} load ${e.load.rate}/s on ${e.load.target}${e.runs > 1 ? `, ${e.runs} runs` : ''}, ${formatDuration(e.durationMs)})`);
    out.push(`  blast radius: ${e.edges.join(', ') || 'no edge'}`);
    for (const p of e.phases) {
      const what = p.name === STEADY_PHASE ? 'steady state, no fault' : p.name === AFTER_PHASE ? `after: steady state again${e.gates.some((g) => g.startsWith('recovery')) ? ' (after the recovery window)' : ''}, no fault` : p.faults.map((f) => `${f.type} on ${f.edge} ${JSON.stringify(f.attributes)}`).join('; ') || 'no fault';
      out.push(`  ${p.name.padEnd(width)} ${formatDuration(p.durationMs).padStart(6)}  ${what}`);
    }
    if (e.sweep) out.push(`  sweep: ${e.sweep.attribute} ∈ {${e.sweep.magnitudes.join(', ')}} × duration ∈ {${e.sweep.durationsMs.map(formatDuration).join(', ')}}`);
    for (const g of e.gates) out.push(`  gate: ${g}`);
    for (const a of e.abort) out.push(`  abort when: ${a}`);
    for (const r of e.rollback) out.push(`  rollback: ${r}`);
    out.push('  always: faults removed and proxies checked clean through the proxy API');
  }
  return out;
}
