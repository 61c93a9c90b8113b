/** The scenario's `detectors` section: validated with file:line:col, and honoured by the judge stage. */
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { scenarioDetectors } from '../../src/scenario/stages/detectors.js';

const base = `name: d
agents: [{ name: a, command: node x.mjs }, { name: b, command: node x.mjs }]
edges: [{ from: a, to: b, env: B_URL }]
phases: [{ name: p, duration: 1s }]
`;
const parse = (extra: string) => parseScenarioText(base + extra, { baseDir: '/tmp', file: '/tmp/d.yaml' });
const issues = (extra: string) => {
  try {
    parse(extra);
    return [];
  } catch (e) {
    if (!(e instanceof ScenarioValidationError)) throw e;
    return e.issues.map((i) => `${i.line}:${i.col}: ${i.path}: ${i.message}`);
  }
};

describe('detectors section', () => {
  it('turns detectors off and tunes them', () => {
    const s = parse('detectors: { amplification: { limit: 1.5 }, loops: { allow: [a->b], repetition: gate }, traces: false, topology: false }\n');
    expect(scenarioDetectors(s.detectors).map((d) => d.name)).toEqual(['retry amplification', 'loops', 'retry-after']);
    expect(scenarioDetectors(parse('').detectors).map((d) => d.name)).toEqual(['retry amplification', 'loops', 'trace continuity', 'retry-after', 'topology']);
  });

  it('refuses out-of-range settings and unknown edges, at their line and column', () => {
    expect(issues('detectors:\n  amplification: { limit: 0.5 }\n  loops: { allow: [b->c], repetition: always }\n  traces: { min_share: 2 }\n')).toEqual([
      '6:27: detectors.amplification.limit: got 0.5, expected a number of at least 1',
      '7:20: detectors.loops.allow[0]: unknown edge "b->c", expected one of: a->b',
      '7:39: detectors.loops.repetition: got "always", expected one of: warn, gate',
      '8:24: detectors.traces.min_share: got 2, expected a number from 0 to 1',
    ]);
    expect(issues('detectors: { loops: { allow: [b->a] } }\n')).toEqual(['5:31: detectors.loops.allow[0]: unknown edge "b->a", expected one of: a->b']);
  });
});

describe('amplification budgets', () => {
  it('validate against the edges, and keep the detector on for their edge with their limit', async () => {
    const s = parse('slo: ["edge.a->b.amplification <= 1.2"]\ndetectors: { amplification: false }\n');
    const { createRunContext } = await import('../../src/scenario/stages/context.js');
    const ctx = createRunContext(s, { outDir: '/tmp/unused' });
    expect(ctx.amplificationBudgets).toEqual([{ expression: 'edge.a->b.amplification <= 1.2', edge: 'a->b', op: '<=', limit: 1.2 }]);
    expect(ctx.budgets).toEqual([]);
    const [amp] = scenarioDetectors(s.detectors, ctx.amplificationBudgets);
    const hop = (k: string) => ({ edge: 'a->b', from: 'a', to: 'b', traceId: null, spanId: null, tMs: 0, latencyMs: 1, method: 'POST', path: '/x', jsonrpcMethod: null, idempotencyKey: k, bodyHash: null, tool: null, status: 200, retryAfterMs: null, ourCopy: false, phase: 'p', requestId: '1' });
    const checks = amp!.detect({ hops: [hop('1'), hop('1'), hop('2'), hop('3')], edges: [{ id: 'a->b', from: 'a', to: 'b' }], workflows: [], phases: [] });
    expect(checks[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/1.33× .* budget edge.a->b.amplification <= 1.2/) });
  });

  it('refuses an unknown edge or a floor, at the budget', () => {
    expect(issues('slo: ["edge.a->c.amplification <= 1.2"]\n')).toEqual([expect.stringMatching(/^5:\d+: slo\[0\]: invalid budget: unknown edge 'a->c', expected one of: a->b/)]);
    expect(issues('slo: ["edge.a->b.amplification >= 1.2"]\n')).toEqual([expect.stringMatching(/amplification is a ceiling/)]);
  });
});

describe('detectors.topology.allow (declared outside dependencies)', () => {
  it('accepts every form, and topology: false still', () => {
    expect(parse('detectors: { topology: { allow: ["api.openai.com:443", "*.example.com", "10.0.0.0/8", { from: a, to: "[::1]:80" }] } }\n').detectors.topology).toEqual({
      allow: ['api.openai.com:443', '*.example.com', '10.0.0.0/8', { from: 'a', to: '[::1]:80' }],
    });
    expect(parse('detectors: { topology: {} }\n').detectors.topology).toEqual({});
    expect(parse('detectors: { topology: false }\n').detectors.topology).toBe(false);
  });

  it('refuses a bad CIDR, a bad port, an unknown caller and a wrong shape, at their line and column', () => {
    expect(issues('detectors:\n  topology:\n    allow:\n      - 10.0.0.0/33\n      - "api.openai.com:99999"\n      - { from: c, to: hooks.example.com }\n      - { from: a, to: "300.0.0.1" }\n      - 7\n')).toEqual([
      '8:9: detectors.topology.allow[0]: bad CIDR prefix "/33" in "10.0.0.0/33", expected /0 to /32',
      '9:9: detectors.topology.allow[1]: bad port "99999", expected 1 to 65535',
      '10:17: detectors.topology.allow[2].from: unknown agent "c", expected one of: a, b',
      '11:24: detectors.topology.allow[3].to: bad IP address "300.0.0.1", expected an IPv4 or IPv6 address',
      '12:9: detectors.topology.allow[4]: got 7, expected a target string or { from, to }',
    ]);
    expect(issues('detectors: { topology: { allow: [{ to: x.example }] } }\n')).toEqual([expect.stringMatching(/^5:\d+: detectors\.topology\.allow\[0\]\.from: missing/)]);
    expect(issues('detectors: { topology: true }\n')).toEqual([expect.stringMatching(/^5:\d+: detectors\.topology: got true, expected false or \{ allow \}/)]);
  });
});
