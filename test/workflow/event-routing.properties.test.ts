/**
 * Properties of the routing of awaited events (EventRoute): whatever the interleaving of events
 * and waits, a wait gets exactly one event, the first one with its value (delivered before the
 * wait began or after), never another value's; a value nobody waits for reaches no one; a
 * cancelled wait gets nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventRoute, type ReceivedEvent } from '../../src/workflow/nats.js';
import { parsePath } from '../../src/workflow/path.js';

type Op = { kind: 'event'; value: number; path: 'a' | 'b' } | { kind: 'wait'; value: number; path: 'a' | 'b'; cancel: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('event' as const), value: fc.integer({ min: 0, max: 6 }), path: fc.constantFrom('a' as const, 'b' as const) }),
  fc.record({ kind: fc.constant('wait' as const), value: fc.integer({ min: 0, max: 6 }), path: fc.constantFrom('a' as const, 'b' as const), cancel: fc.boolean() }),
);

describe('awaited events are routed by match value', () => {
  it('each wait gets the first event with its value, exactly once, from before or after it began', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const route = new EventRoute(() => 0, 60_000);
        const paths = { a: parsePath('order.id'), b: parsePath('items[0]') };
        route.addPath(paths.a);
        route.addPath(paths.b);
        // One wait per (path, value): what a workflow's uuid makes unique.
        const waited = new Set<string>();
        const got = new Map<string, ReceivedEvent[]>();
        const delivered: Array<{ n: number; path: 'a' | 'b'; value: number }> = [];
        const waitAt = new Map<string, number>();
        ops.forEach((o, n) => {
          const key = `${o.path}:${o.value}`;
          if (o.kind === 'event') {
            const json = o.path === 'a' ? { order: { id: `v${o.value}` }, n } : { items: [`v${o.value}`], n };
            route.deliver({ subject: 'x', data: Buffer.from(JSON.stringify(json)) });
            delivered.push({ n, path: o.path, value: o.value });
            return;
          }
          if (waited.has(key)) return;
          waited.add(key);
          waitAt.set(key, n);
          got.set(key, []);
          const cancel = route.wait(paths[o.path], `v${o.value}`, (e) => got.get(key)!.push(e));
          // Cancelled at once: it keeps only what it got synchronously (an early event).
          if (o.cancel) cancel();
        });
        for (const [key, events] of got) {
          const [p, v] = key.split(':') as ['a' | 'b', string];
          const w = ops[waitAt.get(key)!] as Extract<Op, { kind: 'wait' }>;
          const ofValue = delivered.filter((d) => d.path === p && String(d.value) === v);
          const before = ofValue.filter((d) => d.n < waitAt.get(key)!);
          const after = ofValue.filter((d) => d.n > waitAt.get(key)!);
          // Events of this value not taken by this wait: none taken earlier, since one wait per key.
          const expected = before.length > 0 ? before[0]!.n : !w.cancel && after.length > 0 ? after[0]!.n : undefined;
          expect(events.map((e) => (e.json as { n: number }).n)).toEqual(expected === undefined ? [] : [expected]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('skips events that are not JSON or have no value at the path, and counts the unreadable ones', () => {
    const route = new EventRoute(() => 0, 1000);
    const path = parsePath('id');
    route.addPath(path);
    const got: unknown[] = [];
    route.wait(path, '7', (e) => got.push(e.json));
    route.deliver({ subject: 'x', data: Buffer.from('not json') });
    route.deliver({ subject: 'x', data: Buffer.from('{"other":7}') });
    route.deliver({ subject: 'x', data: Buffer.from('{"id":7}') });
    expect(got).toEqual([{ id: 7 }]);
    expect(route.unreadable).toBe(1);
  });
});
