import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetError, BudgetSyntaxError, formatBudget, parseBudget, type BudgetAst, type BudgetStat } from '../../src/load/budget-grammar.js';
import { compileBudget } from '../../src/load/budget.js';
import { AgentcheckError } from '../../src/errors.js';

const strip = ({ spans: _spans, ...rest }: BudgetAst) => rest;

describe('budget grammar: parse', () => {
  it.each([
    ['p(99) < 300ms', { metric: null, phases: null, filters: null, stat: { kind: 'percentile', p: 99 }, op: '<', amount: 300, unit: 'ms' }],
    ['p(95)<=1s', { metric: null, phases: null, filters: null, stat: { kind: 'percentile', p: 95 }, op: '<=', amount: 1, unit: 's' }],
    ['  p( 99.9 ) < 2s ', { metric: null, phases: null, filters: null, stat: { kind: 'percentile', p: 99.9 }, op: '<', amount: 2, unit: 's' }],
    ['avg < 50ms', { metric: null, phases: null, filters: null, stat: { kind: 'avg' }, op: '<', amount: 50, unit: 'ms' }],
    ['error_rate < 1%', { metric: null, phases: null, filters: null, stat: { kind: 'error_rate' }, op: '<', amount: 1, unit: '%' }],
    ['throughput >= 200/s', { metric: null, phases: null, filters: null, stat: { kind: 'throughput' }, op: '>=', amount: 200, unit: '/s' }],
    ['http.latency{phase=baseline} p(99) < 300ms', { metric: 'http.latency', phases: ['baseline'], filters: null, stat: { kind: 'percentile', p: 99 }, op: '<', amount: 300, unit: 'ms' }],
    ['edge.planner->search.error_rate{phase=a, b} < 0.5%', { metric: 'edge.planner->search.error_rate', phases: ['a', 'b'], filters: null, stat: null, op: '<', amount: 0.5, unit: '%' }],
    ['edge.a-b->c-d.latency max < 1s', { metric: 'edge.a-b->c-d.latency', phases: null, filters: null, stat: { kind: 'max' }, op: '<', amount: 1, unit: 's' }],
    ['workflow.latency p(50) < 250µs', { metric: 'workflow.latency', phases: null, filters: null, stat: { kind: 'percentile', p: 50 }, op: '<', amount: 250, unit: 'us' }],
    ['error_rate < 0.01', { metric: null, phases: null, filters: null, stat: { kind: 'error_rate' }, op: '<', amount: 0.01, unit: null }],
    ['p(99){workflow=order} < 2s', { metric: null, phases: null, filters: [{ key: 'workflow', value: 'order' }], stat: { kind: 'percentile', p: 99 }, op: '<', amount: 2, unit: 's' }],
    ['error_rate{step=send, phase=fault} < 1%', { metric: null, phases: ['fault'], filters: [{ key: 'step', value: 'send' }], stat: { kind: 'error_rate' }, op: '<', amount: 1, unit: '%' }],
    ['edge.intake->planner.error_rate{method=message/send} < 1%', { metric: 'edge.intake->planner.error_rate', phases: null, filters: [{ key: 'method', value: 'message/send' }], stat: null, op: '<', amount: 1, unit: '%' }],
  ])('%s', (src, expected) => {
    expect(strip(parseBudget(src))).toEqual(expected);
  });

  it.each([
    ['p(99 < 300ms', "expected ')'", 5],
    ['p(99) 300ms', 'expected a comparison', 6],
    ['p(99) < fast', 'expected a number', 8],
    ['p(99) < 300 ms', "unexpected 'ms'", 12],
    ['p(99) < 300sec', "unknown unit 'sec'", 11],
    ['p99 < 300ms', "unknown statistic 'p99'", 0],
    ['avgg < 5ms', "did you mean 'avg'", 0],
    ['http.latency{phase=} p(99) < 1s', 'expected a phase name', 19],
    ['', 'empty', 0],
  ])('rejects %j with a caret and a reason', (src, reason, at) => {
    let err: unknown;
    try {
      parseBudget(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BudgetSyntaxError);
    const e = err as BudgetSyntaxError;
    expect(e.message).toContain(reason);
    expect(e.span.start).toBe(at);
    // The expression is quoted and the caret sits under the culprit.
    const lines = e.message.split('\n');
    expect(lines[1]).toBe(`  ${src}`);
    expect(lines[2]!.indexOf('^')).toBe(2 + at);
    expect(e.hint).toMatch(/p\(N\), avg, min, max/);
    expect(e.exitCode).toBe(2);
  });
});

describe('budget grammar: validate', () => {
  it('a typo in a metric is exit 2, suggests the closest and lists the valid names', () => {
    let err: unknown;
    try {
      compileBudget('http.latncy p(99) < 300ms');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BudgetError);
    const e = err as BudgetError;
    expect(e.stage).toBe('validate');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain("unknown metric 'http.latncy'");
    expect(e.message).toContain("did you mean 'http.latency'");
    expect(e.message).toContain('^^^^^^^^^^^');
    expect(e.hint).toContain('http.latency, http.error_rate, http.throughput, workflow.latency');
  });

  it('checks units, operators, percentiles, edges and phases against the context', () => {
    const ctx = { phases: ['baseline', 'fault'], edges: ['planner->search'] };
    expect(() => compileBudget('p(99) < 300', ctx)).toThrow(/needs a unit/);
    expect(() => compileBudget('p(99) < 3%', ctx)).toThrow(/not a duration unit/);
    expect(() => compileBudget('p(99) > 300ms', ctx)).toThrow(/ceiling/);
    expect(() => compileBudget('throughput < 5/s', ctx)).toThrow(/floor/);
    expect(() => compileBudget('p(100) < 1s', ctx)).toThrow(/below 100/);
    expect(() => compileBudget('error_rate < 120%', ctx)).toThrow(/exceed 100%/);
    expect(() => compileBudget('http.latency < 1s', ctx)).toThrow(/needs a statistic/);
    expect(() => compileBudget('http.error_rate p(99) < 1%', ctx)).toThrow(/takes no statistic/);
    expect(() => compileBudget('edge.planner->serch.latency p(99) < 1s', ctx)).toThrow(/unknown edge 'planner->serch'.*did you mean 'edge.planner->search.latency'/s);
    expect(() => compileBudget('http.latency{phase=basline} p(99) < 1s', ctx)).toThrow(/unknown phase 'basline'; did you mean 'baseline'/);
    expect(() => compileBudget({ budget: 'http.latency{phase=fault} p(99) < 1s', phases: ['fault'] }, ctx)).toThrow(/given twice/);
  });

  it('normalises thresholds and derives objectives and minimum samples', () => {
    expect(compileBudget('p(99.9) < 2s')).toMatchObject({ metric: 'workflow.latency', series: 'workflow', threshold: 2000, unit: 'ms', objective: 0.999, minSamples: 1000 });
    expect(compileBudget('p(99) < 300ms')).toMatchObject({ objective: 0.99, minSamples: 100 });
    expect(compileBudget('error_rate < 1%')).toMatchObject({ metric: 'workflow.error_rate', threshold: 0.01, unit: 'ratio', minSamples: 100 });
    expect(compileBudget('error_rate < 1%').objective).toBeCloseTo(0.99, 12);
    expect(compileBudget('throughput >= 120/m')).toMatchObject({ metric: 'workflow.throughput', threshold: 2, unit: 'per_second' });
    expect(compileBudget('avg < 50ms').objective).toBeUndefined();
    expect(compileBudget({ budget: 'edge.a->b.latency p(90) < 250us', phases: ['x'] })).toMatchObject({ stream: 'edge.a->b', threshold: 0.25, phases: ['x'] });
  });

  it('scopes {workflow=…}, {step=…}, {method=…} name the series they read, and only where they apply', () => {
    const ctx = { workflows: ['order', 'status'], steps: ['send', 'wait'] };
    expect(compileBudget('p(99){workflow=order} < 2s', ctx)).toMatchObject({ stream: 'workflow', series: 'workflow{workflow=order}', metric: 'workflow.latency{workflow=order}' });
    expect(compileBudget('error_rate{step=send} < 1%', ctx)).toMatchObject({ series: 'workflow{step=send}' });
    expect(compileBudget('http.error_rate{workflow=status} < 1%', ctx)).toMatchObject({ series: 'http{workflow=status}' });
    expect(compileBudget('http.latency{method=message/send} p(99) < 1s')).toMatchObject({ series: 'http{method=message/send}' });
    expect(compileBudget('edge.intake->planner.error_rate{method=message/send} < 1%')).toMatchObject({ stream: 'edge.intake->planner', series: 'edge.intake->planner{method=message/send}' });
    expect(() => compileBudget('p(99){workflow=odrer} < 2s', ctx)).toThrow(/unknown workflow 'odrer'; did you mean 'order'/);
    expect(() => compileBudget('error_rate{step=snd} < 1%', ctx)).toThrow(/unknown step 'snd'/);
    expect(() => compileBudget('http.error_rate{step=send} < 1%', ctx)).toThrow(/does not apply to http/);
    expect(() => compileBudget('error_rate{method=tasks/get} < 1%')).toThrow(/does not apply to workflow/);
    expect(() => compileBudget('edge.a->b.latency{workflow=order} p(99) < 1s')).toThrow(/does not apply to edge/);
    expect(() => compileBudget('error_rate{workflow=order,step=send} < 1%')).toThrow(/one of workflow=, step=, method=/);
    expect(() => parseBudget('error_rate{flow=order} < 1%')).toThrow(/expected a scope key/);
    expect(() => parseBudget('error_rate{workflow=a,b} < 1%')).toThrow(/only phase= takes several values/);
    expect(() => parseBudget('http.latency{phase=a} p(99){phase=b} < 1s')).toThrow(/scope is given twice/);
  });
});

// ---- property tests ----

const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_:]{0,7}$/);
const amount = fc.oneof(fc.integer({ min: 0, max: 100000 }), fc.integer({ min: 0, max: 10_000_000 }).map((n) => n / 1000));
const stat: fc.Arbitrary<BudgetStat> = fc.oneof(
  fc.integer({ min: 1, max: 99999 }).map((n) => ({ kind: 'percentile' as const, p: n / 1000 })),
  fc.constantFrom('avg', 'min', 'max', 'error_rate', 'throughput').map((kind) => ({ kind }) as BudgetStat),
);
const stream = fc.oneof(fc.constantFrom('http', 'workflow'), fc.tuple(name, name).map(([a, b]) => `edge.${a}->${b}`));
const ast = fc
  .record({
    metric: fc.option(fc.tuple(stream, fc.constantFrom('latency', 'error_rate', 'throughput')).map(([s, m]) => `${s}.${m}`), { nil: null }),
    phases: fc.option(fc.array(name, { minLength: 1, maxLength: 3 }), { nil: null }),
    filters: fc.option(
      fc.tuple(fc.constantFrom('workflow', 'step', 'method' as const), fc.stringMatching(/^[A-Za-z0-9_:/][A-Za-z0-9_:/.-]{0,9}$/)).map(([key, value]) => [{ key, value }]),
      { nil: null },
    ),
    stat: fc.option(stat, { nil: null }),
    op: fc.constantFrom('<', '<=', '>', '>=' as const),
    amount,
    unit: fc.option(fc.constantFrom('us', 'ms', 's', '%', '/s', '/m' as const), { nil: null }),
  })
  // The grammar's two shapes: a metric may drop the statistic; a bare statistic carries its scope after it.
  .filter((a) => a.metric !== null || a.stat !== null);

describe('budget grammar: properties', () => {
  it('any valid expression round-trips through format ∘ parse', () => {
    fc.assert(
      fc.property(ast, (a) => {
        const text = formatBudget(a as Omit<BudgetAst, 'spans'>);
        const back = strip(parseBudget(text));
        expect(back).toEqual(a);
        // And formatting is a fixed point.
        expect(formatBudget(back)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('random strings never throw anything but BudgetSyntaxError', () => {
    const alphabet = fc.constantFrom(...'p(99)<=>%/sm .{}phase=,avgmaxerror_ratethroughputhttp.latency->edge0123456789µ\t\n\u0000'.split(''));
    const junk = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')));
    fc.assert(
      fc.property(junk, (s) => {
        try {
          parseBudget(s);
        } catch (e) {
          expect(e).toBeInstanceOf(BudgetSyntaxError);
          expect(e).toBeInstanceOf(AgentcheckError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('mutating a valid expression either parses or throws BudgetSyntaxError, and validation only BudgetError', () => {
    fc.assert(
      fc.property(ast, fc.nat(), fc.string({ maxLength: 3 }), (a, at, insert) => {
        const text = formatBudget(a as Omit<BudgetAst, 'spans'>);
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + insert + text.slice(i + 1);
        try {
          compileBudget(mutated);
        } catch (e) {
          expect(e).toBeInstanceOf(BudgetError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
