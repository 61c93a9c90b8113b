import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath, parsePath, pathProblem, readPath, type PathSegment } from '../../src/workflow/path.js';
import { extractEffects, ProbeMisconfigured } from '../../src/scenario/invariants.js';

/**
 * Every value inside `root` with the segments that reach it, found by walking the value itself
 * (not by reading paths): the reference readPath is compared with.
 */
function everyNode(root: unknown): Array<{ segments: PathSegment[]; value: unknown }> {
  const out: Array<{ segments: PathSegment[]; value: unknown }> = [];
  const walk = (v: unknown, segments: PathSegment[]): void => {
    out.push({ segments, value: v });
    if (Array.isArray(v)) v.forEach((item, index) => walk(item, [...segments, { index }]));
    else if (v !== null && typeof v === 'object') for (const [key, item] of Object.entries(v)) walk(item, [...segments, { key }]);
  };
  walk(root, []);
  return out.filter((n) => n.segments.length > 0);
}

/** The same node reached the other ways a path may spell a list item: `[-n]` from the end, and `.n` as a whole-number key. */
function otherSpellings(root: unknown, segments: PathSegment[]): PathSegment[][] {
  const fromEnd: PathSegment[] = [];
  const asKeys: PathSegment[] = [];
  let v: unknown = root;
  for (const s of segments) {
    if ('index' in s) {
      fromEnd.push({ index: s.index - (v as unknown[]).length });
      asKeys.push({ key: String(s.index) });
      v = (v as unknown[])[s.index];
    } else {
      fromEnd.push(s);
      asKeys.push(s);
      v = (v as Record<string, unknown>)[s.key];
    }
  }
  return [fromEnd, asKeys];
}

const keyText = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('0', '12', '01', '-1', 'a.b', 'x[0]', '"q"', "it's", 'a b', '\\'));
const segment: fc.Arbitrary<PathSegment> = fc.oneof(keyText.map((key) => ({ key })), fc.integer({ min: -5, max: 5 }).map((index) => ({ index })));
const json = fc.jsonValue({ maxDepth: 4 });

describe('JSON paths (property)', () => {
  it('parse ∘ format is the identity on segments, and format ∘ parse is stable on any text that parses', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        const text = formatPath(segments);
        expect(pathProblem(text)).toBeUndefined();
        expect(parsePath(text).segments).toEqual(segments);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 16 }), (text) => {
        if (pathProblem(text) !== undefined) {
          expect(() => parsePath(text)).toThrow(/cannot read the path/);
          return;
        }
        const segments = parsePath(text).segments;
        expect(parsePath(formatPath(segments)).segments).toEqual(segments);
      }),
      { numRuns: 3000 },
    );
  });

  it('readPath finds every node of random JSON the walk finds, under each spelling of its path', () => {
    fc.assert(
      fc.property(json, (root) => {
        for (const { segments, value } of everyNode(root)) {
          expect(readPath(root, parsePath(formatPath(segments)))).toEqual(value);
          for (const other of otherSpellings(root, segments)) expect(readPath(root, parsePath(formatPath(other)))).toEqual(value);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a path that leaves the value reads undefined, never throws', () => {
    fc.assert(
      fc.property(json, fc.array(segment, { minLength: 0, maxLength: 3 }), (root, tail) => {
        const nodes = everyNode(root);
        const start = nodes.length > 0 ? nodes[nodes.length - 1]!.segments : [];
        // A key no generated value holds, somewhere after a real node: nothing can be there.
        const path = parsePath(formatPath([...start, { key: '\u0000absent' }, ...tail]));
        expect(readPath(root, path)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});

describe('JSON paths (semantics both features share)', () => {
  const value = { a: [{ c: 'first' }, { c: 'second' }], m: { '0': 'zero key', 'a key': 1 }, n: null };

  it('a whole-number key reads a list item as well as the key of a map; other keys never read a list', () => {
    expect(readPath(value, parsePath('a.0.c'))).toBe('first');
    expect(readPath(value, parsePath('a[0].c'))).toBe('first');
    expect(readPath(value, parsePath('a["1"].c'))).toBe('second');
    expect(readPath(value, parsePath('a[-1].c'))).toBe('second');
    expect(readPath(value, parsePath('m.0'))).toBe('zero key');
    expect(readPath(value, parsePath('m["a key"]'))).toBe(1);
    expect(readPath(value, parsePath('a.01'))).toBeUndefined();
    expect(readPath(value, parsePath('a.length'))).toBeUndefined();
    expect(readPath(value, parsePath('m[0]'))).toBeUndefined();
    expect(readPath(value, parsePath('n.x'))).toBeUndefined();
  });

  it('rejects empty segments, stray brackets and unquoted spaces, naming the column', () => {
    expect(pathProblem('a..b')).toEqual({ message: 'empty segment', offset: 2 });
    expect(pathProblem('.a')).toEqual({ message: 'empty segment', offset: 0 });
    expect(pathProblem('a.')).toEqual({ message: 'the path ends with a dot', offset: 2 });
    expect(pathProblem('a[x]')?.offset).toBe(2);
    expect(pathProblem('my key')?.message).toBe("expected '.' or '[' between segments");
    expect(pathProblem('a["b')?.message).toBe('unclosed quote');
    expect(pathProblem('a.b[0]["c d"]')).toBeUndefined();
  });

  it('exactly_once reads its list and keys with the same paths (a case it must catch and one it must pass)', () => {
    const probe = { data: { charges: [{ meta: { key: 'o-1' } }, { meta: { key: 'o-2' } }] }, pages: [{ effects: [{ id: 7 }] }] };
    expect(extractEffects(probe, 'meta.key', 'data.charges')).toEqual([{ key: 'o-1' }, { key: 'o-2' }]);
    expect(extractEffects(probe, 'id', 'pages[0].effects')).toEqual([{ key: '7' }]);
    expect(extractEffects(probe, 'id', 'pages.0.effects')).toEqual([{ key: '7' }]);
    expect(extractEffects(probe, 'meta["key"]', 'data.charges')).toEqual([{ key: 'o-1' }, { key: 'o-2' }]);
    // A path that is not one is a misconfigured check (invalid, exit 4), never a pass or a fail.
    expect(() => extractEffects(probe, 'meta..key', 'data.charges')).toThrow(ProbeMisconfigured);
    expect(() => extractEffects(probe, 'meta.key', 'data charges')).toThrow(/exactly_once\.effects\.list: cannot read the path/);
    // `length` of a list is not data in it: no effect has that key, so the check cannot be judged.
    expect(() => extractEffects({ list: [[1, 2]] }, 'length', 'list')).toThrow(/no effect in the probe's list has a field "length"/);
  });
});
