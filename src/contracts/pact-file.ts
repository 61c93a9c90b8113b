/**
 * Reading Pact files (V2–V4 JSON) for what verification, reporting and the matrix need: who the
 * consumer and provider are, the interactions with their states and kinds, a content hash that
 * identifies the contract, and lookups of expected values and matching rules by JSON path.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentcheckError } from '../errors.js';

/** A provider state as stored in a pact. */
export interface PactProviderState {
  name: string;
  params?: Record<string, unknown>;
}

/** One interaction as stored in a pact file (the parts agentcheck reads). */
export interface PactInteraction {
  description: string;
  type?: string;
  providerStates?: PactProviderState[];
  providerState?: string;
  pending?: boolean;
  request?: { method?: string; path?: string; body?: unknown; headers?: Record<string, unknown>; matchingRules?: Record<string, unknown> };
  response?: { status?: number; body?: unknown; headers?: Record<string, unknown>; matchingRules?: Record<string, unknown> };
  contents?: unknown;
  metadata?: Record<string, unknown>;
  matchingRules?: Record<string, unknown>;
}

/** A parsed pact file. */
export interface PactFile {
  /** Absolute path. */
  file: string;
  consumer: string;
  provider: string;
  interactions: PactInteraction[];
  /** `sha256:` + 16 hex digits of the canonical consumer, provider and interactions (metadata excluded). */
  contentHash: string;
  /** From `metadata.agentcheck.consumerVersion`, else the content hash. */
  consumerVersion: string;
  /** The pact specification version, e.g. `4.0`. */
  specification: string;
}

/** The kind of an interaction: an HTTP request/response or a message. */
export function interactionKind(i: PactInteraction): 'http' | 'message' {
  if (i.type) return i.type.startsWith('Synchronous/HTTP') ? 'http' : 'message';
  return i.request ? 'http' : 'message';
}

/** The provider states of an interaction (V3+ `providerStates`, V2 `providerState`). */
export function interactionStates(i: PactInteraction): PactProviderState[] {
  if (i.providerStates) return i.providerStates;
  return i.providerState ? [{ name: i.providerState }] : [];
}

/** JSON with object keys sorted, so equal content hashes equally whatever the writer's key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Parses pact JSON text; throws a `config` error naming the file when it is not a pact. */
export function parsePact(text: string, file: string): PactFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AgentcheckError('config', `${file}: not valid JSON (${(err as Error).message})`);
  }
  const pact = json as {
    consumer?: { name?: unknown };
    provider?: { name?: unknown };
    interactions?: unknown;
    messages?: unknown;
    metadata?: { pactSpecification?: { version?: unknown }; agentcheck?: { consumerVersion?: unknown } };
  };
  const consumer = pact?.consumer?.name;
  const provider = pact?.provider?.name;
  if (typeof consumer !== 'string' || typeof provider !== 'string') {
    throw new AgentcheckError('config', `${file}: not a pact file (consumer.name and provider.name are required)`);
  }
  // V3 message pacts keep their messages apart; treat them as interactions.
  const list = [...(Array.isArray(pact.interactions) ? pact.interactions : []), ...(Array.isArray(pact.messages) ? pact.messages : [])] as PactInteraction[];
  for (const [n, i] of list.entries()) {
    if (typeof i?.description !== 'string') throw new AgentcheckError('config', `${file}: interaction ${n} has no description`);
  }
  const contentHash = `sha256:${createHash('sha256').update(canonicalJson({ consumer, provider, interactions: list })).digest('hex').slice(0, 16)}`;
  const stamped = pact.metadata?.agentcheck?.consumerVersion;
  return {
    file,
    consumer,
    provider,
    interactions: list,
    contentHash,
    consumerVersion: typeof stamped === 'string' && stamped ? stamped : contentHash,
    specification: String(pact.metadata?.pactSpecification?.version ?? 'unknown'),
  };
}

/** Reads one pact file. */
export async function readPact(file: string): Promise<PactFile> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new AgentcheckError('config', `cannot read pact file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePact(text, abs);
}

/** Reads every `*.json` pact in `dir` (not recursive), sorted by file name. Throws `config` when the folder is missing. */
export async function readPactDir(dir: string): Promise<PactFile[]> {
  const abs = path.resolve(dir);
  let names: string[];
  try {
    names = await readdir(abs);
  } catch (err) {
    throw new AgentcheckError('config', `cannot read the pact folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'pass --pacts DIR with the folder your consumer tests write pact files to');
  }
  const files = names.filter((n) => n.endsWith('.json')).sort();
  return Promise.all(files.map((n) => readPact(path.join(abs, n))));
}

// ---- JSON paths ----------------------------------------------------------------------------

/** Splits a Pact JSON path (`$.a.b[0]['x y']`) into keys and indexes. */
export function splitJsonPath(p: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]|\[\*\]|\.\*/g;
  const body = p.startsWith('$') ? p.slice(1) : p;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) out.push(m[4]);
    else out.push('*');
  }
  return out;
}

/** Appends a key to a JSON path, quoting it when it is not a plain identifier. */
export function childPath(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${parent}.${key}` : `${parent}['${key.replace(/'/g, "\\'")}']`;
}

/** The value at a JSON path in `root`, or `undefined`. */
export function valueAt(root: unknown, p: string): unknown {
  let cur: unknown = root;
  for (const key of splitJsonPath(p)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (key === '*') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** The example body of an interaction's response (HTTP) or contents (message). */
export function expectedBody(i: PactInteraction): unknown {
  const holder = interactionKind(i) === 'http' ? i.response?.body : i.contents;
  // V4 wraps bodies as {content, contentType, encoded}; V2/V3 store them bare.
  if (holder && typeof holder === 'object' && 'content' in holder && ('contentType' in holder || 'encoded' in holder)) {
    return (holder as { content: unknown }).content;
  }
  return holder;
}

function bodyRules(i: PactInteraction): Record<string, unknown> {
  const rules = (interactionKind(i) === 'http' ? i.response?.matchingRules : i.matchingRules) as Record<string, unknown> | undefined;
  const body = rules?.['body'] ?? rules?.['content'];
  return (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
}

function pathMatches(rulePath: string, concrete: string): boolean {
  const a = splitJsonPath(rulePath);
  const b = splitJsonPath(concrete);
  if (a.length !== b.length) return false;
  return a.every((k, n) => k === '*' || k === b[n]);
}

/** A human description of a Pact matcher, e.g. `type`, `regex ^[A-Z]{3}$`, `type, at least 1`. */
export function describeMatcher(m: Record<string, unknown>): string {
  const kind = String(m['match'] ?? 'equality');
  const parts = [kind];
  if (m['regex'] !== undefined) parts[0] = `regex ${String(m['regex'])}`;
  if (m['format'] !== undefined) parts[0] = `${kind} ${String(m['format'])}`;
  if (m['min'] !== undefined) parts.push(`at least ${String(m['min'])}`);
  if (m['max'] !== undefined) parts.push(`at most ${String(m['max'])}`);
  if (m['value'] !== undefined && kind === 'contentType') parts[0] = `contentType ${String(m['value'])}`;
  return parts.join(', ');
}

/**
 * The matcher that applies to `jsonPath` of the interaction's response/message body, in words.
 * Falls back to the nearest ancestor's type matcher (Pact cascades it) and then to `equality`.
 */
export function matcherAt(i: PactInteraction, jsonPath: string): string {
  const rules = bodyRules(i);
  const segs = splitJsonPath(jsonPath);
  for (let len = segs.length; len >= 0; len--) {
    const prefix = `$${segs
      .slice(0, len)
      .map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`))
      .join('')}`;
    for (const [rulePath, rule] of Object.entries(rules)) {
      if (!pathMatches(rulePath, prefix)) continue;
      const matchers = (rule as { matchers?: Array<Record<string, unknown>> }).matchers ?? [];
      if (!matchers.length) continue;
      const described = matchers.map(describeMatcher).join(' and ');
      if (len === segs.length) return described;
      if (matchers.some((m) => m['match'] === 'type')) return `${described} (from ${rulePath})`;
    }
  }
  return 'equality';
}
