/**
 * Which NATS messages a message toxic applies to. Attribute shape (`attributes.match`):
 * `{ "subject": "orders.*" | [..], "header": {"Nats-Msg-Id": "order-*"},
 *    "direction": "publish" | "deliver" | [..], "stream": "ORDERS", "consumer": "notifier" }`
 * Every given filter must match; an empty filter matches every message. Subjects use NATS
 * wildcards (`*` one token, `>` the rest); header values match exactly or with `*` for any run of
 * characters, names case-insensitively; `stream` / `consumer` (same wildcard) match JetStream
 * deliveries and acks only. Unknown keys are an error, so a misspelt filter never matches everything.
 */
import { AttributeError, asObject, stringListAttr, stringMapAttr } from '../http/attributes.js';
import type { NatsDirection } from './parser.js';
import { compileSubject, subjectPatternError } from './subject.js';

/** The `match` attribute of a NATS message toxic. */
export interface NatsMatchSpec {
  subject?: string[];
  header?: Record<string, string>;
  direction?: NatsDirection[];
  stream?: string;
  consumer?: string;
}

/** What the proxy knows about a message when deciding. */
export interface NatsMessageFacts {
  readonly direction: NatsDirection;
  /** The subject matched: for a JetStream ack, the subject of the message it acknowledges when the proxy saw it delivered. */
  readonly subject: string;
  /** Header value by name (case-insensitive). */
  header(name: string): string | undefined;
  /** JetStream stream and consumer (deliveries and acks), null otherwise. */
  readonly stream: string | null;
  readonly consumer: string | null;
}

/** A compiled {@link NatsMatchSpec}. */
export type NatsMatcher = (facts: NatsMessageFacts) => boolean;

const KEYS = new Set(['subject', 'header', 'direction', 'stream', 'consumer']);
const DIRECTIONS: readonly NatsDirection[] = ['publish', 'deliver'];

function wildcard(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (v) => v === pattern;
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
  return (v) => re.test(v);
}

function optionalString(attrs: Record<string, unknown>, key: string): string | undefined {
  const v = attrs[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new AttributeError(`attribute 'match.${key}' must be a string`);
  return v;
}

/** Validates and normalises `attributes.match`; `allowed` limits the keys (drop_ack has no `direction`). */
export function parseNatsMatch(value: unknown, allowed: ReadonlySet<string> = KEYS): NatsMatchSpec {
  const attrs = asObject(value, "attribute 'match'");
  for (const key of Object.keys(attrs)) {
    if (!allowed.has(key)) {
      throw new AttributeError(`attribute 'match' has an unknown key '${key}' (known: ${[...allowed].join(', ')})`);
    }
  }
  const spec: NatsMatchSpec = {};
  const subject = stringListAttr(attrs, 'subject', "attribute 'match.subject'");
  for (const s of subject) {
    const problem = subjectPatternError(s);
    if (problem) throw new AttributeError(`attribute 'match.subject' '${s}' ${problem}`);
  }
  if (subject.length) spec.subject = subject;
  const header = stringMapAttr(attrs, 'header', "attribute 'match.header'");
  if (Object.keys(header).length) spec.header = header;
  const direction = stringListAttr(attrs, 'direction', "attribute 'match.direction'").map((d) => d.toLowerCase());
  for (const d of direction) {
    if (!DIRECTIONS.includes(d as NatsDirection)) throw new AttributeError(`attribute 'match.direction' must be 'publish' or 'deliver', got '${d}'`);
  }
  if (direction.length) spec.direction = direction as NatsDirection[];
  const stream = optionalString(attrs, 'stream');
  if (stream !== undefined) spec.stream = stream;
  const consumer = optionalString(attrs, 'consumer');
  if (consumer !== undefined) spec.consumer = consumer;
  return spec;
}

/** Compiles a {@link NatsMatchSpec} into a predicate. */
export function compileNatsMatch(spec: NatsMatchSpec): NatsMatcher {
  const tests: NatsMatcher[] = [];
  if (spec.direction) {
    const set = new Set(spec.direction);
    tests.push((f) => set.has(f.direction));
  }
  if (spec.subject) {
    const subjects = spec.subject.map(compileSubject);
    tests.push((f) => subjects.some((m) => m(f.subject)));
  }
  if (spec.header) {
    for (const [name, pattern] of Object.entries(spec.header)) {
      const test = wildcard(pattern);
      tests.push((f) => {
        const v = f.header(name);
        return v !== undefined && test(v);
      });
    }
  }
  for (const key of ['stream', 'consumer'] as const) {
    const pattern = spec[key];
    if (pattern === undefined) continue;
    const test = wildcard(pattern);
    tests.push((f) => f[key] !== null && test(f[key]));
  }
  return (facts) => {
    for (const t of tests) if (!t(facts)) return false;
    return true;
  };
}
