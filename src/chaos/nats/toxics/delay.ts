/**
 * `delay` on a `nats` proxy: each matching message waits one seeded draw from `distribution`
 * (as `http_latency`: `uniform` `latency ± jitter`, `normal`, `pareto` with tail `shape`,
 * `lognormal` with `sigma`; clamped to `[0, max]`). Other messages and control lines are not held
 * behind it, so a delayed message can arrive after later ones, as on a broker with a slow path.
 */
import { AttributeError } from '../../http/attributes.js';
import { drawLatency, LATENCY_DISTRIBUTIONS, type LatencySpec } from '../../http/distribution.js';
import { attrNumber, COMMON_MESSAGE_ATTRIBUTES, modeAttr } from '../../http/message-toxic.js';
import { httpLatencyToxic } from '../../toxics/http_latency.js';
import type { ToxicAttributes } from '../../toxic.js';
import { compileNatsCommon, natsToxic } from '../message-toxic.js';

// Exactly http_latency's own attributes (its distribution parameters), without its HTTP matching ones.
const DISTRIBUTION_ATTRIBUTES = httpLatencyToxic.attributes.filter((a) => !COMMON_MESSAGE_ATTRIBUTES.some((c) => c.name === a.name));

function readSpec(attributes: ToxicAttributes): LatencySpec {
  const get = (key: string): number => {
    const v = attrNumber(attributes[key]);
    if (!(v >= 0)) throw new AttributeError(`attribute '${key}' must be 0 or more, got ${v}`);
    return v;
  };
  const distribution = modeAttr(attributes.distribution, 'distribution', 'uniform', LATENCY_DISTRIBUTIONS);
  return { distribution, latency: get('latency'), jitter: get('jitter'), shape: get('shape') || 2, sigma: get('sigma') || 0.5, max: get('max') };
}

function compile(attributes: ToxicAttributes) {
  const spec = readSpec(attributes);
  return {
    ...compileNatsCommon(attributes),
    candidates: 'messages' as const,
    action: (rng: Parameters<typeof drawLatency>[1]) => ({ kind: 'delay' as const, ms: drawLatency(spec, rng) }),
  };
}

/** The NATS `delay` toxic: http_latency's distribution attributes plus the matching attributes. */
export const natsDelayToxic = natsToxic(
  'delay',
  'NatsDelayToxic',
  DISTRIBUTION_ATTRIBUTES,
  compile,
);
