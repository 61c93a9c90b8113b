import { describe, expect, it } from 'vitest';
import { formatIdempotencyResult, idempotencyRunReport } from '../../src/idempotency/report.js';
import type { IdempotencyCheckResult } from '../../src/idempotency/types.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';

const result: IdempotencyCheckResult = {
  ok: false,
  status: 'failed',
  seed: 42,
  durationMs: 1234,
  properties: [
    { property: 'duplicate-delivery', status: 'failed', summary: 'violated: 2 deliveries left 2 effects', runs: 1, exercisedRuns: 1, durationMs: 10,
      counterexample: { input: { deliveries: 2 }, message: '2 deliveries left 2 effects', shrinks: 3, observed: { effects: 2 } },
      replay: { seed: 42, path: '0:1', command: 'agentcheck idempotency --seed 42 --path 0:1' } },
    { property: 'concurrent-duplicates', status: 'not-exercised', summary: 'not exercised: nothing overlapped', runs: 10, exercisedRuns: 0, durationMs: 5, replay: { seed: 42 } },
    { property: 'missing-key', status: 'passed', summary: 'held in 10 runs (10 exercised the property)', runs: 10, exercisedRuns: 10, durationMs: 5, replay: { seed: 42 } },
  ],
};

describe('idempotency reports', () => {
  const report = idempotencyRunReport(result, { title: 'idempotency: payments', source: 'http://127.0.0.1:1', toolVersion: '0.1.0', startedAt: new Date(0) });

  it('maps properties to checks and the status to the verdict', () => {
    expect(report.kind).toBe('idempotency');
    expect(report.verdict).toBe('fail');
    expect(report.seed).toBe('42');
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['duplicate-delivery', 'fail'],
      ['concurrent-duplicates', 'invalid'],
      ['missing-key', 'pass'],
    ]);
    expect(report.checks[0]?.message).toContain('replay: agentcheck idempotency --seed 42 --path 0:1');
    expect(report.reasons[0]).toBe('1 of 3 properties violated: duplicate-delivery');
    expect(report.reasons[1]).toBe('1 not exercised (not a pass): concurrent-duplicates');
    expect(idempotencyRunReport({ ...result, status: 'not-exercised' }, { title: 't', source: 's', toolVersion: '0', startedAt: new Date(0) }).verdict).toBe('invalid');
  });

  it('renders through the shared writers: a JUnit failure with the counterexample, a Markdown row per property', () => {
    const junit = renderJunit(report);
    expect(junit).toMatch(/<testcase[^>]*name="duplicate-delivery"[^>]*>\s*<failure/);
    expect(junit).toContain('0:1');
    const md = renderMarkdown(report);
    for (const p of ['duplicate-delivery', 'concurrent-duplicates', 'missing-key']) expect(md).toContain(p);
  });

  it('prints one line per property, then the counterexample and its replay', () => {
    const text = formatIdempotencyResult(result);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'FAIL          duplicate-delivery     violated: 2 deliveries left 2 effects',
      'NOT EXERCISED concurrent-duplicates  not exercised: nothing overlapped',
      'PASS          missing-key            held in 10 runs (10 exercised the property)',
    ]);
    expect(text).toContain('  shrunk input (3 shrinks): {"deliveries":2}');
    expect(text).toContain('  replay: agentcheck idempotency --seed 42 --path 0:1');
    expect(text).toMatch(/idempotency: a property was violated \(seed 42, 1\.2 s\)\n$/);
  });
});
