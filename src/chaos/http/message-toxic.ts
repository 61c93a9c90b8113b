/**
 * The http layer's side of the message-toxic plugin interface. A message toxic file declares its
 * attributes and compiles them into a matcher, decision gates and a {@link MessageAction}; the
 * per-connection engine (exchange.ts) carries the actions out.
 *
 * Attributes every message toxic has (zero value = no filter):
 * - `match` (JSON object, default null = every request):
 *   `{"method": "POST" | [...], "path": "/a2a/**" | [...], "header": {"x-tenant": "acme-*"},
 *     "jsonrpc_method": "tools/call" | [...]}`; every given filter must match (see match.ts)
 * - `first`: only the first N matching requests; `every`: only every N-th matching request
 * - `only`: a list of match ordinals (1-based) to hit exactly, no roll
 * - `replay`: a journaled schedule to apply exactly: `[{"id": "<identity>", "attempt": 0,
 *   "value": {"delayMs": 120}}, …]` (see decision.ts); set, even to `[]`, it replaces every gate
 * and the toxic's `toxicity` is the per-request probability (Toxiproxy rolls it per connection).
 */
import type { Rng } from '../rng.js';
import type { AttributeSpec, MessageToxicDefinition, ToxicAttributes, ToxicDefinition } from '../toxic.js';
import { AttributeError } from './attributes.js';
import type { DecisionSpec, DecisionValue, ReplayDecision } from './decision.js';
import { compileMatch, parseMatch, type RequestMatcher } from './match.js';

/** What a fired message toxic does to one request. */
export type MessageAction =
  | { kind: 'drop'; mode: 'hang' | 'reset' | 'status'; status: number }
  | { kind: 'respond'; status: number; headers: Array<[string, string]>; body: string }
  | { kind: 'duplicate'; copies: number; mode: 'sequential' | 'concurrent' }
  | { kind: 'commit_then_drop'; mode: 'reset' | 'hang' | 'status'; status: number }
  | { kind: 'delay'; side: 'request' | 'response'; ms: number }
  | { kind: 'stream_cut'; events: number; mode: 'close' | 'reset' };

/** A message toxic's attributes compiled once, used for every request. */
export interface CompiledMessageToxic {
  readonly match: RequestMatcher;
  readonly decision: DecisionSpec;
  /** The action for one request that fired; `rng` is the toxic's own stream (for random delays). */
  action(rng: Rng): MessageAction;
}

/** A message toxic type as the http layer needs it. */
export interface HttpMessageToxicDefinition extends MessageToxicDefinition {
  /** `request`: decided when the request is known; `response`: when the response head arrives (stream_cut). */
  readonly phase: 'request' | 'response';
  /** Compiles attributes (already decoded and validated). Throws {@link AttributeError} on bad values. */
  compile(attributes: ToxicAttributes, stream: 'upstream' | 'downstream'): CompiledMessageToxic;
}

/** True when `d` is a message toxic the http layer can apply. */
export function isHttpMessageToxic(d: ToxicDefinition): d is HttpMessageToxicDefinition {
  return d.kind === 'message' && typeof (d as Partial<HttpMessageToxicDefinition>).compile === 'function';
}

/** The matching and decision attributes every message toxic has, in output order. */
export const COMMON_MESSAGE_ATTRIBUTES: readonly AttributeSpec[] = [
  { name: 'match', type: 'json' },
  { name: 'first', type: 'int64' },
  { name: 'every', type: 'int64' },
  { name: 'only', type: 'json' },
  { name: 'replay', type: 'json' },
];

/** Reads a numeric attribute (number or bigint) as a JS number; anything else is 0. */
export function attrNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return 0;
}

/** Reads a string attribute; anything else is ''. */
export function attrString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Reads the shared decision attributes; `first`/`every` must be ≥ 0. */
export function readDecision(attributes: ToxicAttributes): DecisionSpec {
  const first = attrNumber(attributes.first);
  const every = attrNumber(attributes.every);
  if (first < 0) throw new AttributeError(`attribute 'first' must be 0 or more, got ${first}`);
  if (every < 0) throw new AttributeError(`attribute 'every' must be 0 or more, got ${every}`);
  const only = readOnly(attributes.only);
  const replay = readReplay(attributes.replay);
  // Per-request probability is the toxic's toxicity, rolled by the Decider.
  return { probability: 1, first, every, ...(only.length > 0 ? { only } : {}), ...(replay ? { replay } : {}) };
}

const VALUE_FIELDS = ['delayMs', 'copies', 'status', 'events'] as const;

/** `replay`: null/absent (off), or a list of `{id: string|null, attempt: int ≥ 0, ordinal?: int, value?: {...}}`. */
function readReplay(value: unknown): ReplayDecision[] | undefined {
  if (value === null || value === undefined) return undefined;
  const bad = (why: string) => new AttributeError(`attribute 'replay' ${why}`);
  if (!Array.isArray(value)) throw bad(`must be a list of journaled decisions, got ${JSON.stringify(value)}`);
  return value.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw bad(`[${i}] must be an object`);
    const r = item as Record<string, unknown>;
    if (r.id !== null && typeof r.id !== 'string') throw bad(`[${i}].id must be a string or null`);
    const attempt = r.attempt ?? 0;
    if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 0) throw bad(`[${i}].attempt must be an integer ≥ 0`);
    const out: ReplayDecision = { id: r.id as string | null, attempt };
    if (r.id === null) {
      if (typeof r.ordinal !== 'number' || !Number.isInteger(r.ordinal) || r.ordinal < 1) throw bad(`[${i}].ordinal must be a positive integer when id is null`);
      out.ordinal = r.ordinal;
    }
    if (r.value !== undefined && r.value !== null) {
      if (typeof r.value !== 'object' || Array.isArray(r.value)) throw bad(`[${i}].value must be an object`);
      const v: DecisionValue = {};
      for (const k of VALUE_FIELDS) {
        const x = (r.value as Record<string, unknown>)[k];
        if (x === undefined) continue;
        if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw bad(`[${i}].value.${k} must be a number ≥ 0`);
        v[k] = x;
      }
      out.value = v;
    }
    return out;
  });
}

/** What a fired action drew or applied, for the journal (the fields {@link withValue} replays). */
export function actionValue(action: MessageAction): DecisionValue {
  switch (action.kind) {
    case 'delay':
      return { delayMs: Math.round(action.ms * 1000) / 1000 };
    case 'duplicate':
      return { copies: action.copies };
    case 'respond':
      return { status: action.status };
    case 'drop':
    case 'commit_then_drop':
      return action.mode === 'status' ? { status: action.status } : {};
    case 'stream_cut':
      return { events: action.events };
  }
}

/** `action` with a journaled value applied instead of what was drawn now (replay). */
export function withValue(action: MessageAction, value: DecisionValue): MessageAction {
  switch (action.kind) {
    case 'delay':
      return value.delayMs !== undefined ? { ...action, ms: value.delayMs } : action;
    case 'duplicate':
      return value.copies !== undefined ? { ...action, copies: value.copies } : action;
    case 'respond':
    case 'drop':
    case 'commit_then_drop':
      return value.status !== undefined ? { ...action, status: value.status } : action;
    case 'stream_cut':
      return value.events !== undefined ? { ...action, events: value.events } : action;
  }
}

/** `only`: null/absent, or a list of positive integers (match ordinals). */
function readOnly(value: unknown): number[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    throw new AttributeError(`attribute 'only' must be a list of match numbers (positive integers), got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

/** Compiles the shared attributes, for a toxic file's `compile`. */
export function compileCommon(attributes: ToxicAttributes): { match: RequestMatcher; decision: DecisionSpec } {
  return { match: compileMatch(parseMatch(attributes.match)), decision: readDecision(attributes) };
}

/** One of `allowed` (the zero value '' picks `def`), or an {@link AttributeError}. */
export function modeAttr<T extends string>(value: unknown, key: string, def: T, allowed: readonly T[]): T {
  const v = attrString(value).trim().toLowerCase();
  if (v === '') return def;
  if (!allowed.includes(v as T)) {
    throw new AttributeError(`attribute '${key}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${v}'`);
  }
  return v as T;
}

/** An HTTP status attribute: 0 picks `def`; otherwise 100..599. */
export function statusAttr(value: unknown, key: string, def: number): number {
  const v = attrNumber(value);
  if (v === 0) return def;
  if (!Number.isInteger(v) || v < 100 || v > 599) throw new AttributeError(`attribute '${key}' must be an HTTP status 100..599, got ${v}`);
  return v;
}

/** `validate` for a definition: runs `compile` and turns an {@link AttributeError} into its message. */
export function validateByCompiling(
  compile: (attributes: ToxicAttributes, stream: 'upstream' | 'downstream') => unknown,
): (attributes: ToxicAttributes) => string | undefined {
  return (attributes) => {
    try {
      compile(attributes, 'downstream');
      return undefined;
    } catch (e) {
      if (e instanceof AttributeError) return e.message;
      throw e;
    }
  };
}
