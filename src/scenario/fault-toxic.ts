/**
 * A scenario fault as the body of `POST /proxies/{edge}/toxics` on a Toxiproxy-compatible API.
 * Message-level options `match`, `first` and `every` are attributes there, beside the toxic's own
 * ones; `probability` is the toxic's `toxicity` (the loader already folded it in).
 */
import type { ScenarioFault } from './types.js';

/** The toxic-creation body of the Toxiproxy API for one fault. */
export interface ToxicRequestBody {
  name: string;
  type: string;
  stream?: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, unknown>;
}

/** Builds the `POST /proxies/{p}/toxics` body for `fault`; `stream` is left out when unset (API default: downstream). */
export function toxicRequestBody(fault: ScenarioFault): ToxicRequestBody {
  const attributes: Record<string, unknown> = { ...fault.attributes };
  if (fault.match !== undefined) attributes.match = { ...fault.match };
  if (fault.first !== undefined) attributes.first = fault.first;
  if (fault.every !== undefined) attributes.every = fault.every;
  return {
    name: fault.name,
    type: fault.type,
    ...(fault.stream !== undefined ? { stream: fault.stream } : {}),
    toxicity: fault.toxicity,
    attributes,
  };
}
