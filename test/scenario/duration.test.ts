import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { formatDuration, parseDuration, tryParseDuration } from '../../src/scenario/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [' 2s ', 2000],
    ['0ms', 0],
    [250, 250],
    [0, 0],
    [0.5, 0.5],
  ] as const)('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '5', '5 minutes', '-1s', '1d', 's', '1.s', '1e3ms', 'NaN', '1s 2x', '１s'])('rejects %j', (input) => {
    expect(tryParseDuration(input)).toBeUndefined();
    expect(() => parseDuration(input, 'warmup')).toThrow(/^warmup: got ".*", expected a duration such as "500ms"/);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, null, true, {}, [], undefined])('rejects %j', (input) => {
    expect(tryParseDuration(input)).toBeUndefined();
    expect(() => parseDuration(input)).toThrow(AgentcheckError);
  });

  it('formats to the shortest string that parses back', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_250)).toBe('1h250ms');
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(1.5)).toBe('1.5ms');
  });

  it('round-trips any whole number of milliseconds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('sums the parts of any unit sequence (property)', () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map(([n, [u]]) => `${n}${u}`).join('');
        expect(parseDuration(text)).toBe(parts.reduce((sum, [n, [, size]]) => sum + n * (size as number), 0));
      }),
    );
  });

  it('never throws anything but AgentcheckError on random input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything(), fc.stringMatching(/^[0-9.]{0,6}(ms|s|m|h|x)?$/)), (input) => {
        try {
          const ms = parseDuration(input);
          expect(Number.isFinite(ms) && ms >= 0).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(AgentcheckError);
          expect((err as AgentcheckError).code).toBe('config');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
