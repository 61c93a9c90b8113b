import { describe, expect, it } from 'vitest';
import { budgetsFromOpenSlo } from '../../src/load/openslo.js';
import { compileBudgets } from '../../src/load/budget.js';
import { AgentcheckError } from '../../src/errors.js';

const doc = `
apiVersion: openslo/v1
kind: Service
metadata: { name: orders }
spec: {}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-latency
  annotations:
    agentcheck.dev/metric: workflow
    agentcheck.dev/phases: baseline, recovery
spec:
  service: orders
  indicator:
    metadata: { name: latency }
    spec:
      thresholdMetric:
        metricSource: { type: Prometheus, spec: { query: x } }
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives:
    - displayName: fast
      op: lte
      value: 300
      target: 0.99
    - op: lt
      value: 2
      targetPercent: 99.9
---
apiVersion: openslo/v1
kind: SLO
metadata: { name: availability }
spec:
  service: orders
  indicator:
    metadata: { name: errors }
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { type: Prometheus, spec: { query: g } } }
        total: { metricSource: { type: Prometheus, spec: { query: t } } }
  objectives:
    - target: 0.995
`;

describe('OpenSLO import', () => {
  it('turns threshold objectives into percentiles and ratio objectives into error rates', () => {
    const budgets = budgetsFromOpenSlo(doc);
    expect(budgets).toEqual([
      { budget: 'workflow.latency p(99) <= 300ms', phases: ['baseline', 'recovery'] },
      { budget: 'workflow.latency p(99.9) < 2ms', phases: ['baseline', 'recovery'] },
      'http.error_rate < 0.5%',
    ]);
    // They are ordinary budgets from then on.
    const compiled = compileBudgets(budgets, { phases: ['baseline', 'fault', 'recovery'] });
    expect(compiled.map((b) => [b.metric, b.threshold, b.objective])).toEqual([
      ['workflow.latency', 300, 0.99],
      ['workflow.latency', 2, 0.999],
      ['http.error_rate', 0.005, 0.995],
    ]);
  });

  it('rejects what it cannot express, naming the document and objective', () => {
    expect(() => budgetsFromOpenSlo('kind: Service\n')).toThrow(/no 'kind: SLO' document/);
    expect(() => budgetsFromOpenSlo('apiVersion: openslo/v2\nkind: SLO\nspec: {objectives: [{target: 0.9}]}\n')).toThrow(/unsupported apiVersion/);
    expect(() => budgetsFromOpenSlo('apiVersion: openslo/v1\nkind: SLO\nspec: {objectives: [{op: gt, value: 5, target: 0.9}]}\n')).toThrow(/objective 1.*op 'gt'/);
    expect(() => budgetsFromOpenSlo('apiVersion: openslo/v1\nkind: SLO\nspec: {objectives: [{target: 1.5}]}\n')).toThrow(/target must be between/);
    expect(() => budgetsFromOpenSlo('a: [')).toThrow(AgentcheckError);
  });
});
