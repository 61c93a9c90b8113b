/**
 * The toxic catalogue scenarios are checked against: the chaos proxy's own registry (types, kinds,
 * attribute names and Go types, and each toxic's `validate`), so a fault the proxy would refuse
 * with a 400 at run time is reported at its line in the file instead. The fixed list in
 * `schema.ts` fills in any type the registry does not (yet) carry.
 */
import { toxicDefinition, toxicDefinitions } from '../chaos/toxics/registry.js';
import { MESSAGE_TOXIC_TYPES, TCP_TOXIC_TYPES } from './schema.js';
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
  const types = [...new Set([...definitions.map((d) => d.type), ...TCP_TOXIC_TYPES, ...MESSAGE_TOXIC_TYPES])];
  const messageLevel = new Set<string>(MESSAGE_TOXIC_TYPES);
  for (const d of definitions) if (d.kind === 'message') messageLevel.add(d.type);
  return {
    types,
    messageLevel,
    attributes: (type) => toxicDefinition(type)?.attributes,
    checkAttribute(type, value) {
      const check = ATTRIBUTE_TYPES[type];
      return check === undefined || check.ok(value) ? undefined : check.expected;
    },
    validate(type, attributes) {
      const d = toxicDefinition(type);
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
  };
}
