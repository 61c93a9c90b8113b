/**
 * report.html: one self-contained page a person opens after a run. Inline CSS and inline SVG only: no
 * script, font, image or stylesheet is fetched (a Content-Security-Policy forbids it too), so it opens
 * from a CI artifact, offline, and prints cleanly. All user text goes through {@link escapeHtml}.
 */
import { bucketWidthMs, downsampleTimeline, renderTimeChart, type ChartBand } from './chart.js';
import { escapeHtml as esc } from './escape.js';
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
  statusLabel,
  verdictMeaning,
} from './format.js';
import { loadFigures } from './load-figures.js';
import type { CheckStatus, RunReport, TimePoint } from './model.js';
import { ALL_PHASES, errorClasses, outcomeTable } from './workflows.js';

/** Options of {@link renderHtml}. */
export interface HtmlOptions {
  /** Most rows per table before the rest is summarised in one line (default 500). */
  maxRows?: number;
}

/** Longest `details` JSON shown inline; the rest is in report.json. */
const MAX_DETAILS_CHARS = 4_000;

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--invalid:#bc4c00;--skip:#6e7781;--error:#8250df;--aborted:#57606a;--p50:#0969da;--p99:#8250df;--err:#cf222e;--fault:#d4a72c}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#fff;color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 24px 48px}
h1{font-size:22px;margin:0;line-height:1.3;overflow-wrap:anywhere}
h2{font-size:17px;margin:32px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:18px 0 6px;color:var(--muted);font-weight:600}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.banner{border-radius:10px;padding:18px 20px;color:#fff;display:grid;grid-template-columns:auto 1fr;gap:6px 18px;align-items:center}
.banner .verdict{font-size:26px;font-weight:800;letter-spacing:.04em;padding:6px 14px;border:2px solid rgba(255,255,255,.7);border-radius:8px;align-self:start}
.banner .meaning{opacity:.92;font-size:13px}
.banner ul{grid-column:1/-1;margin:8px 0 0;padding-left:20px}
.banner li{margin:2px 0;overflow-wrap:anywhere}
.banner li:first-child{font-weight:600}
.v-pass{background:var(--pass)}.v-fail{background:var(--fail)}.v-invalid{background:var(--invalid)}.v-error{background:var(--error)}.v-aborted{background:var(--aborted)}
.meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:14px 2px 0;color:var(--muted);font-size:13px}
.meta b{color:var(--fg);font-weight:600}
.meta span{word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-top:18px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--soft)}
.card .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .v small{font-size:13px;font-weight:500;color:var(--muted)}
.notice{border-left:4px solid var(--aborted);background:var(--soft);padding:10px 14px;margin-top:16px;border-radius:4px}
figure{margin:0 0 8px;border:1px solid var(--line);border-radius:8px;padding:10px 12px 4px}
figcaption{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;font-size:13px;color:var(--muted);margin-bottom:4px}
figcaption b{color:var(--fg);margin-right:auto}
.key{display:inline-flex;align-items:center;gap:6px}
.key i{display:inline-block;width:18px;height:3px;border-radius:2px}
.key i.fault{height:12px;width:14px;background:rgba(212,167,44,.25);border:1px dashed var(--fault)}
.key i.p50{background:var(--p50)}.key i.p99{background:var(--p99)}.key i.err{background:var(--err)}
svg.chart{width:100%;height:auto;display:block;font-size:11px}
svg .grid{stroke:#eaeef2;stroke-width:1}
svg .axis{stroke:#8c959f;stroke-width:1}
svg .tick-mark{stroke:#8c959f}
svg .tick{fill:var(--muted)}
svg .tick.y{text-anchor:end}
svg .tick.x{text-anchor:middle}
svg .fault{fill:rgba(212,167,44,.16)}
svg .fault-edge{stroke:var(--fault);stroke-width:1;stroke-dasharray:3 3}
svg .fault-label{fill:#7d4e00;font-weight:600}
svg .phase-band{fill:#eef1f4}
svg .phase-band.odd{fill:#e3e8ed}
svg .phase-label{fill:var(--fg);font-weight:500}
svg .phase-line{stroke:#afb8c1;stroke-width:1;stroke-dasharray:2 4}
svg .line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
svg .line.p50{stroke:var(--p50)}svg .line.p99{stroke:var(--p99)}svg .line.err{stroke:var(--err);stroke-width:1.5}
svg .dot.p50{fill:var(--p50)}svg .dot.p99{fill:var(--p99)}svg .dot.err{fill:var(--err)}
svg .area.err{fill:rgba(207,34,46,.14)}
svg .hover{fill:transparent;stroke:none}
svg .hover:hover{fill:rgba(31,35,40,.35)}
.empty{color:var(--muted);font-style:italic;padding:18px;text-align:center;border:1px dashed var(--line);border-radius:8px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top;text-align:left}
th{background:var(--soft);font-weight:600;white-space:nowrap;border-top:1px solid var(--line)}
td{overflow-wrap:break-word}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.row-fail td,tr.row-invalid td{background:#fff5f5}
tr.row-warn td{background:#fffbea}
.pill{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.03em;padding:1px 8px;border-radius:999px;color:#fff;white-space:nowrap}
.s-pass{background:var(--pass)}.s-fail{background:var(--fail)}.s-warn{background:var(--warn)}.s-invalid{background:var(--invalid)}.s-skipped{background:var(--skip)}
.fault-tag{display:inline-block;background:rgba(212,167,44,.18);border:1px solid rgba(212,167,44,.6);border-radius:4px;padding:0 6px;margin:1px 4px 1px 0;font-size:12px}
.muted{color:var(--muted)}
details summary{cursor:pointer;color:var(--muted);font-size:12px}
details pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px;overflow-x:auto;max-height:320px;white-space:pre-wrap;word-break:break-word}
.more{color:var(--muted);font-style:italic;margin:6px 2px}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:10px}
@media print{
  body{font-size:11px}
  main{max-width:none;padding:0}
  .banner,.pill,.key i,svg,tr.row-fail td,tr.row-warn td,tr.row-invalid td,.fault-tag{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  figure,.card,tr{break-inside:avoid}
  h2{break-after:avoid}
  .table-wrap{overflow:visible}
}
`;

/** The report page's stylesheet, for other self-contained pages (game-day reports) to reuse. */
export const REPORT_STYLE = STYLE;

function pill(s: CheckStatus): string {
  return `<span class="pill s-${s}">${statusLabel(s)}</span>`;
}

function rowClass(s: CheckStatus): string {
  return s === 'fail' || s === 'invalid' || s === 'warn' ? ` class="row-${s}"` : '';
}

interface Column {
  head: string;
  num?: boolean;
}

function table(columns: Column[], rows: Array<{ cells: string[]; status?: CheckStatus }>, maxRows: number): string {
  const head = columns.map((c) => `<th${c.num ? ' class="num"' : ''}>${esc(c.head)}</th>`).join('');
  const body = rows
    .slice(0, maxRows)
    .map(
      (r) =>
        `<tr${r.status ? rowClass(r.status) : ''}>${r.cells.map((cell, i) => `<td${columns[i]?.num ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const more = rows.length > maxRows ? `<p class="more">… ${rows.length - maxRows} more rows in report.json</p>` : '';
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${more}`;
}

function detailsBlock(details: unknown): string {
  if (details === undefined || details === null) return '';
  let s: string;
  try {
    s = typeof details === 'string' ? details : (JSON.stringify(details, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? '');
  } catch {
    s = String(details);
  }
  if (s === '' || s === '{}' || s === '[]') return '';
  if (s.length > MAX_DETAILS_CHARS) s = `${s.slice(0, MAX_DETAILS_CHARS)}\n… (truncated; see report.json)`;
  return `<details><summary>details</summary><pre>${esc(s)}</pre></details>`;
}

function banner(report: RunReport): string {
  const reasons = report.reasons.length > 0 ? report.reasons : [verdictMeaning(report.verdict)];
  return `<header class="banner v-${report.verdict}">
<div class="verdict">${esc(report.verdict.toUpperCase())}</div>
<div><h1>${esc(report.title)}</h1><div class="meaning">agentcheck ${esc(report.kind)} · ${esc(verdictMeaning(report.verdict))}</div></div>
<ul>${reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>
</header>`;
}

function metaLine(report: RunReport): string {
  const items: Array<[string, string]> = [
    ['started', report.startedAt],
    ['duration', formatMs(report.durationMs)],
  ];
  if (report.source !== undefined) items.push(['source', report.source]);
  if (report.seed !== undefined) items.push(['seed', report.seed]);
  return `<div class="meta">${items.map(([k, v]) => `<span>${esc(k)} <b class="mono">${esc(v)}</b></span>`).join('')}</div>`;
}

function totals(report: RunReport): { requests: number; errors: number } {
  // Phases are the authoritative per-phase counts; the timeline is the fallback for a run with none.
  const src = report.phases.length > 0 ? report.phases : report.timeline;
  let requests = 0;
  let errors = 0;
  for (const p of src) {
    requests += p.requests;
    errors += p.errors;
  }
  return { requests, errors };
}

function cards(report: RunReport): string {
  const c = countChecks(report);
  const t = totals(report);
  let peak: number | null = null;
  for (const p of report.timeline) if (p.p99 !== null && (peak === null || p.p99 > peak)) peak = p.p99;
  for (const p of report.phases) if (p.latency && (peak === null || p.latency.p99 > peak)) peak = p.latency.p99;
  const card = (k: string, v: string, title?: string) =>
    `<div class="card"${title ? ` title="${esc(title)}"` : ''}><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`;
  return `<section class="cards">
${card('Checks passed', `${c.pass}<small> of ${c.total}${c.warn > 0 ? ` · ${c.warn} warned` : ''}</small>`, `${checkCountLine(c)} (${checkKindsLine(c)})`)}
${card(report.workflows ? 'Workflows' : 'Requests', esc(formatCount(t.requests)))}
${card('Error rate', esc(formatRatio(errorRatio(t.errors, t.requests))))}
${card('Worst p99', esc(formatMs(peak)))}
${card('Duration', esc(formatMs(report.durationMs)))}
</section>`;
}

/** Drops what cannot be plotted (a point with no valid time) and maps other bad figures to "no data". */
function cleanTimeline(timeline: RunReport['timeline']): RunReport['timeline'] {
  const count = (v: number): number => (Number.isFinite(v) && v > 0 ? v : 0);
  const value = (v: number | null): number | null => (v !== null && Number.isFinite(v) && v >= 0 ? v : null);
  return timeline
    .filter((p) => Number.isFinite(p.tMs) && p.tMs >= 0)
    .map((p) => ({ tMs: p.tMs, requests: count(p.requests), errors: Math.min(count(p.errors), count(p.requests)), p50: value(p.p50), p99: value(p.p99) }))
    .sort((a, b) => a.tMs - b.tMs);
}

/** Most per-edge latency charts drawn; the other edges' figures are in the Edges table. */
const MAX_EDGE_CHARTS = 12;

interface ChartFrame {
  xMaxMs: number;
  bucket: number;
  phases: ChartBand[];
  faults: RunReport['faultWindows'];
  faultKey: string;
}

/** A p50/p99 latency figure over `timeline` (already cleaned), or an "empty" note. */
function latencyFigure(frame: ChartFrame, heading: string, timeline: TimePoint[], note = '', height?: number): string {
  const mid = (t: number): number => t + frame.bucket / 2;
  const hasLatency = timeline.some((p) => p.p50 !== null || p.p99 !== null);
  const chart = hasLatency
    ? renderTimeChart({
        title: `${heading} over time (p50 and p99)`,
        series: [
          { name: 'p50', className: 'p50', points: timeline.map((p) => [mid(p.tMs), p.p50]) },
          { name: 'p99', className: 'p99', points: timeline.map((p) => [mid(p.tMs), p.p99]) },
        ],
        xMaxMs: frame.xMaxMs,
        formatY: (v) => formatMs(v),
        minYMax: 1,
        faults: frame.faults,
        phases: frame.phases,
        ...(height !== undefined ? { height } : {}),
      })
    : '<div class="empty">No latency samples in any time bucket.</div>';
  const noteSpan = note ? `<span class="muted">${esc(note)}</span>` : '';
  return `<figure><figcaption><b>${esc(heading)}</b><span class="key"><i class="p50"></i>p50</span><span class="key"><i class="p99"></i>p99</span>${frame.faultKey}${noteSpan}<span>bucket ${esc(formatMs(frame.bucket))}</span></figcaption>
${chart}
</figure>`;
}

function chartsSection(report: RunReport): string {
  const timeline = downsampleTimeline(cleanTimeline(report.timeline));
  if (timeline.length === 0) {
    return `<h2>Over time</h2><div class="empty">No timeline data: the run recorded no time buckets.</div>`;
  }
  const entry = downsampleTimeline(cleanTimeline(report.workflows?.entryTimeline ?? []));
  const edges = report.edges
    .map((e) => ({ edge: e.edge, timeline: downsampleTimeline(cleanTimeline(e.timeline ?? [])) }))
    .filter((e) => e.timeline.length > 0);
  const last = timeline[timeline.length - 1];
  const bucket = bucketWidthMs(timeline, report.durationMs - (last?.tMs ?? 0));
  const ends = [entry, ...edges.map((e) => e.timeline)].map((t) => (t[t.length - 1]?.tMs ?? 0) + bucket);
  const xMaxMs = Math.max(
    (last?.tMs ?? 0) + bucket,
    ...ends,
    ...[report.durationMs, ...report.faultWindows.map((w) => w.endMs), ...report.phases.map((p) => p.endMs)].filter((v) => Number.isFinite(v)),
  );
  const mid = (t: number): number => t + bucket / 2;
  const phases: ChartBand[] = report.phases.map((p) => ({ label: p.name, startMs: p.startMs, endMs: p.endMs }));
  const faultKey = report.faultWindows.length > 0 ? '<span class="key"><i class="fault"></i>fault window</span>' : '';
  const frame: ChartFrame = { xMaxMs, bucket, phases, faults: report.faultWindows, faultKey };
  const workflows = report.workflows !== undefined;
  const errors = renderTimeChart({
    title: workflows ? 'Workflow error rate over time' : 'Error rate over time',
    series: [{ name: 'error rate', className: 'err', area: true, points: timeline.map((p) => [mid(p.tMs), errorRatio(p.errors, p.requests)]) }],
    xMaxMs,
    formatY: (v) => formatRatio(v),
    minYMax: 0.01,
    faults: report.faultWindows,
    phases,
    height: 200,
  });
  const shown = edges.slice(0, MAX_EDGE_CHARTS);
  const edgeFigures = shown.map((e) => latencyFigure(frame, `Edge ${e.edge}`, e.timeline, 'one hop through the proxy', 160));
  const moreEdges = edges.length > shown.length ? `<p class="more">… ${edges.length - shown.length} more edges: see the Edges table and report.json</p>` : '';
  return `<h2>Over time</h2>
${latencyFigure(frame, workflows ? 'Workflow latency' : 'Latency', timeline, workflows ? 'intended start to terminal outcome' : '')}
<figure><figcaption><b>${workflows ? 'Workflow error rate' : 'Error rate'}</b><span class="key"><i class="err"></i>errors ÷ ${workflows ? 'workflows' : 'requests'}</span>${faultKey}<span class="muted">gaps: no ${workflows ? 'workflows' : 'requests'}</span></figcaption>
${errors}
</figure>
${entry.length > 0 ? latencyFigure(frame, 'Entry hop latency', entry, 'first request of each workflow (http.*)', 200) : ''}
${edgeFigures.length > 0 ? `<h3>Edges over time</h3>\n${edgeFigures.join('\n')}${moreEdges}` : ''}`;
}

function workflowsSection(report: RunReport, maxRows: number): string {
  const t = outcomeTable(report);
  if (t.rows.length === 0) return '';
  const latency = new Map((report.workflows?.latency ?? []).map((l) => [l.workflow, l.latency]));
  const rows = t.rows.map((r) => {
    const all = r.phase === ALL_PHASES;
    const lat = all ? latency.get(r.workflow) : undefined;
    const status: CheckStatus | undefined = r.errorShare > 0 ? 'warn' : undefined;
    return {
      ...(status ? { status } : {}),
      cells: [
        all ? `<b>${esc(r.workflow)}</b>` : esc(r.workflow),
        all ? `<b>${esc(r.phase)}</b>` : esc(r.phase),
        esc(formatCount(r.total)),
        ...r.counts.map((n) => (n > 0 ? esc(formatCount(n)) : `<span class="muted">${NO_DATA}</span>`)),
        esc(formatRatio(r.errorShare)),
        all ? esc(formatMs(lat?.p50)) : '',
        all ? esc(formatMs(lat?.p99)) : '',
      ],
    };
  });
  const columns = [
    { head: 'Workflow' },
    { head: 'Phase' },
    { head: 'Workflows', num: true },
    ...t.classes.map((c) => ({ head: c, num: true })),
    { head: 'Not completed', num: true },
    { head: 'p50', num: true },
    { head: 'p99', num: true },
  ];
  const errors = errorClasses(report.workflows?.outcomes ?? []);
  const errorTable =
    errors.length > 0
      ? `<h3>Error outcomes</h3>${table(
          [{ head: 'Class' }, { head: 'Method' }, { head: 'Workflow' }, { head: 'Count', num: true }, { head: 'Phases' }, { head: 'First message' }],
          errors.map((e) => ({
            cells: [
              `<code>${esc(e.class)}</code>`,
              e.method ? `<code>${esc(e.method)}</code>` : NO_DATA,
              esc(e.workflow),
              esc(formatCount(e.count)),
              esc(e.phases.join(', ')),
              e.message ? esc(e.message) : '',
            ],
          })),
          maxRows,
        )}`
      : '';
  return `<h2>Workflow outcomes</h2>${table(columns, rows, maxRows)}${errorTable}`;
}

function budgetsSection(report: RunReport, maxRows: number): string {
  if (report.budgets.length === 0) return '';
  const rows = report.budgets.map((b) => {
    const burn =
      b.burnRate === undefined && b.maxWindowBurnRate === undefined
        ? NO_DATA
        : `${esc(formatBurn(b.burnRate))}${b.maxWindowBurnRate !== undefined ? `<br><span class="muted">max window ${esc(formatBurn(b.maxWindowBurnRate))}</span>` : ''}`;
    return {
      status: b.status,
      cells: [
        pill(b.status),
        `<code>${esc(b.expression)}</code><br><span class="muted mono">${esc(b.metric)}</span>`,
        esc(b.scope),
        esc(formatInUnit(b.measured, b.unit)),
        esc(formatInUnit(b.objective, b.unit)),
        esc(formatCount(b.samples)),
        burn,
        b.reason ? esc(b.reason) : '',
      ],
    };
  });
  return `<h2>Budgets</h2>${table(
    [
      { head: 'Status' },
      { head: 'Budget' },
      { head: 'Scope' },
      { head: 'Measured', num: true },
      { head: 'Objective', num: true },
      { head: 'Samples', num: true },
      { head: 'Burn rate', num: true },
      { head: 'Reason' },
    ],
    rows,
    maxRows,
  )}`;
}

function invariantsSection(report: RunReport, maxRows: number): string {
  if (report.invariants.length === 0) return '';
  const rows = report.invariants.map((i) => ({
    status: i.status,
    cells: [pill(i.status), esc(i.name), esc(i.kind), esc(i.when), `${i.finding ? esc(i.finding) : ''}${detailsBlock(i.details)}`],
  }));
  return `<h2>Invariants</h2>${table([{ head: 'Status' }, { head: 'Invariant' }, { head: 'Kind' }, { head: 'When' }, { head: 'Finding' }], rows, maxRows)}`;
}

function phasesSection(report: RunReport, maxRows: number): string {
  if (report.phases.length === 0) return '';
  const rows = report.phases.map((p) => ({
    cells: [
      esc(p.name),
      esc(formatMs(p.startMs)),
      esc(formatMs(p.endMs - p.startMs)),
      esc(formatCount(p.requests)),
      esc(formatCount(p.errors)),
      esc(formatCount(p.timeouts)),
      esc(formatRatio(errorRatio(p.errors, p.requests))),
      esc(formatMs(p.latency?.p50)),
      esc(formatMs(p.latency?.p99)),
      esc(formatRate(p.throughput)),
      p.faults.length > 0 ? p.faults.map((f) => `<span class="fault-tag">${esc(faultLabel(f))}</span>`).join('') : `<span class="muted">${NO_DATA}</span>`,
    ],
  }));
  return `<h2>Phases</h2>${table(
    [
      { head: 'Phase' },
      { head: 'Start', num: true },
      { head: 'Duration', num: true },
      // With workflows, a phase's figures are the workflows' (start to terminal outcome).
      { head: report.workflows ? 'Workflows' : 'Requests', num: true },
      { head: 'Errors', num: true },
      { head: 'Timeouts', num: true },
      { head: 'Error rate', num: true },
      { head: 'p50', num: true },
      { head: 'p99', num: true },
      { head: 'Throughput', num: true },
      { head: 'Faults' },
    ],
    rows,
    maxRows,
  )}`;
}

function edgesSection(report: RunReport, maxRows: number): string {
  if (report.edges.length === 0) return '';
  const rows = report.edges.map((e) => {
    const fired = Object.entries(e.faultsFired).filter(([, v]) => v > 0);
    return {
      cells: [
        `<code>${esc(e.edge)}</code>`,
        esc(e.protocol),
        esc(formatCount(e.requests)),
        esc(formatCount(e.errors)),
        esc(formatRatio(errorRatio(e.errors, e.requests))),
        esc(formatMs(e.latency?.p50)),
        esc(formatMs(e.latency?.p99)),
        esc(formatRatio(e.traceparentPropagated)),
        fired.length > 0 ? fired.map(([k, v]) => `<span class="fault-tag">${esc(k)} ×${esc(formatCount(v))}</span>`).join('') : `<span class="muted">${NO_DATA}</span>`,
        esc(formatRatio(e.slowShare)),
      ],
    };
  });
  return `<h2>Edges</h2>${table(
    [
      { head: 'Edge' },
      { head: 'Protocol' },
      { head: 'Requests', num: true },
      { head: 'Errors', num: true },
      { head: 'Error rate', num: true },
      { head: 'p50', num: true },
      { head: 'p99', num: true },
      { head: 'traceparent', num: true },
      { head: 'Faults fired' },
      { head: 'Slow share', num: true },
    ],
    rows,
    maxRows,
  )}`;
}

/** Per-subject figures of the nats edges (messages, drops, duplicates, redeliveries, lost acks, consumer lag). */
function subjectsSection(report: RunReport, maxRows: number): string {
  const rows = report.edges.flatMap((e) =>
    (e.subjects ?? []).map((s) => ({
      cells: [
        `<code>${esc(e.edge)}</code>`,
        `<code>${esc(s.subject)}</code>`,
        ...[s.published, s.delivered, s.dropped, s.duplicated, s.redeliveries, s.acks, s.acksDropped].map((n) => esc(formatCount(n))),
        s.maxPending === null ? `<span class="muted">${NO_DATA}</span>` : esc(formatCount(s.maxPending)),
      ],
    })),
  );
  if (rows.length === 0) return '';
  const heads = ['Published', 'Delivered', 'Dropped', 'Duplicated', 'Redeliveries', 'Acks', 'Acks dropped', 'Max pending'];
  return `<h2>Subjects</h2>${table([{ head: 'Edge' }, { head: 'Subject' }, ...heads.map((head) => ({ head, num: true }))], rows, maxRows)}`;
}

function agentsSection(report: RunReport, maxRows: number): string {
  if (report.agents.length === 0) return '';
  const rows = report.agents.map((a) => {
    const s = agentStatus(a);
    return {
      status: s,
      cells: [
        `<span class="pill s-${s}">${esc(a.status.toUpperCase())}</span>`,
        esc(a.name),
        esc(a.runtime),
        a.url ? `<code>${esc(a.url)}</code>` : NO_DATA,
        esc(formatMs(a.readyMs)),
        a.log ? `<code>${esc(a.log)}</code>` : NO_DATA,
        a.error ? esc(a.error) : '',
      ],
    };
  });
  return `<h2>Agents</h2>${table(
    [{ head: 'Status' }, { head: 'Agent' }, { head: 'Runtime' }, { head: 'URL' }, { head: 'Ready after', num: true }, { head: 'Log' }, { head: 'Error' }],
    rows,
    maxRows,
  )}`;
}

function checksSection(report: RunReport, maxRows: number): string {
  if (report.checks.length === 0) return '';
  // Failures first so a capped table never hides the rows that matter.
  const order: Record<CheckStatus, number> = { fail: 0, invalid: 1, warn: 2, skipped: 3, pass: 4 };
  const rows = [...report.checks]
    .sort((a, b) => order[a.status] - order[b.status])
    .map((c) => ({
      status: c.status,
      cells: [pill(c.status), esc(c.suite), esc(c.name), `${c.message ? esc(c.message) : ''}${detailsBlock(c.details)}`],
    }));
  return `<h2>Checks</h2>${table([{ head: 'Status' }, { head: 'Suite' }, { head: 'Check' }, { head: 'Message' }], rows, maxRows)}`;
}

function loadSection(report: RunReport): string {
  if (!report.load || Object.keys(report.load).length === 0) return '';
  const rows = loadFigures(report.load).map((f) => ({ cells: [esc(f.label), `<span class="mono">${esc(f.value)}</span>`] }));
  return `<h2>Load generator</h2>${table([{ head: 'Figure' }, { head: 'Value' }], rows, Number.MAX_SAFE_INTEGER)}`;
}

function abortedNotice(report: RunReport): string {
  if (!report.aborted) return '';
  const by = report.aborted.signal ? ` by <b>${esc(report.aborted.signal)}</b>` : '';
  return `<div class="notice">This run was aborted${by}: ${esc(report.aborted.reason)}. The figures cover the run until then.</div>`;
}

/**
 * Renders report.html: verdict banner, charts (workflow latency p50/p99 and error rate, the entry
 * hop and each edge's latency, fault windows shaded), then the tables.
 */
export function renderHtml(report: RunReport, options: HtmlOptions = {}): string {
  const maxRows = Math.max(1, options.maxRows ?? 500);
  const title = `agentcheck: ${report.verdict.toUpperCase()} — ${report.title}`;
  const body = [
    banner(report),
    metaLine(report),
    abortedNotice(report),
    cards(report),
    chartsSection(report),
    workflowsSection(report, maxRows),
    budgetsSection(report, maxRows),
    invariantsSection(report, maxRows),
    phasesSection(report, maxRows),
    edgesSection(report, maxRows),
    subjectsSection(report, maxRows),
    agentsSection(report, maxRows),
    checksSection(report, maxRows),
    loadSection(report),
  ]
    .filter(Boolean)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="agentcheck ${esc(report.tool.version)}">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
<footer>Generated by agentcheck ${esc(report.tool.version)} · report version ${report.version} · every figure is also in report.json</footer>
</main>
</body>
</html>
`;
}
