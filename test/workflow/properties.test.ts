import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/chaos/rng.js';
import { compileTemplate } from '../../src/load/template.js';
import { formatPath, parsePath, pathValueText, readPath, type PathSegment } from '../../src/workflow/path.js';
import { WeightedMix } from '../../src/workflow/mix.js';
import { SseReader } from '../../src/workflow/sse.js';
import { AgentcheckError } from '../../src/errors.js';

/** A JSON value together with a path to one of its leaves (or inner values) and what is there. */
const valueWithPath: fc.Arbitrary<{ root: unknown; segments: PathSegment[]; at: unknown }> = fc
  .array(fc.oneof(fc.string({ maxLength: 6 }).map((key) => ({ key })), fc.nat({ max: 4 }).map((index) => ({ index }))), { minLength: 1, maxLength: 5 })
  .chain((segments) =>
    fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 1 })).map(([leaf, noise]) => {
      // Build the container from the inside out so the path leads to `leaf`.
      let v: unknown = leaf;
      for (let i = segments.length - 1; i >= 0; i--) {
        const s = segments[i]!;
        if ('key' in s) v = { [s.key]: v, ...(s.key === 'noise' ? {} : { noise }) };
        else {
          const arr: unknown[] = Array.from({ length: s.index + 2 }, () => noise);
          arr[s.index] = v;
          v = arr;
        }
      }
      return { root: v, segments, at: leaf };
    }),
  );

describe('path extractor (property)', () => {
  it('formatPath ∘ parsePath is the identity on segments, and readPath finds the value', () => {
    fc.assert(
      fc.property(valueWithPath, ({ root, segments, at }) => {
        const text = formatPath(segments);
        const parsed = parsePath(text);
        expect(parsed.segments).toEqual(segments);
        expect(readPath(root, parsed)).toEqual(at);
      }),
      { numRuns: 1000 },
    );
  });

  it('any string either parses or is a usage error, and reading never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 3 }), (text, value) => {
        let p;
        try {
          p = parsePath(text);
        } catch (e) {
          expect(e).toBeInstanceOf(AgentcheckError);
          return;
        }
        const v = readPath(value, p);
        const t = pathValueText(v);
        if (v === undefined || v === null) expect(t).toBeUndefined();
        else expect(typeof t).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the usual shapes', () => {
    const task = { result: { id: 't-1', status: { state: 'working' }, artifacts: [{ parts: [{ text: 'a' }, { text: 'b' }] }], 'a key': 3 } };
    expect(readPath(task, parsePath('result.id'))).toBe('t-1');
    expect(readPath(task, parsePath('result.artifacts[0].parts[-1].text'))).toBe('b');
    expect(readPath(task, parsePath('result["a key"]'))).toBe(3);
    expect(readPath(task, parsePath('result.missing.deeper'))).toBeUndefined();
    expect(readPath(task, parsePath('result.id[0]'))).toBeUndefined();
    expect(() => parsePath('result..id')).toThrow(/empty segment/);
    expect(() => parsePath('result[x]')).toThrow(/expected an index/);
  });
});

describe('template rendering with extracted values (property)', () => {
  const vars = (value: string) => ({ uuid: '8c1f2d3e-0000-4000-8000-000000000000', seq: 7, phase: 'fault', workflow: 'order', extracted: { taskId: value } });

  it('a JSON body stays valid JSON and carries the extracted value exactly', () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: '${seq}', params: { id: '${taskId}', note: 'x${taskId}y', w: '${workflow}' } });
    const t = compileTemplate(body, 'body', { extracted: ['taskId'], escape: 'json' });
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), (value) => {
        const parsed = JSON.parse(t.render(vars(value)));
        expect(parsed.params.id).toBe(value);
        expect(parsed.params.note).toBe(`x${value}y`);
        expect(parsed.params.w).toBe('order');
        expect(parsed.id).toBe('7');
      }),
      { numRuns: 1000 },
    );
  });

  it('a path carries the value as one encoded component; a header never gets a line break', () => {
    const path = compileTemplate('/tasks/${taskId}?phase=${phase}', 'path', { extracted: ['taskId'], escape: 'path' });
    const header = compileTemplate('id=${taskId}', 'header', { extracted: ['taskId'], escape: 'header' });
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: 'binary' }), (value) => {
        const p = path.render(vars(value));
        expect(p).not.toMatch(/[\s#]/);
        const m = /^\/tasks\/([^?/]*)\?phase=fault$/.exec(p);
        expect(m).not.toBeNull();
        // Lone surrogates cannot be encoded as UTF-8; every other value comes back exactly.
        if (!/[\ud800-\udfff]/.test(value)) expect(decodeURIComponent(m![1]!)).toBe(value);
        const h = header.render(vars(value));
        expect(h).not.toMatch(/[\r\n\u0000]/);
        expect(h.startsWith('id=')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a name no earlier step extracts is a usage error naming the valid ones', () => {
    expect(() => compileTemplate('${taskId}', 'the body')).toThrow(/unknown template variable \$\{taskId\} in the body/);
    const err = (() => {
      try {
        compileTemplate('${taskid}', 'x', { extracted: ['taskId'] });
      } catch (e) {
        return e as AgentcheckError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(AgentcheckError);
    expect(err!.hint).toMatch(/valid here: .*\$\{taskId\}/);
  });
});

describe('weighted mix (property)', () => {
  it('counts converge to the weights, and the same seed makes the same choices', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }), fc.string({ maxLength: 8 }), (weights, seed) => {
        const mix = new WeightedMix(weights);
        const n = 20_000;
        const a = createRng(seed);
        const b = createRng(seed);
        const counts = weights.map(() => 0);
        for (let i = 0; i < n; i++) {
          const k = mix.next(a);
          expect(mix.next(b)).toBe(k);
          counts[k]!++;
        }
        const total = weights.reduce((x, y) => x + y, 0);
        weights.forEach((w, k) => {
          // 20,000 draws: a share is within 2 points of its weight far beyond 5 sigma.
          expect(Math.abs(counts[k]! / n - w / total)).toBeLessThan(0.02);
        });
      }),
      { numRuns: 15 },
    );
  });

  it('pick maps [0, 1) onto the cumulative weights', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (weights, u) => {
        const k = new WeightedMix(weights).pick(u);
        const total = weights.reduce((x, y) => x + y, 0);
        const before = weights.slice(0, k).reduce((x, y) => x + y, 0);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(k).toBeLessThan(weights.length);
        expect(u * total).toBeGreaterThanOrEqual(before - 1e-9);
        expect(u * total).toBeLessThan(before + weights[k]! + 1e-9);
      }),
    );
    expect(() => new WeightedMix([1, 0])).toThrow(/weight 0/);
  });
});

describe('SSE reader (property)', () => {
  it('the same events whatever the chunking and line endings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.stringMatching(/^[^\r\n]{0,12}$/), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat({ max: 50 }), { maxLength: 6 }),
        (events, eol, cuts) => {
          const text = events.map((lines) => `: comment${eol}event: message${eol}${lines.map((l) => `data: ${l}`).join(eol)}${eol}${eol}`).join('');
          const bytes = Buffer.from(text);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
          const r = new SseReader();
          const out: string[] = [];
          let last = 0;
          for (const p of [...points, bytes.length]) {
            out.push(...r.feed(bytes.subarray(last, p)));
            last = p;
          }
          out.push(...r.end());
          expect(out).toEqual(events.map((lines) => lines.join('\n')));
        },
      ),
      { numRuns: 500 },
    );
  });
});
