/**
 * The exported JSON Schema (`schema/scenario.schema.json`), generated from `schema.ts` so the file
 * editors use and the validator agentcheck runs cannot drift: a test compares the committed file
 * with {@link scenarioJsonSchemaText}. Regenerate with `agentcheck scenario schema > schema/scenario.schema.json`.
 */
import { scenarioSchema, type SchemaNode } from './schema.js';

/** Private keywords of `schema.ts` that are not JSON Schema. */
const PRIVATE_KEYS = new Set(['x-expected']);

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!PRIVATE_KEYS.has(k)) out[k] = strip(v);
  return out;
}

/** The scenario JSON Schema (draft 2020-12) as a plain object, without agentcheck's private keywords. */
export function scenarioJsonSchema(): SchemaNode {
  return strip(scenarioSchema) as SchemaNode;
}

/** The exact text of `schema/scenario.schema.json`: two-space JSON and a final newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
