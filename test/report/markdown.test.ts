import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { RunReport } from '../../src/report/model.js';
import { abortedReport, failingReport, HOSTILE, hostileReport, invalidReport, passingReport } from './fixtures.js';

/** The rows of the table under a `### heading`, as arrays of cell strings (header row first). */
function tableUnder(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === heading);
  if (start === -1) throw new Error(`no section ${heading}`);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('|')) break;
    // Split on pipes that are not backslash-escaped, as GFM does.
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    rows.push(cells);
  }
  return rows.filter((r) => !r.every((c) => /^:?-+:?$/.test(c)));
}

describe('renderMarkdown', () => {
  it('headline: verdict, title and every reason, with counts and the seed', () => {
    const md = renderMarkdown(failingReport());
    const lines = md.split('\n');
    expect(lines[0]).toBe('## ❌ agentcheck scenario: FAIL — order-fulfilment (buggy payments)');
    expect(md).toContain('**invariant payments-exactly-once failed: 3 orders charged twice: o-1, o-7, o-9**');
    expect(md).toContain('- budget http.latency p(99) < 300ms breached in latency-on-payments'.replace('<', '&lt;'));
    expect(md).toContain('12 checks: 7 passed, 4 failed, 1 warned');
    expect(md).toContain('seed `42`');
  });

  it('phase, budget, invariant, edge and agent tables carry the figures', () => {
    const md = renderMarkdown(failingReport());
    const phases = tableUnder(md, 'Phases');
    expect(phases[0]).toEqual(['Phase', 'Start', 'Duration', 'Requests', 'Errors', 'Timeouts', 'Error rate', 'p50', 'p99', 'Throughput', 'Faults']);
    expect(phases[2]).toEqual(['latency-on-payments', '20.0 s', '20.0 s', '4,050', '3', '1', '0.074 %', '197 ms', '513 ms', '203/s', 'latency on planner->payments (downstream)'.replace('>', '&gt;')]);

    const budgets = tableUnder(md, 'Budgets');
    expect(budgets[0]).toEqual(['Status', 'Metric', 'Budget', 'Scope', 'Measured', 'Objective', 'Samples', 'Burn rate', 'Reason']);
    expect(budgets).toContainEqual(['❌ FAIL', '`http.latency`', '`p(99) < 300ms`', 'latency-on-payments', '513 ms', '300 ms', '4,050', '16.2× (max window 31.5×)', 'p99 512.8 ms exceeds 300 ms']);
    expect(budgets).toContainEqual(['⚠️ WARN', '`http.error_rate`', '`error_rate < 1%`', 'run', '0.049 %', '1 %', '12,270', '0.05× (max window 1.2×)', 'a window burned the error budget at 1.2×']);

    const inv = tableUnder(md, 'Invariants');
    expect(inv).toContainEqual(['❌ FAIL', 'payments-exactly-once', 'exactly\\_once', 'end', '3 orders charged twice: o-1, o-7, o-9']);

    const edges = tableUnder(md, 'Edges');
    expect(edges[0]).toEqual(['Edge', 'Protocol', 'Requests', 'Errors', 'p50', 'p99', 'traceparent propagated', 'Faults fired', 'Slow share']);
    expect(edges).toContainEqual(['`planner->payments`', 'http', '12,270', '4', '52.4 ms', '181 ms', '99.8 %', 'latency ×4,050', '87 %']);

    const agents = tableUnder(md, 'Agents');
    expect(agents).toContainEqual(['❌ crashed', 'notifier', 'process', '–', '–', '–', 'exited with code 1 at 41.2 s']);
    expect(agents).toContainEqual(['✅ stopped', 'intake', 'process', '`http://127.0.0.1:41001`', '310 ms', '`logs/intake.log`', '']);

    const checks = tableUnder(md, 'Checks');
    expect(checks[1]).toEqual(['❌ FAIL', 'idempotency', 'duplicate delivery', 'second delivery created a second charge']);
  });

  it('invalid budgets show "–" for no data and say why', () => {
    const md = renderMarkdown(invalidReport());
    expect(md.split('\n')[0]).toContain('⛔ agentcheck scenario: INVALID');
    expect(tableUnder(md, 'Budgets')).toContainEqual(['⛔ INVALID', '`workflow.latency`', '`p(99) < 1s`', 'run', '–', '1.00 s', '0', '–', 'no data']);
    expect(tableUnder(md, 'Checks')).toContainEqual(['⏭️ SKIPPED', 'idempotency', 'concurrent duplicates', 'no concurrent duplicate was delivered']);
  });

  it('an aborted run with no phases, edges or timeline: headline, abort note, agents only', () => {
    const md = renderMarkdown(abortedReport());
    expect(md.split('\n')[0]).toBe('## 🛑 agentcheck scenario: ABORTED — interrupted');
    expect(md).toContain('> 🛑 Aborted by SIGINT: interrupted during baseline.');
    expect(md).not.toContain('### Phases');
    expect(md).not.toContain('### Edges');
    expect(md).not.toContain('### Budgets');
    expect(tableUnder(md, 'Agents')).toHaveLength(2);
  });

  it('hostile strings: no raw HTML, no broken table rows, every row has as many cells as the header', () => {
    const md = renderMarkdown(hostileReport());
    // Code spans are literal in GFM; outside them no raw HTML and no live link may survive.
    const outsideCode = md.replace(/`[^`\n]*`/g, '');
    expect(outsideCode).not.toContain('<script');
    expect(outsideCode).not.toMatch(/(?<!\\)\]\(javascript:/);
    expect(md).toContain('`p(99) < 300ms <script>alert("x")</script>`');
    expect(md).not.toContain('\u001b');
    for (const heading of ['Phases', 'Budgets', 'Invariants', 'Edges', 'Agents', 'Checks']) {
      const rows = tableUnder(md, heading);
      const width = rows[0]?.length;
      for (const r of rows) expect(r).toHaveLength(width ?? -1);
    }
    expect(tableUnder(md, 'Edges')[1]?.[0]).toBe('`col \\| col \\|\\| col`');
    expect(md).toContain(`&lt;script&gt;alert("x")&lt;/script&gt;`);
    expect(md).toContain('payments 💳 → notifier 📨');
    expect(md).toContain('line one line two line three');
  });

  it('caps long tables and says how many rows were left out, failures first', () => {
    const r: RunReport = passingReport();
    r.checks = Array.from({ length: 30 }, (_, i) => ({ suite: 'idempotency', name: `case ${i}`, status: i === 29 ? 'fail' : 'pass' }));
    const md = renderMarkdown(r, { maxRows: 10 });
    const rows = tableUnder(md, 'Checks');
    expect(rows).toHaveLength(11);
    expect(rows[1]?.[2]).toBe('case 29');
    expect(md).toContain('_… 20 more rows in report.json_');
  });

  it('heading level is configurable and sections sit one level below', () => {
    const md = renderMarkdown(passingReport(), { headingLevel: 3 });
    expect(md.startsWith('### ✅ agentcheck scenario: PASS')).toBe(true);
    expect(md).toContain('\n#### Budgets\n');
  });
});
