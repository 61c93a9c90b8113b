/**
 * Turns the Pact verifier's JSON results into readable mismatches: each names the interaction, the
 * JSON path (one per missing key, not Pact's "map is missing the following keys" at `$`), the
 * expected and actual values and the matcher that applied, with a hint for a likely renamed field.
 */
import { childPath, expectedBody, interactionStates, matcherAt, valueAt, type PactFile, type PactInteraction } from './pact-file.js';

/** What a mismatch is about. */
export type MismatchKind = 'body' | 'status' | 'header' | 'metadata' | 'query' | 'path' | 'method' | 'content-type' | 'state' | 'message' | 'error';

/** One readable difference between a contract and the provider's behaviour. */
export interface ContractMismatch {
  kind: MismatchKind;
  /** JSON path for body mismatches, the header or metadata key, or the state name. */
  path?: string;
  expected?: string;
  actual?: string;
  /** The matcher that applied, in words (`type`, `regex ^…$`, `equality`). */
  matcher?: string;
  /** Pact's own sentence, kept for completeness. */
  message: string;
  hint?: string;
}

/** The verifier's JSON result, as far as agentcheck reads it. */
export interface VerifierJson {
  result?: boolean;
  errors?: VerifierError[];
  pendingErrors?: VerifierError[];
  interactionResults?: Array<{ description?: string; duration?: string; result?: string }>;
  output?: string[];
}

/** One failed interaction in the verifier's JSON. */
export interface VerifierError {
  interaction: string;
  mismatch: {
    type: string;
    message?: string;
    mismatches?: Array<Record<string, unknown>>;
  };
}

const MISSING_KEYS = /^Actual map is missing the following keys: (.*)$/;

function show(v: unknown): string {
  return v === undefined ? '(missing)' : JSON.stringify(v);
}

/** Pact reports expected/actual as JSON text; show strings with quotes, leave the rest as written. */
function jsonText(v: unknown): string | undefined {
  if (v === undefined || v === null) return v === null ? 'null' : undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function normalizedKey(k: string): string {
  return k.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function parseKeyList(text: string): string[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // Not JSON: Pact's own wording instead.
  }
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function bodyMismatches(m: Record<string, unknown>, interaction: PactInteraction | undefined): ContractMismatch[] {
  const path = String(m['path'] ?? '$');
  const message = String(m['mismatch'] ?? 'body mismatch');
  const missing = MISSING_KEYS.exec(message);
  if (missing?.[1]) {
    const actualKeys = m['actual'] !== undefined ? parseKeyList(String(m['actual'])) : [];
    const expectedKeys = m['expected'] !== undefined ? parseKeyList(String(m['expected'])) : [];
    const body = interaction ? expectedBody(interaction) : undefined;
    return missing[1].split(',').map((raw) => {
      const key = raw.trim();
      const keyPath = childPath(path, key);
      const out: ContractMismatch = {
        kind: 'body',
        path: keyPath,
        expected: show(valueAt(body, keyPath)),
        actual: '(missing)',
        message: `${keyPath}: expected key '${key}' is missing`,
      };
      if (interaction) out.matcher = matcherAt(interaction, keyPath);
      const extra = actualKeys.filter((k) => !expectedKeys.includes(k));
      const lookalike = extra.find((k) => normalizedKey(k) === normalizedKey(key));
      if (lookalike) out.hint = `the provider sends '${lookalike}' instead: was '${key}' renamed?`;
      else if (extra.length) out.hint = `keys the provider sends that the contract does not name: ${extra.join(', ')}`;
      return out;
    });
  }
  const out: ContractMismatch = {
    kind: 'body',
    path,
    message,
  };
  const expected = jsonText(m['expected']);
  const actual = jsonText(m['actual']);
  if (expected !== undefined) out.expected = expected;
  if (actual !== undefined) out.actual = actual;
  if (interaction) out.matcher = matcherAt(interaction, path);
  return [out];
}

/** Converts one verifier error entry into readable mismatches. */
export function readableMismatches(error: VerifierError, interaction?: PactInteraction): ContractMismatch[] {
  const { mismatch } = error;
  if (mismatch.type !== 'mismatches' || !mismatch.mismatches) {
    const message = mismatch.message ?? 'verification error';
    const kind: MismatchKind = /state change/i.test(message) ? 'state' : 'error';
    return [{ kind, message }];
  }
  const out: ContractMismatch[] = [];
  for (const m of mismatch.mismatches) {
    const type = String(m['type'] ?? '');
    const message = String(m['mismatch'] ?? type);
    switch (type) {
      case 'BodyMismatch':
        out.push(...bodyMismatches(m, interaction));
        break;
      case 'StatusMismatch':
        out.push({ kind: 'status', expected: String(m['expected']), actual: String(m['actual']), message });
        break;
      case 'HeaderMismatch':
        out.push({ kind: 'header', path: String(m['key'] ?? ''), expected: show(m['expected']), actual: show(m['actual']), message });
        break;
      case 'MetadataMismatch':
        out.push({ kind: 'metadata', path: String(m['key'] ?? ''), expected: show(m['expected']), actual: show(m['actual']), message });
        break;
      case 'QueryMismatch':
        out.push({ kind: 'query', path: String(m['parameter'] ?? ''), expected: show(m['expected']), actual: show(m['actual']), message });
        break;
      case 'PathMismatch':
        out.push({ kind: 'path', expected: show(m['expected']), actual: show(m['actual']), message });
        break;
      case 'MethodMismatch':
        out.push({ kind: 'method', expected: show(m['expected']), actual: show(m['actual']), message });
        break;
      case 'BodyTypeMismatch':
        out.push({ kind: 'content-type', expected: show(m['expected']), actual: show(m['actual']), message });
        break;
      default:
        out.push({ kind: 'error', message });
    }
  }
  return out;
}

/** Which interaction of which pact a verifier error string names (`Verifying a pact between C and P [Given …] - description`). */
export function locateInteraction(label: string, pacts: readonly PactFile[]): { pact: PactFile; interaction: PactInteraction } | undefined {
  let best: { pact: PactFile; interaction: PactInteraction; score: number } | undefined;
  for (const pact of pacts) {
    const prefix = `Verifying a pact between ${pact.consumer} and ${pact.provider}`;
    if (!label.startsWith(prefix)) continue;
    for (const interaction of pact.interactions) {
      if (!label.endsWith(` - ${interaction.description}`)) continue;
      const states = interactionStates(interaction).map((s) => s.name);
      const middle = label.slice(prefix.length, label.length - interaction.description.length - 3);
      // Prefer the candidate whose states are exactly what the label lists (descriptions may repeat).
      const score = states.length === 0 ? (middle === '' ? 2 : 0) : states.every((s) => middle.includes(s)) ? 2 + states.length : 0;
      if (!best || score > best.score) best = { pact, interaction, score };
    }
  }
  return best && { pact: best.pact, interaction: best.interaction };
}
