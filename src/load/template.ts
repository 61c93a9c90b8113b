/**
 * Per-request templates: the URL path, header values and body may use `${uuid}` (a fresh UUID per
 * request, the same everywhere in that request), `${seq}` (0, 1, 2, … in send order) and `${phase}`
 * (the current phase's name). Every request also gets an Idempotency-Key (by default its uuid) and a
 * W3C `traceparent` with a fresh trace id, drawn from the run's seeded RNG so a replay sends the
 * same ids.
 */
import type { Rng } from '../chaos/rng.js';
import { AgentcheckError } from '../errors.js';

/** Variables a template may use. */
export const TEMPLATE_VARIABLES = ['uuid', 'seq', 'phase'] as const;

/** Values for one request. */
export interface RequestVars {
  uuid: string;
  seq: number;
  phase: string;
}

/** A compiled template: a function of the request's variables (static text compiles to a constant). */
export interface CompiledTemplate {
  readonly isStatic: boolean;
  render(vars: RequestVars): string;
}

/** Compiles `${var}` placeholders; an unknown variable is a usage error naming the valid ones. */
export function compileTemplate(text: string, where: string): CompiledTemplate {
  const parts: Array<{ text: string } | { variable: keyof RequestVars }> = [];
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[1]!.trim();
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      throw new AgentcheckError('usage', `unknown template variable \${${name}} in ${where}`, `valid: ${TEMPLATE_VARIABLES.map((v) => `\${${v}}`).join(', ')}`);
    }
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    parts.push({ variable: name as keyof RequestVars });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  if (parts.every((p) => 'text' in p)) return { isStatic: true, render: () => text };
  return {
    isStatic: false,
    render(v: RequestVars): string {
      let out = '';
      for (const p of parts) out += 'text' in p ? p.text : String(v[p.variable]);
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

/** The trace id of a traceparent header (null when it is not one). */
export function traceIdOf(traceparent: string | undefined): string | null {
  if (!traceparent) return null;
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/i.exec(traceparent.trim());
  return m ? m[1]!.toLowerCase() : null;
}
