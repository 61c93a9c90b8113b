import { describe, expect, it } from 'vitest';
import { History, outcomesByKey } from '../../src/idempotency/history.js';
import { checkExactlyOnce } from '../../src/idempotency/exactly-once.js';

function clockAt(start = 0): () => number {
  let t = start;
  return () => t++;
}

describe('History', () => {
  it('records invoke then one completion per operation, and refuses a second completion', () => {
    const h = new History(clockAt());
    const a = h.invoke('k1');
    const b = h.invoke('k2');
    h.ok(a, '201');
    h.info(b, 'timeout');
    expect(h.events.map((e) => `${e.type}:${e.key}`)).toEqual(['invoke:k1', 'invoke:k2', 'ok:k1', 'info:k2']);
    expect(h.events[2]?.note).toBe('201');
    expect(() => h.ok(a)).toThrow(/already completed/);
    expect(() => h.fail(99)).toThrow(/never invoked/);
  });

  it('counts an invoke that never completed as unknown (info)', () => {
    const h = new History(clockAt());
    h.invoke('k1');
    const o = outcomesByKey(h).get('k1');
    expect(o).toEqual({ key: 'k1', attempts: 1, ok: 0, fail: 0, info: 1 });
    expect(h.pending).toBe(1);
  });
});

describe('checkExactlyOnce', () => {
  it('passes when every acknowledged key has exactly one effect and failed keys none', () => {
    const h = new History(clockAt());
    h.ok(h.invoke('a'));
    h.ok(h.invoke('b'));
    // A retry that was rejected as in progress: definite failure, no extra effect expected.
    h.fail(h.invoke('b'), '409');
    h.fail(h.invoke('c'), '400');
    const r = checkExactlyOnce(h, [{ key: 'a' }, { key: 'b' }]);
    expect(r.status).toBe('passed');
    expect(r.ok).toBe(true);
    expect(r.counts).toMatchObject({ keys: 3, attempts: 4, confirmed: 2, notApplied: 1, lost: 0 });
    expect(r.finding).toBe('exactly-once held over 3 keys (2 confirmed)');
  });

  it('reports lost: acknowledged with no effect', () => {
    const h = new History(clockAt());
    h.ok(h.invoke('a'));
    h.ok(h.invoke('b'));
    const r = checkExactlyOnce(h, [{ key: 'a' }]);
    expect(r.status).toBe('failed');
    expect(r.lost).toEqual(['b']);
    expect(r.finding).toBe('lost: 1 key acknowledged with no effect: b');
  });

  it('reports duplicated keys with their counts, for ok and for info-only keys', () => {
    const h = new History(clockAt());
    for (const k of ['order-17', 'order-42', 'order-5', 'order-9']) h.ok(h.invoke(k));
    h.info(h.invoke('order-77'));
    const effects = ['order-17', 'order-17', 'order-42', 'order-42', 'order-42', 'order-5', 'order-9', 'order-77', 'order-77'];
    const r = checkExactlyOnce(h, effects, { effectVerb: 'charged' });
    expect(r.status).toBe('failed');
    expect(r.duplicated).toEqual(['order-17', 'order-42', 'order-77']);
    expect(r.finding).toBe('duplicated: 3 keys charged more than once: order-17 (×2), order-42 (×3), order-77 (×2)');
  });

  it('reports unexpected effects: no attempt at all, or only definite failures', () => {
    const h = new History(clockAt());
    h.fail(h.invoke('rejected'), '422');
    h.ok(h.invoke('fine'));
    const r = checkExactlyOnce(h, [{ key: 'fine' }, { key: 'ghost' }, { key: 'rejected' }]);
    expect(r.status).toBe('failed');
    expect(r.unexpected).toEqual(['ghost', 'rejected']);
    expect(r.flagged.map((j) => [j.key, j.verdict, j.allowed])).toEqual([
      ['ghost', 'unexpected', 0],
      ['rejected', 'unexpected', 0],
    ]);
  });

  it('reports recovered keys (unknown outcome, effect happened once) without failing', () => {
    const h = new History(clockAt());
    h.info(h.invoke('t1'), 'timeout');
    h.info(h.invoke('t2'), 'timeout');
    h.ok(h.invoke('x'));
    const r = checkExactlyOnce(h, [{ key: 't1' }, { key: 'x' }]);
    expect(r.status).toBe('passed');
    expect(r.recovered).toEqual(['t1']);
    expect(r.counts.notApplied).toBe(1);
    expect(r.finding).toBe('exactly-once held over 3 keys (1 confirmed, 1 recovered after an unknown outcome: t1)');
  });

  it('lists at most maxListed keys, then an ellipsis, and joins several categories', () => {
    const h = new History(clockAt());
    const keys = Array.from({ length: 7 }, (_, i) => `k${i}`);
    for (const k of keys) h.ok(h.invoke(k));
    const r = checkExactlyOnce(h, [...keys.map((k) => ({ key: k })), ...keys.map((k) => ({ key: k })), { key: 'zz' }], {
      maxListed: 3,
    });
    expect(r.finding).toBe(
      'duplicated: 7 keys applied more than once: k0 (×2), k1 (×2), k2 (×2), …; unexpected: 1 key applied without a successful or unknown attempt: zz',
    );
  });

  it('fails on an effect recorded without any key', () => {
    const h = new History(clockAt());
    h.ok(h.invoke('a'));
    const r = checkExactlyOnce(h, [{ key: 'a' }, { key: null }]);
    expect(r.status).toBe('failed');
    expect(r.finding).toBe('unexpected: 1 effect recorded without a key');
  });

  it('is not-exercised, never a pass, with no attempts or no duplicate delivered', () => {
    expect(checkExactlyOnce([], []).status).toBe('not-exercised');
    const h = new History(clockAt());
    h.ok(h.invoke('a'));
    const r = checkExactlyOnce(h, [{ key: 'a' }], { duplicatesDelivered: 0 });
    expect(r.status).toBe('not-exercised');
    expect(r.ok).toBe(false);
    expect(r.finding).toMatch(/no duplicate was delivered/);
    // A violation still wins over "not exercised".
    expect(checkExactlyOnce(h, [{ key: 'a' }, { key: 'a' }], { duplicatesDelivered: 0 }).status).toBe('failed');
    expect(checkExactlyOnce(h, [{ key: 'a' }], { duplicatesDelivered: 3 }).status).toBe('passed');
  });
});
