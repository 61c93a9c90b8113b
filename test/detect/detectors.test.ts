/**
 * The detectors on constructed hop records with known answers: each on a case it must catch and
 * one it must pass.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amplificationDetector, amplificationOf, edgeDepths } from '../../src/detect/amplification.js';
import type { DetectorInput } from '../../src/detect/detector.js';
import { decodeProcAddress } from '../../src/detect/socket-view.js';
import { parseTraceparent, phaseAt, retryAfterMs, type Hop } from '../../src/detect/hops.js';
import { findCycle, loopDetector } from '../../src/detect/loops.js';
import { overloadDetector } from '../../src/detect/overload.js';
import { policyDetector } from '../../src/detect/policy.js';
import { traceContinuityDetector } from '../../src/detect/trace-continuity.js';

const tid = (n: number) => n.toString(16).padStart(32, '0');
let seq = 0;
function hop(edge: string, traceId: string | null, extra: Partial<Hop> = {}): Hop {
  const [from, to] = edge.split('->') as [string, string];
  return {
    edge, from, to, traceId, spanId: traceId ? 'a'.repeat(16) : null, tMs: seq++, latencyMs: 5, method: 'POST', path: '/charges',
    jsonrpcMethod: null, idempotencyKey: null, bodyHash: null, tool: null, status: 200, retryAfterMs: null, ourCopy: false, phase: 'p', requestId: `1.${seq}`, ...extra,
  };
}
const edges = [
  { id: 'entry->planner', from: 'entry', to: 'planner' },
  { id: 'planner->payments', from: 'planner', to: 'payments' },
];
const input = (hops: Hop[], more: Partial<DetectorInput> = {}): DetectorInput => ({ hops, edges, entry: 'entry', workflows: [], phases: [{ name: 'p', startMs: 0 }], ...more });

describe('retry amplification', () => {
  it('counts attempts per logical request: an Idempotency-Key, else trace + method + path + body', () => {
    const hops = [
      hop('planner->payments', tid(1), { idempotencyKey: 'k1' }),
      hop('planner->payments', tid(1), { idempotencyKey: 'k1' }),
      hop('planner->payments', tid(9), { idempotencyKey: 'k1' }), // same key, other trace: same logical request
      hop('planner->payments', tid(2)),
      hop('planner->payments', tid(2), { path: '/refunds' }),
      hop('planner->payments', null), // cannot be told apart: its own logical request
    ];
    expect(amplificationOf(hops)).toEqual({ attempts: 6, logical: 4, factor: 1.5 });
  });

  it("never counts our own duplicate toxic's copies as the caller's retries", () => {
    const hops = [hop('planner->payments', tid(1), { idempotencyKey: 'k' }), ...Array.from({ length: 5 }, () => hop('planner->payments', tid(1), { idempotencyKey: 'k', ourCopy: true }))];
    expect(amplificationOf(hops)).toEqual({ attempts: 1, logical: 1, factor: 1 });
  });

  it('fails a storm in one phase that the whole run would average away', () => {
    const calm = Array.from({ length: 100 }, (_, i) => hop('planner->payments', tid(i), { idempotencyKey: `c${i}`, phase: 'calm' }));
    const storm = Array.from({ length: 10 }, (_, i) => Array.from({ length: 5 }, () => hop('planner->payments', tid(1000 + i), { idempotencyKey: `s${i}`, phase: 'storm', status: 503 }))).flat();
    expect(amplificationOf([...calm, ...storm]).factor).toBeLessThan(3); // 150 / 110
    const [check] = amplificationDetector().detect(input([...calm, ...storm]));
    expect(check).toMatchObject({ name: 'planner->payments', status: 'fail' });
    expect(check!.message).toMatch(/5× attempts per logical request at most \(phase storm: 50 attempts for 10 requests; limit 3×\)/);
    expect((check!.details as { top: Array<{ attempts: number }> }).top[0]!.attempts).toBe(5);
  });

  it('passes retries within the budget, and honours a per-edge limit', () => {
    const hops = Array.from({ length: 10 }, (_, i) => [hop('planner->payments', tid(i), { idempotencyKey: `k${i}` }), ...(i < 2 ? [hop('planner->payments', tid(i), { idempotencyKey: `k${i}` })] : [])]).flat();
    expect(amplificationDetector().detect(input(hops))[0]!.status).toBe('pass');
    expect(amplificationDetector({ edgeLimits: new Map([['planner->payments', 1.1]]) }).detect(input(hops))[0]!.status).toBe('fail');
  });

  it('reports the chain: attempts at the deepest edge per workflow the load started', () => {
    const hops = [0, 1].flatMap((i) => [hop('entry->planner', tid(i)), hop('planner->payments', tid(i), { idempotencyKey: `k${i}` }), hop('planner->payments', tid(i), { idempotencyKey: `k${i}` })]);
    const checks = amplificationDetector().detect(input(hops, { workflows: [{ traceId: tid(0), tMs: 0, phase: 'p' }, { traceId: tid(1), tMs: 1, phase: 'p' }] }));
    expect(checks.find((c) => c.name === 'planner->payments')!.details).toMatchObject({ chain: [{ phase: 'p', attempts: 4, workflows: 2, factor: 2 }] });
    expect(edgeDepths(edges, 'entry')).toEqual(new Map([['entry->planner', 1], ['planner->payments', 2]]));
  });

  it('a property: the factor is attempts over distinct keys, never below 1 with traffic', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { minLength: 1, maxLength: 60 }), (spec) => {
        const hops = spec.map(([k, copy]) => hop('planner->payments', tid(k), { idempotencyKey: `k${k}`, ourCopy: copy }));
        const a = amplificationOf(hops);
        const real = spec.filter(([, c]) => !c);
        expect(a.attempts).toBe(real.length);
        expect(a.logical).toBe(new Set(real.map(([k]) => k)).size);
        if (a.attempts > 0) expect(a.factor).toBeGreaterThanOrEqual(1);
      }),
    );
  });
});

describe('loops and repetition', () => {
  it('finds a cycle in a call graph, and none in a tree', () => {
    expect(findCycle([['a', 'b'], ['b', 'c'], ['c', 'a']])).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle([['a', 'b'], ['a', 'c'], ['b', 'c']])).toBeNull();
  });

  it('fails agents that delegate back and forth in one trace, and passes the same calls in separate traces', () => {
    const loop = [hop('planner->critic', tid(1)), hop('critic->planner', tid(1)), hop('planner->critic', tid(1))];
    expect(loopDetector().detect(input(loop))[0]).toMatchObject({ name: 'call cycles', status: 'fail', message: expect.stringMatching(/planner → critic → planner in 1 trace/) });
    const apart = [hop('planner->critic', tid(1)), hop('critic->planner', tid(2))];
    expect(loopDetector().detect(input(apart))[0]!.status).toBe('pass');
    expect(loopDetector({ allowCycles: ['critic->planner'] }).detect(input(loop))[0]!.status).toBe('pass');
  });

  it('reports the same tool with the same arguments 3 times in one trace, not retries after failures', () => {
    const same = { jsonrpcMethod: 'tools/call', tool: 'search', bodyHash: 'h1' };
    const repeated = [1, 2, 3].map(() => hop('planner->tools', tid(1), same));
    const rep = loopDetector().detect(input(repeated))[1]!;
    expect(rep).toMatchObject({ name: 'step repetition', status: 'warn' });
    expect(rep.message).toMatch(/planner->tools tool search args h1 ×3/);
    expect(loopDetector({ repetitionGates: true }).detect(input(repeated))[1]!.status).toBe('fail');
    const retries = [503, 503, 200].map((status) => hop('planner->tools', tid(1), { ...same, status }));
    expect(loopDetector().detect(input(retries))[1]!.status).toBe('pass');
    const otherArgs = ['h1', 'h2', 'h3'].map((bodyHash) => hop('planner->tools', tid(1), { ...same, bodyHash }));
    expect(loopDetector().detect(input(otherArgs))[1]!.status).toBe('pass');
  });
});

describe('trace continuity', () => {
  const workflows = [1, 2, 3, 4].map((i) => ({ traceId: tid(i), tMs: i, phase: 'p' }));
  it('passes a team that carries the inbound trace id on every hop', () => {
    const hops = [1, 2, 3, 4].flatMap((i) => [hop('entry->planner', tid(i)), hop('planner->payments', tid(i))]);
    const checks = traceContinuityDetector().detect(input(hops, { workflows }));
    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass']);
  });

  it('a fresh trace per hop is NOT propagation, although every hop carries a traceparent', () => {
    const hops = [1, 2, 3, 4].flatMap((i) => [hop('entry->planner', tid(i)), hop('planner->payments', tid(100 + i))]);
    const checks = traceContinuityDetector().detect(input(hops, { workflows }));
    expect(checks[0]!.status).toBe('pass');
    expect(checks[1]).toMatchObject({ name: 'planner->payments', status: 'fail' });
    expect(checks[1]!.message).toMatch(/0 % of 4 outbound requests carried planner's inbound trace id \(4 with a trace id planner never received\); planner is the first agent/);
  });

  it('names the first agent in the chain that broke it, and does not blame the ones after it', () => {
    const three = [...edges, { id: 'payments->bank', from: 'payments', to: 'bank' }];
    const hops = [1, 2].flatMap((i) => [hop('entry->planner', tid(i)), hop('planner->payments', null), hop('payments->bank', null)]);
    const checks = traceContinuityDetector().detect(input(hops, { edges: three, workflows }));
    expect(checks.find((c) => c.name === 'planner->payments')).toMatchObject({ status: 'fail', details: { firstBreaker: 'planner', missing: 2 } });
    expect(checks.find((c) => c.name === 'payments->bank')).toMatchObject({ status: 'skipped' });
  });
});

describe('topology', () => {
  const sockets = (observations: Array<{ agent: string; remote: string }>) => ({
    sockets: {
      observations: observations.map((o) => ({ ...o, firstMs: 1200, count: 3 })),
      allowed: new Map([['planner', new Set(['127.0.0.1:9001'])], ['payments', new Set<string>()]]),
      peers: new Map([['127.0.0.1:7102', 'payments']]),
    },
  });
  it('fails a call around the edge proxy to a peer port, and a call to an undeclared address', () => {
    const checks = policyDetector().detect(input([], sockets([{ agent: 'planner', remote: '127.0.0.1:9001' }, { agent: 'planner', remote: '127.0.0.1:7102' }, { agent: 'planner', remote: '127.0.0.1:6000' }])));
    const planner = checks.find((c) => c.name === 'planner')!;
    expect(planner.status).toBe('fail');
    expect(planner.message).toMatch(/planner connected to payments's own port 127.0.0.1:7102, bypassing the edge proxy \(seen in the sockets 3×, first at 1.2 s\)/);
    expect(planner.message).toMatch(/127.0.0.1:6000, which is not a declared edge of planner/);
  });
  it('passes agents that only use their edge proxies', () => {
    const checks = policyDetector().detect(input([], sockets([{ agent: 'planner', remote: '127.0.0.1:9001' }])));
    expect(checks.map((c) => c.status)).toEqual(['pass', 'pass']);
  });
});

describe('hop helpers', () => {
  it('parses W3C traceparent and refuses malformed or all-zero ids', () => {
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01').traceId).toBeNull();
    expect(parseTraceparent('garbage').traceId).toBeNull();
    expect(parseTraceparent(null).traceId).toBeNull();
  });
  it('puts a time in the last phase started at or before it', () => {
    const phases = [{ name: 'a', startMs: 0 }, { name: 'b', startMs: 1000 }];
    expect([-5, 0, 999, 1000, 5000].map((t) => phaseAt(phases, t))).toEqual(['warmup', 'a', 'a', 'b', 'b']);
  });
  it('decodes /proc/net/tcp addresses', () => {
    expect(decodeProcAddress('0100007F:1F90')).toBe('127.0.0.1:8080');
    expect(decodeProcAddress('00000000000000000000000001000000:0050')).toBe('[::1]:80');
    expect(decodeProcAddress('0000000000000000FFFF00000100007F:0050')).toBe('127.0.0.1:80');
  });
});

describe('step repetition without body hashes', () => {
  it('is not judged (skipped), since different calls to one endpoint would look identical', () => {
    const hops = [1, 2, 3].map(() => hop('planner->tools', tid(1), { jsonrpcMethod: 'tools/call' }));
    expect(loopDetector().detect(input(hops))[1]).toMatchObject({ name: 'step repetition', status: 'skipped' });
  });
});

describe('retry-after', () => {
  const at = (tMs: number, status: number, retryAfter: number | null, key = 'k1') => hop('planner->payments', tid(1), { idempotencyKey: key, tMs, latencyMs: 10, status, retryAfterMs: retryAfter });
  it('fails a caller that retries a 429 sooner than Retry-After, or at once without one', () => {
    const checks = overloadDetector().detect(input([at(0, 429, 1000), at(200, 200, null), at(0, 429, null, 'k2'), at(15, 200, null, 'k2')]));
    expect(checks[0]).toMatchObject({ name: 'planner->payments', status: 'fail' });
    expect(checks[0]!.message).toMatch(/came back early after 2 of 2 back-off answers; e.g. after a 429 asking 1000 ms it retried after 190 ms/);
  });
  it('passes a caller that waits as told, and says nothing about edges never pushed back', () => {
    expect(overloadDetector().detect(input([at(0, 503, 500), at(600, 200, null)]))[0]!.status).toBe('pass');
    expect(overloadDetector().detect(input([at(0, 200, null), at(5, 200, null)]))).toEqual([]);
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2', 0)).toBe(2000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs('soon', 0)).toBeNull();
  });
});

describe('topology when the socket view failed', () => {
  it('makes the run not judged (invalid) instead of passing on empty observations', () => {
    const checks = policyDetector().detect(input([], { sockets: { observations: [], allowed: new Map([['planner', new Set<string>()]]), peers: new Map(), failure: 'the socket sampler exited early' } }));
    expect(checks).toEqual([expect.objectContaining({ name: 'socket view', status: 'invalid', message: expect.stringMatching(/the socket sampler exited early, so calls that ignore HTTP_PROXY could not be looked for/) })]);
  });
});
