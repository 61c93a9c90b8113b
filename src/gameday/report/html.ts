/**
 * `gameday.html`: self-contained (no script, no fetch; the run report's stylesheet and charts).
 * Per experiment: the verdict, a timeline of workflow p99 and goodput with the fault windows
 * shaded and the abort mark as a band, steady state vs during vs after, budgets, invariants,
 * rollback; then the trend.
 */
import { renderTimeChart, type ChartBand } from '../../report/chart.js';
import { escapeHtml as esc } from '../../report/escape.js';
import { formatInUnit, formatMs, formatRate } from '../../report/format.js';
import { REPORT_STYLE } from '../../report/html.js';
import type { Figures } from '../recovery.js';
import type { ExperimentReport, GameDayReport } from '../report-model.js';
import { VERDICT_MEANING } from './text.js';

const PAGE_STYLE = `${REPORT_STYLE}
.x-completed{background:var(--pass)}.x-deviated,.x-aborted{background:var(--fail)}.x-error{background:var(--error)}.x-invalid{background:var(--invalid)}.x-interrupted{background:var(--aborted)}
svg .line.good{stroke:var(--pass)}svg .dot.good{fill:var(--pass)}.key i.good{background:var(--pass)}
`;

function verdictPill(v: string): string {
  return `<span class="pill x-${v}">${esc(v.toUpperCase())}</span>`;
}

function figuresCells(f: Figures | undefined): string {
  if (!f) return '<td class="num">–</td><td class="num">–</td><td class="num">–</td>';
  return `<td class="num">${esc(formatRate(f.goodput))}</td><td class="num">${esc(formatMs(f.p99Ms))}</td><td class="num">${f.errors} / ${f.requests}</td>`;
}

function timelineFigure(e: ExperimentReport): string {
  if (e.timeline.length === 0) return '<div class="empty">No timeline: the experiment recorded no workflows.</div>';
  const bucket = e.timeline.length > 1 ? e.timeline[1]!.tMs - e.timeline[0]!.tMs : 1000;
  const mid = (t: number) => t + bucket / 2;
  const xMaxMs = Math.max(...e.phases.map((p) => p.endMs), e.timeline[e.timeline.length - 1]!.tMs + bucket);
  const phases: ChartBand[] = e.phases.map((p) => ({ label: p.name, startMs: p.startMs, endMs: p.endMs }));
  const faults = [...e.faultWindows, ...(e.abortedBy ? [{ startMs: e.abortedBy.atMs, endMs: Math.max(e.abortedBy.faultsRemovedAtMs, e.abortedBy.atMs + bucket / 4), label: 'ABORT' }] : [])];
  const p99 = renderTimeChart({
    title: `${e.name}: workflow p99 over time`,
    series: [{ name: 'p99', className: 'p99', points: e.timeline.map((p) => [mid(p.tMs), p.p99]) }],
    xMaxMs,
    formatY: (v) => formatMs(v),
    minYMax: 1,
    faults,
    phases,
    height: 200,
  });
  const goodput = renderTimeChart({
    title: `${e.name}: goodput over time`,
    series: [{ name: 'goodput', className: 'good', points: e.timeline.map((p) => [mid(p.tMs), ((p.requests - p.errors) * 1000) / bucket]) }],
    xMaxMs,
    formatY: (v) => `${v.toFixed(0)}/s`,
    minYMax: 1,
    faults,
    phases,
    height: 160,
  });
  return `<figure><figcaption><b>Workflow p99</b><span class="key"><i class="p99"></i>p99</span><span class="key"><i class="fault"></i>fault window${e.abortedBy ? ' / ABORT' : ''}</span></figcaption>${p99}</figure>
<figure><figcaption><b>Goodput</b><span class="key"><i class="good"></i>successful workflows per second</span></figcaption>${goodput}</figure>`;
}

function experimentSection(e: ExperimentReport): string {
  const reasons = e.reasons.map((r) => `<li>${esc(r)}</li>`).join('');
  const budgets = e.budgets.length
    ? `<div class="table-wrap"><table><tr><th>budget</th><th>scope</th><th class="num">measured</th><th>status</th></tr>${e.budgets.map((b) => `<tr class="row-${b.status}"><td><code>${esc(b.expression)}</code></td><td>${esc(b.scope)}</td><td class="num">${esc(formatInUnit(b.measured, b.unit))}</td><td>${esc(b.status)}</td></tr>`).join('')}</table></div>`
    : '';
  const invariants = e.invariants.length
    ? `<div class="table-wrap"><table><tr><th>invariant</th><th>when</th><th>status</th><th>finding</th></tr>${e.invariants.map((i) => `<tr class="row-${i.status}"><td>${esc(i.name)}</td><td>${esc(i.when)}</td><td>${esc(i.status)}</td><td>${esc(i.finding ?? '')}</td></tr>`).join('')}</table></div>`
    : '';
  const rollback = e.rollback.length
    ? `<h3>Rollback</h3><ul>${e.rollback.map((s) => `<li>${s.status === 'ok' ? 'ok' : '<b>failed</b>'} <code>${esc(s.name)}</code> (${s.durationMs} ms)${s.reason ? `: ${esc(s.reason)}` : ''}</li>`).join('')}</ul>`
    : '';
  const sweep = e.sweep
    ? `<h3>Trigger sweep: ${esc(e.sweep.attribute)} of ${esc(e.sweep.type)} on ${esc(e.sweep.edge)}</h3><div class="table-wrap"><table><tr><th>duration \\ ${esc(e.sweep.attribute)}</th>${e.sweep.magnitudes.map((m) => `<th class="num">${m}</th>`).join('')}</tr>${e.sweep.durationsMs
        .map((d) => `<tr><td>${d} ms</td>${e.sweep!.magnitudes.map((m) => {
          const c = e.sweep!.cells.find((x) => x.magnitude === m && x.faultDurationMs === d);
          const s = c ? (c.recovery?.status ?? c.verdict) : 'not run';
          return `<td class="num row-${s === 'pass' ? 'pass' : 'fail'}">${esc(s)}</td>`;
        }).join('')}</tr>`)
        .join('')}</table></div>`
    : '';
  return `<h2>${esc(e.name)} ${verdictPill(e.verdict)}</h2>
<p class="muted">${esc(VERDICT_MEANING[e.verdict])}${e.description ? ` · ${esc(e.description)}` : ''}</p>
<ul>${reasons}</ul>
<div class="table-wrap"><table><tr><th></th><th class="num">goodput</th><th class="num">p99</th><th class="num">failed / workflows</th></tr>
<tr><td>steady state</td>${figuresCells(e.steady)}</tr><tr><td>during the method</td>${figuresCells(e.during)}</tr><tr><td>after</td>${figuresCells(e.after)}</tr></table></div>
${timelineFigure(e)}
${budgets}${invariants}${sweep}${rollback}`;
}

/** Renders the HTML report. */
export function renderGameDayHtml(r: GameDayReport): string {
  const trend = r.trend
    ? `<h2>Trend</h2><p>Compared with <code>${esc(r.trend.previous.dir)}</code>: score ${r.trend.score.before ?? 'n/a'} → ${r.trend.score.after ?? 'n/a'}.</p>
<p>New findings: ${r.trend.newFindings.map((f) => `${esc(f.experiment)}: <code>${esc(f.finding)}</code>`).join(', ') || 'none'}</p>
<p>Fixed findings: ${r.trend.fixedFindings.map((f) => `${esc(f.experiment)}: <code>${esc(f.finding)}</code>`).join(', ') || 'none'}</p>
<div class="table-wrap"><table><tr><th>experiment</th><th>budget</th><th>scope</th><th class="num">before</th><th class="num">after</th><th>change</th></tr>${r.trend.budgets
        .map((b) => `<tr><td>${esc(b.experiment)}</td><td><code>${esc(b.expression)}</code></td><td>${esc(b.scope)}</td><td class="num">${esc(formatInUnit(b.before, b.unit))}</td><td class="num">${esc(formatInUnit(b.after, b.unit))}</td><td>${esc(b.change)}</td></tr>`)
        .join('')}</table></div>`
    : '';
  const rows = r.experiments.map((e) => `<tr><td>${esc(e.name)}</td><td>${verdictPill(e.verdict)}</td><td class="num">${e.weight}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Game day ${esc(r.name)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>Game day: ${esc(r.name)}</h1>
<div class="meta"><span><b>exit</b> ${r.exitCode}: ${esc(r.summary)}</span><span><b>score</b> ${r.score.value ?? 'n/a'} / 100</span><span><b>started</b> ${esc(r.startedAt)}</span><span><b>team</b> ${esc(r.team)}</span></div>
<p class="muted">${esc(r.score.formula)}</p>
<div class="table-wrap"><table><tr><th>experiment</th><th>verdict</th><th class="num">weight</th></tr>${rows}</table></div>
${r.experiments.map(experimentSection).join('\n')}
${trend}
<footer>Generated by agentcheck ${esc(r.tool.version)} · game-day report version ${r.version} · every figure is also in gameday.json, every action in journal.ndjson</footer>
</main>
</body>
</html>
`;
}
