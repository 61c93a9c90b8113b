import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderJson, parseReportJson } from '../../src/report/json.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { WorkflowOutcomeCount } from '../../src/report/model.js';
import { ALL_PHASES, MAX_CLASS_COLUMNS, errorClasses, outcomeTable } from '../../src/report/workflows.js';
import { passingReport, workflowReport } from './fixtures.js';

describe('outcomeTable', () => {
  it('pivots outcomes by phase and workflow, completed first, then classes by count, with an all-phases row', () => {
    const t = outcomeTable(workflowReport());
    expect(t.classes).toEqual(['completed', 'failed', 'timeout', 'jsonrpc:-32001']);
    expect(t.rows.map((r) => [r.workflow, r.phase])).toEqual([
      ['order', 'baseline'],
      ['order', 'latency-on-payments'],
      ['order', 'recovery'],
      ['order', ALL_PHASES],
      ['order-v1', 'baseline'],
      ['order-v1', 'latency-on-payments'],
      ['order-v1', 'recovery'],
      ['order-v1', ALL_PHASES],
    ]);
    const fault = t.rows.find((r) => r.workflow === 'order' && r.phase === 'latency-on-payments')!;
    expect(fault).toMatchObject({ total: 3327, counts: [880, 2150, 297, 0] });
    expect(fault.errorShare).toBeCloseTo(2447 / 3327, 10);
    expect(t.rows.find((r) => r.workflow === 'order' && r.phase === 'baseline')!.errorShare).toBe(0);
  });

  it('is empty without workflows, and has no all-phases row for a single phase', () => {
    expect(outcomeTable(passingReport()).rows).toEqual([]);
    const one = outcomeTable({ phases: [], workflows: { outcomes: [{ phase: 'p', workflow: 'w', class: 'failed', count: 2 }] } });
    expect(one).toEqual({ classes: ['failed'], rows: [{ phase: 'p', workflow: 'w', total: 2, counts: [2], errorShare: 1 }] });
  });

  it('sums every outcome exactly once per phase row and once in the all-phases row (property)', () => {
    const outcome = fc.record({
      phase: fc.constantFrom('a', 'b', 'c'),
      workflow: fc.constantFrom('w1', 'w2'),
      class: fc.constantFrom('completed', 'failed', 'timeout', 'http:503', 'jsonrpc:-32603', 'canceled', 'rejected', 'mcp:isError', 'connection:ECONNRESET', 'http:500'),
      count: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 40 }), (outcomes: WorkflowOutcomeCount[]) => {
        const t = outcomeTable({ phases: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] as never, workflows: { outcomes } });
        if (t.classes.length > MAX_CLASS_COLUMNS) return false;
        const phases = new Set(outcomes.filter((o) => o.count > 0).map((o) => o.phase));
        for (const w of ['w1', 'w2']) {
          const want = outcomes.filter((o) => o.workflow === w).reduce((n, o) => n + o.count, 0);
          const rows = t.rows.filter((r) => r.workflow === w);
          const perPhase = rows.filter((r) => r.phase !== ALL_PHASES);
          const sum = (rs: typeof rows) => rs.reduce((n, r) => n + r.total, 0);
          if (sum(perPhase) !== want) return false;
          const all = rows.find((r) => r.phase === ALL_PHASES);
          if (phases.size > 1 && want > 0 && all?.total !== want) return false;
          for (const r of rows) if (r.counts.reduce((n, c) => n + c, 0) !== r.total || r.errorShare < 0 || r.errorShare > 1) return false;
        }
        return true;
      }),
    );
  });
});

describe('errorClasses', () => {
  it('lists every non-completed class with its method, phases and first message, most frequent first', () => {
    expect(errorClasses(workflowReport().workflows!.outcomes)).toEqual([
      { class: 'failed', method: 'tasks/get', workflow: 'order', count: 2150, phases: ['latency-on-payments'], message: 'planner failed the order: payments: POST /charges answered 503' },
      { class: 'failed', method: 'GetTask', workflow: 'order-v1', count: 720, phases: ['latency-on-payments'] },
      { class: 'timeout', workflow: 'order', count: 297, phases: ['latency-on-payments'] },
      { class: 'jsonrpc:-32001', method: 'GetTask', workflow: 'order-v1', count: 3, phases: ['latency-on-payments'], message: 'Task not found' },
    ]);
  });
});

describe('workflow outcomes in every report', () => {
  const r = workflowReport();

  it('HTML: an outcomes table with a column per class, the error classes, and latency charts for workflows, the entry hop and each edge with the faults shaded', () => {
    const html = renderHtml(r);
    const section = html.slice(html.indexOf('<h2>Workflow outcomes</h2>'), html.indexOf('<h2>Budgets</h2>'));
    for (const head of ['completed', 'failed', 'timeout', 'jsonrpc:-32001', 'Not completed']) expect(section).toContain(`<th class="num">${head}</th>`);
    expect(section).toContain('<code>jsonrpc:-32001</code>');
    expect(section).toContain('Task not found');
    expect(section).toContain('2,150');
    expect(html).toContain('aria-label="Workflow latency over time (p50 and p99)"');
    expect(html).toContain('aria-label="Entry hop latency over time (p50 and p99)"');
    for (const edge of ['intake-&gt;planner', 'planner-&gt;payments']) {
      const start = html.indexOf(`aria-label="Edge ${edge} over time (p50 and p99)"`);
      expect(start).toBeGreaterThan(-1);
      const svg = html.slice(start, html.indexOf('</svg>', start));
      // The fault window is shaded on every edge's chart, not only the entry's.
      expect(svg).toContain('<title>fault: latency on planner-&gt;payments</title>');
      expect(svg).toMatch(/<polyline class="line p99"/);
    }
  });

  it('names the phase figures workflows when the load drove workflows, requests otherwise', () => {
    const phasesOf = (html: string) => html.slice(html.indexOf('<h2>Phases</h2>'), html.indexOf('<h2>Edges</h2>'));
    expect(phasesOf(renderHtml(r))).toContain('<th class="num">Workflows</th>');
    expect(phasesOf(renderHtml(passingReport()))).toContain('<th class="num">Requests</th>');
    expect(renderMarkdown(r)).toContain('| Phase | Start | Duration | Workflows | Errors |');
    expect(renderMarkdown(passingReport())).toContain('| Phase | Start | Duration | Requests | Errors |');
  });

  it('HTML: no workflow section and the old chart titles without workflows', () => {
    const html = renderHtml(passingReport());
    expect(html).not.toContain('Workflow outcomes');
    expect(html).toContain('aria-label="Latency over time (p50 and p99)"');
    expect(html).not.toContain('Entry hop');
    expect(html).not.toContain('Edges over time');
  });

  it('Markdown: the outcomes table and the error classes', () => {
    const md = renderMarkdown(r);
    expect(md).toContain('### Workflow outcomes');
    expect(md).toContain('| Workflow | Phase | Workflows | `completed` | `failed` | `timeout` | `jsonrpc:-32001` | Not completed | p50 | p99 |');
    expect(md).toContain('| order | latency-on-payments | 3,327 | 880 | 2,150 | 297 | – | 73.5 % |   |   |');
    expect(md).toContain('| **order** | **all phases** | 9,492 |');
    expect(md).toMatch(/\| `jsonrpc:-32001` \| `GetTask` \| order-v1 \| 3 \| latency-on-payments \| Task not found \|/);
  });

  it('JUnit: one property per outcome row, no extra test cases', () => {
    const xml = renderJunit(r);
    expect(xml).toContain('<property name="workflow.outcome:latency-on-payments/order/failed[tasks/get]" value="2150"/>');
    expect(xml).toContain('<property name="workflow.outcome:baseline/order-v1/completed" value="1025"/>');
    expect(renderJunit(passingReport())).not.toContain('workflow.outcome');
  });

  it('JSON: round-trips the workflows section and the edge timelines', () => {
    const back = parseReportJson(renderJson(r));
    expect(back.workflows).toEqual(r.workflows);
    expect(back.edges[1]!.timeline).toEqual(r.edges[1]!.timeline);
  });
});
