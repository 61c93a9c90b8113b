/**
 * The judge stage's detector plugin: builds the hop view from the collected proxy records and the
 * load driver's workflows, and runs every detector over it. Without hop records (a real Toxiproxy
 * records none, or no edge carried HTTP) the traffic detectors have nothing to judge and add no check.
 */
import { defaultDetectors, hopsFromRecords, parseTraceparent, type Detector, type EntryWorkflow } from '../../detect/index.js';
import { phaseAt, type PhaseSpan } from '../../detect/hops.js';
import type { Checker } from './judge.js';

/** A checker that runs `detectors` (default: every detector with its defaults). */
export function detectorChecker(detectors: readonly Detector[] = defaultDetectors()): Checker {
  return {
    name: 'detectors',
    async check({ ctx, evidence, driven, collected }) {
      const phases: PhaseSpan[] = (driven.load?.schedule ?? []).map((s) => ({ name: s.name, startMs: s.startMs }));
      const hops = hopsFromRecords(collected.records, phases, driven.load?.startedAt);
      const workflows: EntryWorkflow[] = [];
      for (const e of evidence.invocations()) {
        workflows.push({ traceId: parseTraceparent(e.traceparent).traceId, tMs: e.tMs, phase: e.driver === 'warmup' ? 'warmup' : phaseAt(phases, e.tMs) });
      }
      const edges = ctx.scenario.edges.filter((e) => e.protocol === 'http').map((e) => ({ id: e.id, from: e.from, to: e.to }));
      const hasHops = hops.length > 0;
      const input = { hops, edges, workflows, phases, ...(ctx.scenario.load ? { entry: ctx.scenario.load.target } : {}), ...(driven.sockets ? { sockets: driven.sockets } : {}) };
      const checks = detectors.flatMap((d) => (hasHops || d.name === 'topology' ? d.detect(input) : []));
      return { checks };
    },
  };
}
