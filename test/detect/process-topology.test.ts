/**
 * The process runtime's topology checks on constructed views: the forward proxy's refusals and the
 * socket view's connections, each on a case it must catch and one it must pass, and what the
 * check says when a view could not look.
 */
import { describe, expect, it } from 'vitest';
import type { DetectorInput, ForwardObservation } from '../../src/detect/detector.js';
import { policyDetector } from '../../src/detect/policy.js';
import { judgeReport } from '../../src/report/verdict.js';
import type { CheckResult } from '../../src/report/model.js';

const base: DetectorInput = { hops: [], edges: [{ id: 'planner->payments', from: 'planner', to: 'payments' }], workflows: [], phases: [] };
const forward = (violations: ForwardObservation[], kept: Record<string, string[]> = {}): DetectorInput['forwardProxy'] => ({
  callers: new Map([['planner', kept.planner ?? []], ['payments', kept.payments ?? []]]),
  forwarded: new Map([['planner', 12], ['payments', 0]]),
  violations,
  peers: new Map([['127.0.0.1:7102', 'payments']]),
});
const sockets = (more: Partial<NonNullable<DetectorInput['sockets']>> = {}): DetectorInput['sockets'] => ({
  observations: [],
  allowed: new Map([['planner', new Set(['127.0.0.1:9001', '127.0.0.1:5001'])], ['payments', new Set(['127.0.0.1:5002'])]]),
  peers: new Map([['127.0.0.1:7102', 'payments']]),
  ...more,
});
const detect = (more: Partial<DetectorInput>): CheckResult[] => policyDetector().detect({ ...base, ...more });
const verdictOf = (checks: CheckResult[]) => judgeReport({ agents: [], invariants: [], budgets: [], checks } as unknown as Parameters<typeof judgeReport>[0]).verdict;

describe('topology from the forward proxy', () => {
  it('fails the caller of an outside host, naming caller, target, count, first time and the view', () => {
    const checks = detect({ forwardProxy: forward([{ caller: 'planner', target: 'hooks.example.com:80', count: 40, firstMs: 1250 }]), sockets: sockets() });
    const planner = checks.find((c) => c.name === 'planner')!;
    expect(planner.status).toBe('fail');
    expect(planner.message).toBe('planner asked for hooks.example.com:80, which is not a declared edge of planner (seen by the forward proxy 40×, first at 1.3 s; refused with 403)');
    expect(checks.find((c) => c.name === 'payments')!.status).toBe('pass');
    expect(verdictOf(checks)).toBe('fail');
  });

  it("names the peer whose own port was asked for, also as localhost, and a call made while the agent started", () => {
    const checks = detect({ forwardProxy: forward([{ caller: 'planner', target: 'localhost:7102', count: 1, firstMs: -300 }]) });
    expect(checks.find((c) => c.name === 'planner')!.message).toMatch(/planner asked for payments's own port localhost:7102, bypassing the edge proxy \(seen by the forward proxy 1×, first before the load started; refused with 403\)/);
  });

  it('passes agents whose calls all went to declared edges, saying what looked', () => {
    const checks = detect({ forwardProxy: forward([]), sockets: sockets({ observations: [{ agent: 'planner', remote: '127.0.0.1:5001', count: 9, firstMs: 10 }] }) });
    expect(checks.map((c) => [c.name, c.status])).toEqual([['planner', 'pass'], ['payments', 'pass']]);
    expect(checks[0]!.message).toBe('planner called only its declared edges (forward proxy: 12 forwarded, sockets sampled)');
    expect(verdictOf(checks)).toBe('pass');
  });

  it("says when an agent's own env kept proxy variables, pass or fail", () => {
    const checks = detect({ forwardProxy: forward([{ caller: 'planner', target: '10.0.0.1:443', count: 2, firstMs: 0 }], { planner: ['HTTPS_PROXY'], payments: ['NO_PROXY', 'no_proxy'] }) });
    expect(checks[0]!.message).toMatch(/; its scenario env sets HTTPS_PROXY, kept as given, so the forward proxy sees only what is still sent to it$/);
    expect(checks[1]).toMatchObject({ status: 'pass', message: expect.stringMatching(/its scenario env sets NO_PROXY, no_proxy, kept as given/), details: { keptEnv: ['NO_PROXY', 'no_proxy'] } });
  });

  it('reports both views in one check per caller', () => {
    const checks = detect({
      forwardProxy: forward([{ caller: 'planner', target: 'api.example.com:443', count: 3, firstMs: 100 }]),
      sockets: sockets({ observations: [{ agent: 'planner', remote: '127.0.0.1:7102', count: 5, firstMs: 2000 }] }),
    });
    const planner = checks.filter((c) => c.name === 'planner');
    expect(planner).toHaveLength(1);
    expect(planner[0]!.message).toMatch(/seen in the sockets 5×, first at 2\.0 s\); planner asked for api\.example\.com:443, which is not a declared edge of planner \(seen by the forward proxy 3×/);
  });
});

describe('topology when the socket view could not look', () => {
  it('a sampler failure makes the run not judged, even when the forward proxy saw nothing', () => {
    const checks = detect({ forwardProxy: forward([]), sockets: sockets({ failure: 'the socket sampler did not answer within 2 s' }) });
    expect(checks[0]).toMatchObject({ name: 'socket view', status: 'invalid' });
    expect(checks.slice(1).map((c) => c.message)).toEqual(['planner called only its declared edges (forward proxy: 12 forwarded)', 'payments called only its declared edges (forward proxy: 0 forwarded)']);
    expect(verdictOf(checks)).toBe('invalid');
  });

  it('a forward-proxy finding still fails a run whose socket view failed', () => {
    const checks = detect({ forwardProxy: forward([{ caller: 'payments', target: 'x.example:80', count: 1, firstMs: 0 }]), sockets: sockets({ failure: 'the socket sampler exited early' }) });
    expect(verdictOf(checks)).toBe('fail');
  });

  it('without /proc the socket view is skipped in one line and the forward proxy judges alone', () => {
    const checks = detect({ forwardProxy: forward([]), sockets: sockets({ unavailable: 'this system has no /proc, so the sockets agents hold could not be read' }) });
    expect(checks[0]).toEqual({ suite: 'detector: topology', name: 'socket view', status: 'skipped', message: 'this system has no /proc, so the sockets agents hold could not be read; only calls sent to the forward proxy were judged' });
    expect(checks.slice(1).map((c) => c.status)).toEqual(['pass', 'pass']);
    expect(verdictOf(checks)).toBe('pass');
  });

  it('adds no check when neither view ran (topology: false, attached agents)', () => {
    expect(detect({})).toEqual([]);
  });
});
