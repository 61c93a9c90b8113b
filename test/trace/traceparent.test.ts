import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTraceparent, traceIdOf } from '../../src/trace/traceparent.js';
import { parseTraceparent as hopTraceContext } from '../../src/detect/hops.js';
import { traceIdOf as driverTraceIdOf } from '../../src/load/template.js';
import { traceIdOf as proxyTraceIdOf } from '../../src/chaos/http/identity.js';

const HEX = '0123456789abcdef';
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: n, maxLength: n });
const nonZeroHex = (n: number) => hex(n).filter((h) => /[^0]/.test(h));
/** A version a receiver must accept: 00..fe. */
const version = hex(2).filter((v) => v !== 'ff');

interface Valid {
  header: string;
  version: string;
  traceId: string;
  parentId: string;
  flags: string;
}

/** Valid headers: version 00 as is, later versions with or without extra `-…` fields. */
const validHeader: fc.Arbitrary<Valid> = fc
  .record({ version, traceId: nonZeroHex(32), parentId: nonZeroHex(16), flags: hex(2), extra: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }) })
  .map(({ version, traceId, parentId, flags, extra }) => ({
    version,
    traceId,
    parentId,
    flags,
    header: `${version}-${traceId}-${parentId}-${flags}${version !== '00' && extra !== undefined ? `-${extra}` : ''}`,
  }));

/** Version-00 headers only (exactly 55 characters). */
const valid00 = validHeader.filter((v) => v.version === '00');
const v00 = fc.record({ traceId: nonZeroHex(32), parentId: nonZeroHex(16), flags: hex(2) }).map((f) => `00-${f.traceId}-${f.parentId}-${f.flags}`);

/** Mutations of a valid version-00 header, each one breaking a rule of the spec. */
const mutated: fc.Arbitrary<{ header: string; why: string }> = fc.oneof(
  // A hex digit made non-hex, or upper case.
  fc.tuple(v00, fc.nat(54), fc.constantFrom('g', 'z', 'G', 'X', ' ', '_', '.')).filter(([h, i]) => h[i] !== '-').map(([h, i, c]) => ({ header: h.slice(0, i) + c + h.slice(i + 1), why: `non-hex ${JSON.stringify(c)} at ${i}` })),
  fc.tuple(v00, fc.nat(54)).filter(([h, i]) => /[a-f]/.test(h[i]!)).map(([h, i]) => ({ header: h.slice(0, i) + h[i]!.toUpperCase() + h.slice(i + 1), why: `upper case at ${i}` })),
  // A dash replaced, a character deleted or inserted (version 00 is exactly 55 characters).
  fc.tuple(v00, fc.constantFrom(2, 35, 52), fc.constantFrom(...HEX)).map(([h, i, c]) => ({ header: h.slice(0, i) + c + h.slice(i + 1), why: `dash ${i} replaced` })),
  fc.tuple(v00, fc.nat(54)).map(([h, i]) => ({ header: h.slice(0, i) + h.slice(i + 1), why: `character ${i} deleted` })),
  fc.tuple(v00, fc.nat(55), fc.constantFrom(...HEX, '-', 'x')).map(([h, i, c]) => ({ header: h.slice(0, i) + c + h.slice(i), why: `character inserted at ${i}` })),
  // Fields past the four of version 00, all-zero ids, version ff.
  fc.tuple(v00, fc.string({ maxLength: 8 })).map(([h, extra]) => ({ header: `${h}-${extra}`, why: 'extra fields on version 00' })),
  v00.map((h) => ({ header: `${h.slice(0, 3)}${'0'.repeat(32)}${h.slice(35)}`, why: 'all-zero trace id' })),
  v00.map((h) => ({ header: `${h.slice(0, 36)}${'0'.repeat(16)}${h.slice(52)}`, why: 'all-zero parent id' })),
  v00.map((h) => ({ header: `ff${h.slice(2)}`, why: 'version ff' })),
  // A later version whose 56th character is not a dash.
  fc.tuple(v00, version.filter((v) => v !== '00'), fc.constantFrom(...HEX, 'x')).map(([h, v, c]) => ({ header: `${v}${h.slice(2)}${c}`, why: `version ${v} without a dash after the known fields` })),
);

describe('W3C traceparent (property)', () => {
  it('random valid headers parse to their own fields (also with optional white space around them)', () => {
    fc.assert(
      fc.property(validHeader, fc.constantFrom('', ' ', '\t', '  '), (v, ows) => {
        const tc = parseTraceparent(`${ows}${v.header}${ows}`);
        expect(tc).toEqual({ version: v.version, traceId: v.traceId, parentId: v.parentId, flags: v.flags, sampled: (parseInt(v.flags, 16) & 1) === 1 });
        expect(traceIdOf(v.header)).toBe(v.traceId);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(valid00, (v) => {
        expect(v.header).toHaveLength(55);
      }),
    );
  });

  it('every mutation that breaks a rule is rejected as a whole', () => {
    fc.assert(
      fc.property(mutated, ({ header, why }) => {
        expect(parseTraceparent(header), why).toBeNull();
        expect(traceIdOf(header), why).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('the detectors, the driver and the proxy read a header the same way', () => {
    fc.assert(
      fc.property(fc.oneof(validHeader.map((v) => v.header), mutated.map((m) => m.header), fc.string({ maxLength: 60 })), (header) => {
        const id = traceIdOf(header);
        expect(hopTraceContext(header)).toEqual(id === null ? { traceId: null, spanId: null } : { traceId: id, spanId: parseTraceparent(header)!.parentId });
        expect(driverTraceIdOf(header)).toBe(id);
        expect(proxyTraceIdOf(header)).toBe(id);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('W3C traceparent (examples)', () => {
  it('reads the spec example and rejects the classic mistakes', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
      sampled: true,
    });
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.sampled).toBe(false);
    expect(parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01')).toBeNull();
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01, 00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeNull();
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7')).toBeNull();
    expect(parseTraceparent('')).toBeNull();
    expect(parseTraceparent(undefined)).toBeNull();
  });
});
