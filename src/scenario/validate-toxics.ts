/**
 * The toxic catalogue scenarios are checked against: the chaos proxy's own registry (types, kinds,
 * attribute names and Go types, and each toxic's `validate`), so a fault the proxy would refuse
 * with a 400 at run time is reported at its line in the file instead. The fixed list in
 * `schema.ts` fills in any type the registry does not (yet) carry.
 */
import { natsToxicTypes } from '../chaos/nats/toxics/index.js';
import type { ToxicDefinition } from '../chaos/toxic.js';
import { toxicDefinition, toxicDefinitions } from '../chaos/toxics/registry.js';
import { MESSAGE_TOXIC_TYPES, NATS_TOXIC_TYPES, TCP_TOXIC_TYPES } from './schema.js';
import type { ToxicCatalogue } from './validate-semantics.js';

/** Go attribute types as a JSON check and the words for "expected …". */
const ATTRIBUTE_TYPES: Record<string, { ok: (v: unknown) => boolean; expected: string }> = {
  int: { ok: (v) => typeof v === 'number' && Number.isSafeInteger(v), expected: 'an integer' },
  int64: { ok: (v) => typeof v === 'number' && Number.isSafeInteger(v), expected: 'an integer' },
  float32: { ok: (v) => typeof v === 'number' && Number.isFinite(v), expected: 'a number' },
  float64: { ok: (v) => typeof v === 'number' && Number.isFinite(v), expected: 'a number' },
  bool: { ok: (v) => typeof v === 'boolean', expected: 'true or false' },
  string: { ok: (v) => typeof v === 'string', expected: 'a string' },
};

const ZERO: Record<string, unknown> = { int: 0, int64: 0, float32: 0, float64: 0, bool: false, string: '' };

/** The catalogue backed by `src/chaos/toxics/registry.ts`, completed by the documented list. */
export function registryToxicCatalogue(): ToxicCatalogue {
  const definitions = toxicDefinitions();
  const types = [...new Set([...definitions.map((d) => d.type), ...TCP_TOXIC_TYPES, ...MESSAGE_TOXIC_TYPES, ...NATS_TOXIC_TYPES])];
  const messageLevel = new Set<string>([...MESSAGE_TOXIC_TYPES, ...NATS_TOXIC_TYPES]);
  for (const d of definitions) if (d.kind === 'message') messageLevel.add(d.type);
  return {
    types,
    messageLevel,
    attributes: (type: string, protocol?: string) => definitionFor(type, protocol)?.attributes,
    checkAttribute(type, value) {
      const check = ATTRIBUTE_TYPES[type];
      return check === undefined || check.ok(value) ? undefined : check.expected;
    },
    validate(type: string, attributes: Record<string, unknown>, protocol?: string) {
      const d = definitionFor(type, protocol);
      if (d?.validate === undefined) return undefined;
      const full: Record<string, unknown> = {};
      for (const spec of d.attributes) if (ZERO[spec.type] !== undefined) full[spec.name] = ZERO[spec.type];
      try {
        return d.validate({ ...full, ...attributes } as Parameters<typeof d.validate>[0]);
      } catch {
        // A toxic's own check that throws on an odd shape is not the user's problem to read here:
        // the proxy decodes attributes strictly when the fault is applied.
        return undefined;
      }
    },
    edgeProblem: edgeToxicProblem,
  };
}

/**
 * The definition of `type` on an edge of `protocol`: on a nats edge the NATS message toxics
 * shadow the registry's HTTP ones of the same name (`drop`, `duplicate`); elsewhere the registry's,
 * then a NATS-only type (so its attributes are still checked while the edge is reported wrong).
 */
export function definitionFor(type: string, protocol?: string): ToxicDefinition | undefined {
  if (protocol === 'nats') return natsToxicTypes.get(type) ?? toxicDefinition(type);
  return toxicDefinition(type) ?? natsToxicTypes.get(type);
}

/**
 * Why a fault of `type` does not fit an edge of `protocol` (the message for the fault's `type`),
 * or undefined. TCP toxics fit every edge; message toxics need the protocol that reads them
 * (the tcp case is reported by validate-semantics.ts).
 */
export function edgeToxicProblem(type: string, protocol: string, edgeId: string): string | undefined {
  const shared = toxicDefinition(type);
  if (protocol === 'nats' && shared?.kind === 'message' && !natsToxicTypes.has(type)) {
    return `"${type}" acts on HTTP requests but edge "${edgeId}" is nats, expected a TCP toxic (${TCP_TOXIC_TYPES.join(', ')}) or a NATS one (${NATS_TOXIC_TYPES.join(', ')})`;
  }
  if (protocol === 'http' && shared === undefined && natsToxicTypes.has(type)) {
    return `"${type}" acts on NATS messages but edge "${edgeId}" is http, expected protocol: nats on the edge`;
  }
  return undefined;
}
