/**
 * The judge stage's detector plugin: builds the hop view from the collected proxy records and the
 * load driver's workflows, and runs every detector over it. Without hop records (a real Toxiproxy
 * records none, or no edge carried HTTP) the traffic detectors have nothing to judge and add no check.
 */
import { amplificationDetector, hopsFromRecords, loopDetector, overloadDetector, parseTraceparent, policyDetector, traceContinuityDetector, type Detector, type EntryWorkflow } from '../../detect/index.js';
import type { AmplificationBudget } from '../../detect/amplification-budget.js';
import type { DetectorsInput } from '../types.js';
import { phaseAt, type PhaseSpan } from '../../detect/hops.js';
import type { Checker } from './judge.js';

/** The detectors a scenario's `detectors` section asks for (every one, with its defaults, when it is empty). */
export function scenarioDetectors(settings: DetectorsInput, budgets: readonly AmplificationBudget[] = []): Detector[] {
  const out: Detector[] = [];
  // An amplification budget on an edge keeps the detector on for that edge even when it is off by default.
  if (settings.amplification !== false || budgets.length > 0) {
    out.push(
      amplificationDetector({
        ...(settings.amplification !== false && settings.amplification?.limit !== undefined ? { limit: settings.amplification.limit } : {}),
        ...(settings.amplification === false ? { limit: Infinity } : {}),
        edgeLimits: new Map(budgets.map((b) => [b.edge, { limit: b.limit, strict: b.op === '<', budget: b.expression }])),
      }),
    );
  }
  if (settings.loops !== false) {
    const l = settings.loops ?? {};
    out.push(loopDetector({ ...(l.allow ? { allowCycles: l.allow } : {}), ...(l.threshold !== undefined ? { repeatThreshold: l.threshold } : {}), repetitionGates: l.repetition === 'gate' }));
  }
  if (settings.traces !== false) out.push(traceContinuityDetector({ ...(settings.traces?.min_share !== undefined ? { minShare: settings.traces.min_share } : {}) }));
  if (settings.retry_after !== false) out.push(overloadDetector());
  if (settings.topology !== false) out.push(policyDetector());
  return out;
}

/** A checker that runs `detectors` (default: those the scenario's `detectors` section asks for). */
export function detectorChecker(detectors?: readonly Detector[]): Checker {
  return {
    name: 'detectors',
    async check({ ctx, evidence, driven, collected }) {
      detectors ??= scenarioDetectors(ctx.scenario.detectors ?? {}, ctx.amplificationBudgets);
      const phases: PhaseSpan[] = (driven.load?.schedule ?? []).map((s) => ({ name: s.name, startMs: s.startMs }));
      const hops = hopsFromRecords(collected.hops(), phases, driven.load?.startedAt);
      const workflows: EntryWorkflow[] = [];
      for (const e of evidence.invocations()) {
        workflows.push({ traceId: parseTraceparent(e.traceparent).traceId, tMs: e.tMs, phase: e.driver === 'warmup' ? 'warmup' : phaseAt(phases, e.tMs) });
      }
      const edges = ctx.scenario.edges.filter((e) => e.protocol === 'http').map((e) => ({ id: e.id, from: e.from, to: e.to }));
      const hasHops = hops.length > 0;
      const input = { hops, edges, workflows, phases, ...(ctx.scenario.load ? { entry: ctx.scenario.load.target } : {}), ...(driven.sockets ? { sockets: driven.sockets } : {}), ...(driven.direct ? { direct: driven.direct } : {}), ...(driven.forwardProxy ? { forwardProxy: driven.forwardProxy } : {}) };
      const checks = (detectors ?? []).flatMap((d) => (hasHops || d.name === 'topology' ? d.detect(input) : []));
      return { checks };
    },
  };
}
