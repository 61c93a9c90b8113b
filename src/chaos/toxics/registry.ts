/**
 * The one explicit registry of toxic types: type name → {@link ToxicDefinition}. Stream toxics (this
 * folder) and message toxics (HTTP-aware, applied by src/chaos/http/) live side by side; adding one is
 * one file and one line in `builtins` below.
 */
import type { ToxicDefinition } from '../toxic.js';
import { bandwidthToxic } from './bandwidth.js';
import { commitThenDropToxic } from './commit_then_drop.js';
import { dropToxic } from './drop.js';
import { duplicateToxic } from './duplicate.js';
import { httpErrorToxic } from './http_error.js';
import { httpLatencyToxic } from './http_latency.js';
import { latencyToxic } from './latency.js';
import { limitDataToxic } from './limit_data.js';
import { noopToxic } from './noop.js';
import { resetPeerToxic } from './reset_peer.js';
import { slicerToxic } from './slicer.js';
import { slowCloseToxic } from './slow_close.js';
import { streamCutToxic } from './stream_cut.js';
import { timeoutToxic } from './timeout.js';

const builtins: readonly ToxicDefinition[] = [
  latencyToxic,
  bandwidthToxic,
  slowCloseToxic,
  timeoutToxic,
  resetPeerToxic,
  slicerToxic,
  limitDataToxic,
  noopToxic,
  // Message toxics (HTTP proxies only), applied by src/chaos/http/.
  dropToxic,
  duplicateToxic,
  httpErrorToxic,
  commitThenDropToxic,
  httpLatencyToxic,
  streamCutToxic,
];

const registry = new Map<string, ToxicDefinition>(builtins.map((d) => [d.type, d]));

/** The definition for a toxic `type`, or undefined when no such type is registered. */
export function toxicDefinition(type: string): ToxicDefinition | undefined {
  return registry.get(type);
}

/** Every registered toxic type, in registration order. */
export function toxicDefinitions(): readonly ToxicDefinition[] {
  return [...registry.values()];
}

/**
 * Registers a toxic type (for toxics defined outside this folder). Throws if the name is taken by a
 * different definition; registering the same definition twice is a no-op.
 */
export function registerToxic(definition: ToxicDefinition): void {
  const existing = registry.get(definition.type);
  if (existing && existing !== definition) throw new Error(`toxic type '${definition.type}' is already registered`);
  registry.set(definition.type, definition);
}
