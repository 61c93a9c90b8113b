/**
 * `http_latency` (message toxic, HTTP proxies only): delays each matching message by a seeded
 * draw from `distribution` (`uniform` default, `normal`, `pareto`, `lognormal`; see
 * {@link LatencySpec}). On the `upstream` stream the request waits before delivery; on
 * `downstream` (Toxiproxy's default stream) the response waits before it reaches the caller.
 * Unlike the byte-stream `latency` toxic, the delay is per message, not per chunk.
 */
import { attrNumber, attrString, compileCommon, COMMON_MESSAGE_ATTRIBUTES, modeAttr, validateByCompiling, type HttpMessageToxicDefinition } from '../http/message-toxic.js';
import { AttributeError } from '../http/attributes.js';
import { drawLatency, LATENCY_DISTRIBUTIONS, type LatencySpec } from '../http/distribution.js';
import type { ToxicAttributes } from '../toxic.js';

function nonNegative(value: unknown, key: string): number {
  const v = attrNumber(value);
  if (!(v >= 0)) throw new AttributeError(`attribute '${key}' must be 0 or more, got ${v}`);
  return v;
}

function compile(attributes: ToxicAttributes, stream: 'upstream' | 'downstream') {
  const common = compileCommon(attributes);
  const spec: LatencySpec = {
    distribution: modeAttr(attrString(attributes.distribution), 'distribution', 'uniform', LATENCY_DISTRIBUTIONS),
    latency: nonNegative(attributes.latency, 'latency'),
    jitter: nonNegative(attributes.jitter, 'jitter'),
    shape: nonNegative(attributes.shape, 'shape') || 2,
    sigma: nonNegative(attributes.sigma, 'sigma') || 0.5,
    max: nonNegative(attributes.max, 'max'),
  };
  const side = stream === 'upstream' ? ('request' as const) : ('response' as const);
  return { ...common, action: (rng: Parameters<typeof drawLatency>[1]) => ({ kind: 'delay' as const, side, ms: drawLatency(spec, rng) }) };
}

/**
 * The `http_latency` toxic: `{distribution: string ('uniform'), latency: int64 ms, jitter: int64 ms,
 * shape: float64 (2), sigma: float64 (0.5), max: int64 ms (0 = none)}` plus the matching attributes.
 */
export const httpLatencyToxic: HttpMessageToxicDefinition = {
  type: 'http_latency',
  kind: 'message',
  phase: 'request',
  goName: 'HttpLatencyToxic',
  attributes: [
    { name: 'distribution', type: 'string' },
    { name: 'latency', type: 'int64' },
    { name: 'jitter', type: 'int64' },
    { name: 'shape', type: 'float64' },
    { name: 'sigma', type: 'float64' },
    { name: 'max', type: 'int64' },
    ...COMMON_MESSAGE_ATTRIBUTES,
  ],
  compile,
  validate: validateByCompiling(compile),
};
