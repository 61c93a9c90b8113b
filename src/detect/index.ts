/** The detectors of a scenario run, on by default (see each file for what it means). */
import { amplificationDetector, type AmplificationOptions } from './amplification.js';
import type { Detector } from './detector.js';
import { loopDetector, type LoopOptions } from './loops.js';
import { overloadDetector } from './overload.js';
import { policyDetector } from './policy.js';
import { traceContinuityDetector, type TraceContinuityOptions } from './trace-continuity.js';

export type { Detector, DetectorInput, EntryWorkflow, SocketObservation } from './detector.js';
export { hopsFromRecords, parseTraceparent, type Hop, type PhaseSpan } from './hops.js';
export { amplificationDetector, loopDetector, overloadDetector, policyDetector, traceContinuityDetector };

/** Options of {@link defaultDetectors}. */
export interface DetectorOptions {
  amplification?: AmplificationOptions;
  loops?: LoopOptions;
  traces?: TraceContinuityOptions;
}

/** Every detector with its defaults. */
export function defaultDetectors(options: DetectorOptions = {}): Detector[] {
  return [amplificationDetector(options.amplification), loopDetector(options.loops), traceContinuityDetector(options.traces), overloadDetector(), policyDetector()];
}
