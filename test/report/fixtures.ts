/**
 * Hand-built RunReports for the reporter tests: passing, failing, invalid, aborted, empty, hostile.
 */
import { REPORT_VERSION, type RunReport, type TimePoint } from '../../src/report/model.js';

/** Strings that break naive escaping in XML, HTML and Markdown. */
export const HOSTILE = {
  tags: '<script>alert("x")</script>',
  amp: 'a & b &amp; c',
  quotes: `"double" and 'single'`,
  cdata: 'end ]]> of cdata',
  emoji: 'payments 💳 → notifier 📨',
  pipes: 'col | col || col',
  markdown: '**bold** _em_ `code` [link](javascript:alert(1)) # not a heading',
  controls: 'bell\u0007 nul\u0000 esc\u001b[31m red',
  newlines: 'line one\nline two\r\nline three',
} as const;

/** A realistic timeline: `seconds` one-second buckets, a latency spike and errors in [faultFrom, faultTo). */
export function makeTimeline(seconds: number, faultFrom: number, faultTo: number, seed = 1): TimePoint[] {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out: TimePoint[] = [];
  for (let i = 0; i < seconds; i++) {
    const inFault = i >= faultFrom && i < faultTo;
    const requests = 200 + Math.round(rand() * 10);
    const errors = inFault ? Math.round(requests * (0.03 + rand() * 0.05)) : rand() < 0.1 ? 1 : 0;
    const p50 = inFault ? 180 + rand() * 40 : 22 + rand() * 6;
    const p99 = inFault ? 420 + rand() * 160 : 60 + rand() * 25;
    out.push({ tMs: i * 1000, requests, errors, p50, p99 });
  }
  return out;
}

const latency = (p50: number, p99: number, count: number) => ({
  count,
  min: p50 / 4,
  mean: p50 * 1.2,
  p50,
  p90: (p50 + p99) / 2,
  p95: p99 * 0.9,
  p99,
  p999: p99 * 1.3,
  max: p99 * 1.6,
});

/** A passing scenario report with every section filled. */
export function passingReport(): RunReport {
  return {
    version: REPORT_VERSION,
    tool: { name: 'agentcheck', version: '0.1.0' },
    kind: 'scenario',
    title: 'order-fulfilment',
    source: 'scenarios/order-fulfilment.yaml',
    seed: '42',
    startedAt: '2025-01-15T10:00:00.000Z',
    durationMs: 60_000,
    verdict: 'pass',
    reasons: ['all 4 budgets and 2 invariants passed'],
    agents: [
      { name: 'intake', runtime: 'process', url: 'http://127.0.0.1:41001', status: 'stopped', startMs: 5, readyMs: 310, log: 'logs/intake.log' },
      { name: 'payments', runtime: 'process', url: 'http://127.0.0.1:41002', status: 'stopped', startMs: 6, readyMs: 290, log: 'logs/payments.log' },
    ],
    phases: [
      { name: 'baseline', startMs: 0, endMs: 20_000, faults: [], requests: 4100, errors: 2, timeouts: 0, latency: latency(24.5, 81.2, 4100), throughput: 205 },
      {
        name: 'latency-on-payments',
        startMs: 20_000,
        endMs: 40_000,
        faults: [{ edge: 'planner->payments', type: 'latency', name: 'lat', stream: 'downstream', attributes: { latency: 150, jitter: 20 } }],
        requests: 4050,
        errors: 3,
        timeouts: 1,
        latency: latency(197.3, 512.8, 4050),
        throughput: 202.5,
      },
      { name: 'recovery', startMs: 40_000, endMs: 60_000, faults: [], requests: 4120, errors: 1, timeouts: 0, latency: latency(23.9, 79.0, 4120), throughput: 206 },
    ],
    budgets: [
      { expression: 'p(99) < 300ms', metric: 'http.latency', scope: 'baseline', status: 'pass', measured: 81.2, objective: 300, unit: 'ms', samples: 4100 },
      { expression: 'p(99) < 800ms', metric: 'http.latency', scope: 'latency-on-payments', status: 'pass', measured: 512.8, objective: 800, unit: 'ms', samples: 4050 },
      {
        expression: 'error_rate < 1%',
        metric: 'http.error_rate',
        scope: 'run',
        status: 'warn',
        measured: 0.00049,
        objective: 0.01,
        unit: 'ratio',
        samples: 12270,
        burnRate: 0.049,
        maxWindowBurnRate: 1.2,
        reason: 'a window burned the error budget at 1.2×',
      },
      { expression: 'throughput >= 200/s', metric: 'http.throughput', scope: 'run', status: 'pass', measured: 204.5, objective: 200, unit: 'per_second', samples: 12270 },
    ],
    invariants: [
      { name: 'payments-exactly-once', kind: 'exactly_once', when: 'end', status: 'pass', finding: '12,270 orders charged once each' },
      { name: 'ledger-balanced', kind: 'http', when: 'end', status: 'pass' },
    ],
    edges: [
      {
        edge: 'intake->planner',
        protocol: 'http',
        requests: 12270,
        errors: 2,
        latency: latency(3.1, 9.8, 12270),
        traceparentPropagated: 1,
        faultsFired: {},
        slowShare: 0.08,
      },
      {
        edge: 'planner->payments',
        protocol: 'http',
        requests: 12270,
        errors: 4,
        latency: latency(52.4, 181.0, 12270),
        traceparentPropagated: 0.998,
        faultsFired: { latency: 4050 },
        slowShare: 0.87,
      },
    ],
    checks: [],
    timeline: makeTimeline(60, 20, 40),
    faultWindows: [{ startMs: 20_000, endMs: 40_000, label: 'latency on planner->payments' }],
    load: { targetRate: 205, achievedRate: 204.5, lateArrivals: 0 },
  };
}

/** A failing report: a breached budget, a double-charge invariant, a crashed agent, a failed check. */
export function failingReport(): RunReport {
  const r = passingReport();
  r.title = 'order-fulfilment (buggy payments)';
  r.verdict = 'fail';
  r.reasons = ['invariant payments-exactly-once failed: 3 orders charged twice: o-1, o-7, o-9', 'budget http.latency p(99) < 300ms breached in latency-on-payments'];
  r.budgets.push({
    expression: 'p(99) < 300ms',
    metric: 'http.latency',
    scope: 'latency-on-payments',
    status: 'fail',
    measured: 512.8,
    objective: 300,
    unit: 'ms',
    samples: 4050,
    burnRate: 16.2,
    maxWindowBurnRate: 31.5,
    reason: 'p99 512.8 ms exceeds 300 ms',
  });
  r.invariants[0] = {
    name: 'payments-exactly-once',
    kind: 'exactly_once',
    when: 'end',
    status: 'fail',
    finding: '3 orders charged twice: o-1, o-7, o-9',
    details: { duplicated: ['o-1', 'o-7', 'o-9'] },
  };
  r.agents.push({ name: 'notifier', runtime: 'process', status: 'crashed', startMs: 7, error: 'exited with code 1 at 41.2 s' });
  r.checks.push({ suite: 'idempotency', name: 'duplicate delivery', status: 'fail', message: 'second delivery created a second charge' });
  r.checks.push({ suite: 'idempotency', name: 'missing key → 400', status: 'pass' });
  return r;
}

/** An invalid report: a budget with no data and one with too few samples. */
export function invalidReport(): RunReport {
  const r = passingReport();
  r.verdict = 'invalid';
  r.reasons = ['budget workflow.latency p(99) < 1s got no data'];
  r.budgets = [
    { expression: 'p(99) < 1s', metric: 'workflow.latency', scope: 'run', status: 'invalid', measured: null, objective: 1000, unit: 'ms', samples: 0, reason: 'no data' },
    { expression: 'p(99.9) < 1s', metric: 'http.latency', scope: 'baseline', status: 'invalid', measured: 90, objective: 1000, unit: 'ms', samples: 120, reason: 'p99.9 needs ≥ 1,000 samples, got 120' },
  ];
  r.checks = [{ suite: 'idempotency', name: 'concurrent duplicates', status: 'skipped', message: 'no concurrent duplicate was delivered' }];
  return r;
}

/** An aborted report with no timeline, no edges, no phases run to completion. */
export function abortedReport(): RunReport {
  return {
    version: REPORT_VERSION,
    tool: { name: 'agentcheck', version: '0.1.0' },
    kind: 'scenario',
    title: 'interrupted',
    startedAt: '2025-01-15T10:00:00.000Z',
    durationMs: 1234,
    verdict: 'aborted',
    reasons: ['interrupted by SIGINT during baseline'],
    aborted: { signal: 'SIGINT', reason: 'interrupted during baseline' },
    agents: [{ name: 'intake', runtime: 'process', status: 'stopped' }],
    phases: [],
    budgets: [],
    invariants: [],
    edges: [],
    checks: [],
    timeline: [],
    faultWindows: [],
  };
}

/** A report whose every user-text field holds a hostile string. */
export function hostileReport(): RunReport {
  const r = failingReport();
  const all = Object.values(HOSTILE).join(' / ');
  r.title = `${HOSTILE.tags} ${HOSTILE.emoji}`;
  r.source = HOSTILE.quotes;
  r.seed = HOSTILE.cdata;
  r.reasons = Object.values(HOSTILE);
  r.aborted = { signal: HOSTILE.amp, reason: HOSTILE.tags };
  r.agents[0] = { name: HOSTILE.tags, runtime: 'process', status: 'failed', error: all, log: HOSTILE.cdata };
  const phase = r.phases[1];
  if (phase) {
    phase.name = HOSTILE.markdown;
    phase.faults = [{ edge: HOSTILE.pipes, type: HOSTILE.tags, name: HOSTILE.amp }];
  }
  const budget = r.budgets[0];
  if (budget) {
    budget.expression = `p(99) < 300ms ${HOSTILE.tags}`;
    budget.scope = HOSTILE.cdata;
    budget.reason = all;
    budget.status = 'fail';
  }
  r.invariants[1] = { name: HOSTILE.quotes, kind: 'command', when: HOSTILE.newlines, status: 'invalid', finding: HOSTILE.controls, details: { html: HOSTILE.tags } };
  const edge = r.edges[0];
  if (edge) {
    edge.edge = HOSTILE.pipes;
    edge.faultsFired = { [HOSTILE.tags]: 3 };
  }
  r.checks.push({ suite: HOSTILE.emoji, name: HOSTILE.cdata, status: 'fail', message: all });
  r.checks.push({ suite: HOSTILE.emoji, name: HOSTILE.newlines, status: 'skipped', message: HOSTILE.controls });
  r.faultWindows = [{ startMs: 20_000, endMs: 40_000, label: HOSTILE.tags }];
  r.load = { [HOSTILE.tags]: HOSTILE.amp };
  return r;
}

/**
 * An async A2A report: a mix of two workflows whose tasks fail in the fault phase, outcomes by
 * class (with JSON-RPC errors and timeouts), per-workflow latency, the entry hop's own timeline
 * (flat: the entry answers at once) and a timeline per edge.
 */
export function workflowReport(): RunReport {
  const r = passingReport();
  r.title = 'a2a-async-downstream-fault';
  r.verdict = 'fail';
  r.reasons = ['budget error_rate < 1% breached in latency-on-payments: 71 % of 4,050 workflows failed'];
  r.budgets.push({
    expression: 'error_rate < 1%',
    metric: 'workflow.error_rate',
    scope: 'latency-on-payments',
    status: 'fail',
    measured: 0.71,
    objective: 0.01,
    unit: 'ratio',
    samples: 4050,
  });
  r.workflows = {
    outcomes: [
      { phase: 'baseline', workflow: 'order', class: 'completed', count: 3075 },
      { phase: 'baseline', workflow: 'order-v1', class: 'completed', count: 1025 },
      { phase: 'latency-on-payments', workflow: 'order', class: 'completed', count: 880 },
      { phase: 'latency-on-payments', workflow: 'order', class: 'failed', method: 'tasks/get', count: 2150, message: 'planner failed the order: payments: POST /charges answered 503' },
      { phase: 'latency-on-payments', workflow: 'order-v1', class: 'failed', method: 'GetTask', count: 720 },
      { phase: 'latency-on-payments', workflow: 'order-v1', class: 'jsonrpc:-32001', method: 'GetTask', count: 3, message: 'Task not found' },
      { phase: 'latency-on-payments', workflow: 'order', class: 'timeout', count: 297 },
      { phase: 'recovery', workflow: 'order', class: 'completed', count: 3090 },
      { phase: 'recovery', workflow: 'order-v1', class: 'completed', count: 1030 },
    ],
    latency: [
      { workflow: 'order', latency: latency(140, 920, 9492) },
      { workflow: 'order-v1', latency: latency(160, 990, 2778) },
    ],
    entryTimeline: makeTimeline(60, 100, 100, 7).map((p) => ({ ...p, errors: 0, p50: 2 + (p.p50 ?? 0) / 20, p99: 5 + (p.p99 ?? 0) / 20 })),
  };
  r.edges = r.edges.map((e, i) => ({ ...e, timeline: makeTimeline(60, i === 1 ? 20 : 100, i === 1 ? 40 : 100, 3 + i) }));
  return r;
}
