/**
 * Per-request templates: the URL path, header values and body may use `${uuid}` (the workflow's
 * UUID, the same in every step of it), `${seq}` (0, 1, 2, … in arrival order), `${phase}` (the
 * current phase's name), `${workflow}` (the workflow's name) and every value an earlier step of the
 * workflow extracted (`${taskId}`). Every request also gets an Idempotency-Key (by default the
 * uuid) and a W3C `traceparent` whose trace id is the workflow's, drawn from the run's seeded RNG
 * so a replay sends the same ids.
 *
 * Values are escaped for where they land ({@link TemplateEscape}), so an extracted value can never
 * break the JSON of a body, end a header line or the request line.
 */
import type { Rng } from '../chaos/rng.js';
import { AgentcheckError } from '../errors.js';

/** Built-in variables a template may use (extracted names come on top). */
export const TEMPLATE_VARIABLES = ['uuid', 'seq', 'phase', 'workflow'] as const;

/** Values for one request. */
export interface RequestVars {
  uuid: string;
  seq: number;
  phase: string;
  /** The workflow's name (default `default`). */
  workflow?: string;
  /** Values extracted by earlier steps of the workflow. */
  extracted?: Readonly<Record<string, string>>;
}

/**
 * How rendered values are escaped: `json` (inside a JSON string: quotes, backslashes and control
 * characters escaped), `path` (extracted values percent-encoded as one path or query component),
 * `header` (CR, LF and NUL removed), `none`.
 */
export type TemplateEscape = 'none' | 'json' | 'path' | 'header';

/** Options of {@link compileTemplate}. */
export interface TemplateOptions {
  /** Names extracted by earlier steps that this template may use. */
  extracted?: readonly string[];
  escape?: TemplateEscape;
}

/** A compiled template: a function of the request's variables (static text compiles to a constant). */
export interface CompiledTemplate {
  readonly isStatic: boolean;
  /** Extracted names it uses. */
  readonly uses: readonly string[];
  render(vars: RequestVars): string;
}

const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;
const HEADER_UNSAFE = /[\r\n\u0000]/g;

function escapeJson(v: string): string {
  return NEEDS_JSON_ESCAPE.test(v) ? JSON.stringify(v).slice(1, -1) : v;
}

function escaper(escape: TemplateEscape, extracted: boolean): (v: string) => string {
  switch (escape) {
    case 'json':
      return escapeJson;
    case 'header':
      return (v) => v.replace(HEADER_UNSAFE, '');
    case 'path':
      // Built-ins are URL-safe names; extracted values are data and are encoded as one component.
      return extracted ? encodeURIComponent : (v) => v.replace(/[\s#]/g, encodeURIComponent);
    default:
      return (v) => v;
  }
}

type Part = { text: string } | { builtin: 'uuid' | 'seq' | 'phase' | 'workflow'; esc: (v: string) => string } | { name: string; esc: (v: string) => string };

/** Compiles `${var}` placeholders; an unknown variable is a usage error naming the valid ones. */
export function compileTemplate(text: string, where: string, options: TemplateOptions = {}): CompiledTemplate {
  const parts: Part[] = [];
  const uses: string[] = [];
  const extracted = options.extracted ?? [];
  const escape = options.escape ?? 'none';
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[1]!.trim();
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    if ((TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      parts.push({ builtin: name as 'uuid', esc: escaper(escape, false) });
    } else if (extracted.includes(name)) {
      parts.push({ name, esc: escaper(escape, true) });
      if (!uses.includes(name)) uses.push(name);
    } else {
      const valid = [...TEMPLATE_VARIABLES, ...extracted].map((v) => `\${${v}}`).join(', ');
      throw new AgentcheckError('usage', `unknown template variable \${${name}} in ${where}`, `valid here: ${valid} (an extracted name is usable in the steps after the one that extracts it)`);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  if (parts.every((p) => 'text' in p)) return { isStatic: true, uses, render: () => text };
  return {
    isStatic: false,
    uses,
    render(v: RequestVars): string {
      let out = '';
      for (const p of parts) {
        if ('text' in p) out += p.text;
        else if ('builtin' in p) {
          if (p.builtin === 'uuid') out += v.uuid;
          else if (p.builtin === 'seq') out += String(v.seq);
          else out += p.esc(p.builtin === 'phase' ? v.phase : (v.workflow ?? 'default'));
        } else out += p.esc(v.extracted?.[p.name] ?? '');
      }
      return out;
    },
  };
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `n` random bytes as lowercase hex, from `rng`. */
export function randomHex(rng: Rng, bytes: number): string {
  let out = '';
  let word = 0;
  for (let i = 0; i < bytes; i++) {
    if (i % 4 === 0) word = Math.floor(rng.next() * 4294967296) >>> 0;
    out += HEX[(word >>> ((i % 4) * 8)) & 0xff];
  }
  return out;
}

/** A version-4 UUID drawn from `rng`. */
export function randomUuid(rng: Rng): string {
  const h = randomHex(rng, 16);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A W3C traceparent (`00-<trace id>-<parent id>-01`, sampled) with fresh ids from `rng`. */
export function randomTraceparent(rng: Rng): string {
  let trace = randomHex(rng, 16);
  let span = randomHex(rng, 8);
  // All-zero ids are invalid per the spec; astronomically unlikely, but cheap to rule out.
  if (trace === ZERO_TRACE) trace = '00000000000000000000000000000001';
  if (span === ZERO_SPAN) span = '0000000000000001';
  return `00-${trace}-${span}-01`;
}

/** The trace id of a traceparent header (null when it is not a valid one); parsed by src/trace/traceparent.ts. */
export { traceIdOf } from '../trace/traceparent.js';
