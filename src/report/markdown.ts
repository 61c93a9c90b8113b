/**
 * summary.md: GitHub-flavoured Markdown for CI step summaries ($GITHUB_STEP_SUMMARY). Headline verdict
 * and reasons first (what a reviewer reads), then one table per section. Tables are capped so a huge
 * run stays well under GitHub's 1 MiB summary limit; report.json has every row.
 */
import { escapeMarkdown as md } from './escape.js';
import { agentStatus, checkCountLine, checkKindsLine, countChecks } from './checks.js';
import {
  errorRatio,
  faultLabel,
  formatBurn,
  formatCount,
  formatInUnit,
  formatMs,
  formatRate,
  formatRatio,
  NO_DATA,
  statusEmoji,
  statusLabel,
  verdictEmoji,
  verdictMeaning,
} from './format.js';
import { loadFigures } from './load-figures.js';
import type { CheckStatus, RunReport } from './model.js';
import { ALL_PHASES, errorClasses, outcomeTable } from './workflows.js';

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** Most rows per table before the rest is summarised in one line (default 200). */
  maxRows?: number;
  /** Heading level of the headline, 1–4 (default 2, so several runs can share one step summary). */
  headingLevel?: number;
}

type Align = 'l' | 'r' | 'c';

function table(headers: Array<[string, Align]>, rows: string[][], maxRows: number): string[] {
  const head = `| ${headers.map(([h]) => h).join(' | ')} |`;
  const sep = `|${headers.map(([, a]) => (a === 'r' ? ' ---: ' : a === 'c' ? ' :---: ' : ' --- ')).join('|')}|`;
  const shown = rows.slice(0, maxRows).map((r) => `| ${r.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`);
  const out = [head, sep, ...shown];
  if (rows.length > maxRows) out.push('', `_… ${rows.length - maxRows} more rows in report.json_`);
  return out;
}

function status(s: CheckStatus): string {
  return `${statusEmoji(s)} ${statusLabel(s)}`;
}

function code(s: string): string {
  // A code span cannot escape backticks or control characters; such text falls back to escaped plain text.
  // (Inside a code span `<` and `&` are literal in GFM, so they need no escaping there.)
  if (/[`\u0000-\u001F\u007F]/.test(s)) return md(s);
  const inner = s.replace(/\|/g, '\\|');
  return `\`${inner}\``;
}

function headlineSection(report: RunReport, level: number): string[] {
  const h = '#'.repeat(level);
  const counts = countChecks(report);
  const out = [`${h} ${verdictEmoji(report.verdict)} agentcheck ${md(report.kind)}: ${report.verdict.toUpperCase()} — ${md(report.title)}`, ''];
  const reasons = report.reasons.length > 0 ? report.reasons : [verdictMeaning(report.verdict)];
  out.push(`**${md(reasons[0] ?? '')}**`);
  if (reasons.length > 1) out.push('', ...reasons.slice(1).map((r) => `- ${md(r)}`));
  if (report.aborted) {
    out.push('', `> 🛑 Aborted${report.aborted.signal ? ` by ${md(report.aborted.signal)}` : ''}: ${md(report.aborted.reason)}. The figures below cover the run until then.`);
  }
  const meta = [
    `${checkCountLine(counts)} (${checkKindsLine(counts)})`,
    `duration ${formatMs(report.durationMs)}`,
    `started ${md(report.startedAt)}`,
    report.source !== undefined ? `source ${code(report.source)}` : '',
    report.seed !== undefined ? `seed ${code(report.seed)}` : '',
  ].filter(Boolean);
  out.push('', meta.join(' · '));
  if (report.replay?.of) out.push('', `${report.replay.of.reproduced ? '🔁' : '⚠️'} Replay of ${code(report.replay.of.journal)}: ${md(report.replay.of.message)}`);
  if (report.replay?.command) out.push('', `Replay this run: ${code(report.replay.command)}`);
  return out;
}

function phasesSection(report: RunReport, maxRows: number, sub: string): string[] {
  if (report.phases.length === 0) return [];
  const rows = report.phases.map((p) => [
    md(p.name),
    formatMs(p.startMs),
    formatMs(p.endMs - p.startMs),
    formatCount(p.requests),
    formatCount(p.errors),
    formatCount(p.timeouts),
    formatRatio(errorRatio(p.errors, p.requests)),
    formatMs(p.latency?.p50),
    formatMs(p.latency?.p99),
    formatRate(p.throughput),
    p.faults.length > 0 ? p.faults.map((f) => md(faultLabel(f))).join('<br>') : NO_DATA,
  ]);
  return [
    `${sub} Phases`,
    '',
    ...table(
      [
        ['Phase', 'l'],
        ['Start', 'r'],
        ['Duration', 'r'],
        // With workflows, a phase's figures are the workflows' (start to terminal outcome).
        [report.workflows ? 'Workflows' : 'Requests', 'r'],
        ['Errors', 'r'],
        ['Timeouts', 'r'],
        ['Error rate', 'r'],
        ['p50', 'r'],
        ['p99', 'r'],
        ['Throughput', 'r'],
        ['Faults', 'l'],
      ],
      rows,
      maxRows,
    ),
  ];
}

function budgetsSection(report: RunReport, maxRows: number, sub: string): string[] {
  if (report.budgets.length === 0) return [];
  const rows = report.budgets.map((b) => {
    const burn =
      b.burnRate === undefined && b.maxWindowBurnRate === undefined
        ? NO_DATA
        : `${formatBurn(b.burnRate)}${b.maxWindowBurnRate !== undefined ? ` (max window ${formatBurn(b.maxWindowBurnRate)})` : ''}`;
    return [
      status(b.status),
      code(b.metric),
      code(b.expression),
      md(b.scope),
      formatInUnit(b.measured, b.unit),
      formatInUnit(b.objective, b.unit),
      formatCount(b.samples),
      burn,
      b.reason ? md(b.reason) : '',
    ];
  });
  return [
    `${sub} Budgets`,
    '',
    ...table(
      [
        ['Status', 'l'],
        ['Metric', 'l'],
        ['Budget', 'l'],
        ['Scope', 'l'],
        ['Measured', 'r'],
        ['Objective', 'r'],
        ['Samples', 'r'],
        ['Burn rate', 'r'],
        ['Reason', 'l'],
      ],
      rows,
      maxRows,
    ),
  ];
}

function invariantsSection(report: RunReport, maxRows: number, sub: string): string[] {
  if (report.invariants.length === 0) return [];
  const rows = report.invariants.map((i) => [status(i.status), md(i.name), md(i.kind), md(i.when), i.finding ? md(i.finding) : '']);
  return [
    `${sub} Invariants`,
    '',
    ...table(
      [
        ['Status', 'l'],
        ['Invariant', 'l'],
        ['Kind', 'l'],
        ['When', 'l'],
        ['Finding', 'l'],
      ],
      rows,
      maxRows,
    ),
  ];
}

function faultsFired(f: Record<string, number>): string {
  const entries = Object.entries(f).filter(([, n]) => n > 0);
  return entries.length === 0 ? NO_DATA : entries.map(([k, n]) => `${md(k)} ×${formatCount(n)}`).join(', ');
}

function edgesSection(report: RunReport, maxRows: number, sub: string): string[] {
  if (report.edges.length === 0) return [];
  const rows = report.edges.map((e) => [
    code(e.edge),
    md(e.protocol),
    formatCount(e.requests),
    formatCount(e.errors),
    formatMs(e.latency?.p50),
    formatMs(e.latency?.p99),
    formatRatio(e.traceparentPropagated),
    faultsFired(e.faultsFired),
    formatRatio(e.slowShare),
  ]);
  return [
    `${sub} Edges`,
    '',
    ...table(
      [
        ['Edge', 'l'],
        ['Protocol', 'l'],
        ['Requests', 'r'],
        ['Errors', 'r'],
        ['p50', 'r'],
        ['p99', 'r'],
        ['traceparent propagated', 'r'],
        ['Faults fired', 'l'],
        ['Slow share', 'r'],
      ],
      rows,
      maxRows,
    ),
  ];
}

/** Per-subject figures of the nats edges (messages, drops, duplicates, redeliveries, lost acks, consumer lag). */
function subjectsSection(report: RunReport, maxRows: number, sub: string): string[] {
  const rows = report.edges.flatMap((e) =>
    (e.subjects ?? []).map((s) => [
      code(e.edge),
      code(s.subject),
      formatCount(s.published),
      formatCount(s.delivered),
      formatCount(s.dropped),
      formatCount(s.duplicated),
      formatCount(s.redeliveries),
      formatCount(s.acks),
      formatCount(s.acksDropped),
      s.maxPending === null ? NO_DATA : formatCount(s.maxPending),
    ]),
  );
  if (rows.length === 0) return [];
  return [
    `${sub} Subjects`,
    '',
    ...table(
      [
        ['Edge', 'l'],
        ['Subject', 'l'],
        ['Published', 'r'],
        ['Delivered', 'r'],
        ['Dropped', 'r'],
        ['Duplicated', 'r'],
        ['Redeliveries', 'r'],
        ['Acks', 'r'],
        ['Acks dropped', 'r'],
        ['Max pending', 'r'],
      ],
      rows,
      maxRows,
    ),
  ];
}

function agentsSection(report: RunReport, maxRows: number, sub: string): string[] {
  if (report.agents.length === 0) return [];
  const rows = report.agents.map((a) => [
    `${statusEmoji(agentStatus(a))} ${md(a.status)}`,
    md(a.name),
    md(a.runtime),
    a.url ? code(a.url) : NO_DATA,
    a.readyMs !== undefined ? formatMs(a.readyMs) : NO_DATA,
    a.log ? code(a.log) : NO_DATA,
    a.error ? md(a.error) : '',
  ]);
  return [
    `${sub} Agents`,
    '',
    ...table(
      [
        ['Status', 'l'],
        ['Agent', 'l'],
        ['Runtime', 'l'],
        ['URL', 'l'],
        ['Ready after', 'r'],
        ['Log', 'l'],
        ['Error', 'l'],
      ],
      rows,
      maxRows,
    ),
  ];
}

function checksSection(report: RunReport, maxRows: number, sub: string): string[] {
  if (report.checks.length === 0) return [];
  // Failures first: with a capped table the rows a reader needs must not be the ones cut.
  const order: Record<CheckStatus, number> = { fail: 0, invalid: 1, warn: 2, skipped: 3, pass: 4 };
  const sorted = [...report.checks].sort((a, b) => order[a.status] - order[b.status]);
  const rows = sorted.map((c) => [status(c.status), md(c.suite), md(c.name), c.message ? md(c.message) : '']);
  return [
    `${sub} Checks`,
    '',
    ...table(
      [
        ['Status', 'l'],
        ['Suite', 'l'],
        ['Check', 'l'],
        ['Message', 'l'],
      ],
      rows,
      maxRows,
    ),
  ];
}

function loadSection(report: RunReport, sub: string): string[] {
  if (!report.load || Object.keys(report.load).length === 0) return [];
  const items = loadFigures(report.load).map((f) => `${md(f.label)}: ${md(f.value)}`);
  return [`${sub} Load generator`, '', items.join(' · ')];
}

function workflowsSection(report: RunReport, maxRows: number, sub: string): string[] {
  const outcomes = report.workflows?.outcomes ?? [];
  const t = outcomeTable(report);
  if (t.rows.length === 0) return [];
  const latency = new Map((report.workflows?.latency ?? []).map((l) => [l.workflow, l.latency]));
  const rows = t.rows.map((r) => {
    const all = r.phase === ALL_PHASES;
    const lat = all ? latency.get(r.workflow) : undefined;
    const cell = (s: string) => (all ? `**${s}**` : s);
    return [
      cell(md(r.workflow)),
      cell(md(r.phase)),
      formatCount(r.total),
      ...r.counts.map((n) => (n > 0 ? formatCount(n) : NO_DATA)),
      formatRatio(r.errorShare),
      all ? formatMs(lat?.p50) : '',
      all ? formatMs(lat?.p99) : '',
    ];
  });
  const out = [
    `${sub} Workflow outcomes`,
    '',
    ...table(
      [
        ['Workflow', 'l'],
        ['Phase', 'l'],
        ['Workflows', 'r'],
        ...t.classes.map((c): [string, Align] => [code(c), 'r']),
        ['Not completed', 'r'],
        ['p50', 'r'],
        ['p99', 'r'],
      ],
      rows,
      maxRows,
    ),
  ];
  const errors = errorClasses(outcomes);
  if (errors.length > 0) {
    out.push(
      '',
      ...table(
        [
          ['Error class', 'l'],
          ['Method', 'l'],
          ['Workflow', 'l'],
          ['Count', 'r'],
          ['Phases', 'l'],
          ['First message', 'l'],
        ],
        errors.map((e) => [code(e.class), e.method ? code(e.method) : NO_DATA, md(e.workflow), formatCount(e.count), md(e.phases.join(', ')), e.message ? md(e.message) : '']),
        maxRows,
      ),
    );
  }
  return out;
}

/** Renders summary.md: headline verdict and reasons, then phases, workflow outcomes, budgets, invariants, edges, agents, checks. */
export function renderMarkdown(report: RunReport, options: MarkdownOptions = {}): string {
  const maxRows = Math.max(1, options.maxRows ?? 200);
  const level = Math.min(4, Math.max(1, options.headingLevel ?? 2));
  const sub = '#'.repeat(level + 1);
  const sections = [
    headlineSection(report, level),
    phasesSection(report, maxRows, sub),
    workflowsSection(report, maxRows, sub),
    budgetsSection(report, maxRows, sub),
    invariantsSection(report, maxRows, sub),
    edgesSection(report, maxRows, sub),
    subjectsSection(report, maxRows, sub),
    agentsSection(report, maxRows, sub),
    checksSection(report, maxRows, sub),
    loadSection(report, sub),
  ].filter((s) => s.length > 0);
  const body = sections.map((s) => s.join('\n')).join('\n\n');
  return `${body}\n\n<sub>agentcheck ${md(report.tool.version)} · report version ${report.version} · full details in report.json and report.html</sub>\n`;
}
