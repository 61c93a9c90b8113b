import { describe, expect, it } from 'vitest';
import { extractEffects, summarise } from '../../src/scenario/invariants.js';

describe('invariant helpers', () => {
  it('summarises probe details in one readable line, lists as counts with their first items', () => {
    expect(summarise({ charges: 520, doubleCharged: ['o-1', 'o-7', 'o-9', 'o-12'] })).toBe('charges: 520; doubleCharged: 4 (o-1, o-7, o-9, …)');
    expect(summarise({ doubleCharged: [] })).toBe('doubleCharged: 0');
    expect(summarise({ note: 'stuck task t-3' })).toBe('note: stuck task t-3');
    expect(summarise(null)).toBe('null');
    expect(summarise({ long: 'x'.repeat(500) }).length).toBe(300);
  });

  it('reads effects from a top-level array or the first array property, keyed by the given field', () => {
    expect(extractEffects([{ orderId: 'a' }, { orderId: 7 }, { other: 1 }], 'orderId')).toEqual([{ key: 'a' }, { key: '7' }, { key: undefined }]);
    expect(extractEffects({ count: 2, effects: [{ orderId: 'a' }, { orderId: 'a' }] }, 'orderId')).toEqual([{ key: 'a' }, { key: 'a' }]);
    expect(() => extractEffects({ count: 2 }, 'orderId')).toThrow(/did not answer a list/);
  });
});
