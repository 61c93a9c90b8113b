/** `gameday.md` (and the GitHub step summary): the verdict per experiment, steady vs during vs after, findings, rollback, trend. */
import { escapeMarkdown as md } from '../../report/escape.js';
import { formatInUnit } from '../../report/format.js';
import type { GameDayReport } from '../report-model.js';
import type { Trend } from '../trend.js';
import { VERDICT_MEANING, figuresLine, recoveryLine } from './text.js';

/** Renders the Markdown report. */
export function renderGameDayMarkdown(r: GameDayReport): string {
  const out: string[] = [];
  out.push(`# Game day: ${md(r.name)}`, '');
  out.push(`**Exit ${r.exitCode}**: ${md(r.summary)}  `);
  out.push(`**Resilience score: ${r.score.value === null ? 'n/a' : `${r.score.value} / 100`}** (${md(r.score.formula)})  `);
  out.push(`Started ${r.startedAt}, took ${(r.durationMs / 1000).toFixed(1)} s; team \`${md(r.team)}\``, '');
  out.push('| experiment | verdict | steady state | during | after | recovery |', '|---|---|---|---|---|---|');
  for (const e of r.experiments) {
    out.push(`| ${md(e.name)} | **${e.verdict}** | ${figuresLine(e.steady)} | ${figuresLine(e.during)} | ${figuresLine(e.after)} | ${md(e.recovery ? `${e.recovery.status}${e.recovery.recoveredAfterMs !== null ? ` after ${e.recovery.recoveredAfterMs} ms` : ''}` : '–')} |`);
  }
  for (const e of r.experiments) {
    out.push('', `## ${md(e.name)}: ${e.verdict}`, '', `${VERDICT_MEANING[e.verdict]}.${e.description ? ` ${md(e.description)}` : ''}`, '');
    for (const reason of e.reasons) out.push(`- ${md(reason)}`);
    const rec = recoveryLine(e);
    if (rec) out.push('', `Recovery: ${md(rec)}`);
    if (e.abortedBy) out.push('', `Aborted at ${e.abortedBy.atMs} ms: ${md(e.abortedBy.reason)}; faults gone at ${e.abortedBy.faultsRemovedAtMs} ms.`);
    if (e.budgets.length > 0) {
      out.push('', '| budget | scope | measured | status |', '|---|---|---|---|');
      for (const b of e.budgets) out.push(`| \`${md(b.expression)}\` | ${md(b.scope)} | ${formatInUnit(b.measured, b.unit)} | ${b.status} |`);
    }
    if (e.invariants.length > 0) {
      out.push('', '| invariant | when | status | finding |', '|---|---|---|---|');
      for (const i of e.invariants) out.push(`| ${md(i.name)} | ${md(i.when)} | ${i.status} | ${md(i.finding ?? '')} |`);
    }
    if (e.sweep) {
      const s = e.sweep;
      out.push('', `Trigger sweep of \`${md(s.attribute)}\` (${md(s.type)} on ${md(s.edge)}, phase ${md(s.phase)}):`, '');
      out.push(`| duration \\ ${md(s.attribute)} | ${s.magnitudes.join(' | ')} |`, `|---|${s.magnitudes.map(() => '---').join('|')}|`);
      for (const d of s.durationsMs) {
        const cells = s.magnitudes.map((m) => s.cells.find((c) => c.magnitude === m && c.faultDurationMs === d));
        out.push(`| ${d} ms | ${cells.map((c) => (c ? `${c.recovery?.status ?? c.verdict}` : 'not run')).join(' | ')} |`);
      }
    }
    if (e.rollback.length > 0) {
      out.push('', 'Rollback:');
      for (const s of e.rollback) out.push(`- ${s.status === 'ok' ? 'ok' : '**failed**'} \`${md(s.name)}\` (${s.durationMs} ms)${s.reason ? `: ${md(s.reason)}` : ''}`);
    }
    if (e.toxicsLeft.length > 0) out.push('', `Toxics found on the proxies after the run (removed): ${e.toxicsLeft.map(md).join(', ')}`);
    if (e.findings.length > 0) out.push('', `Findings: ${e.findings.map((f) => `\`${md(f)}\``).join(', ')}`);
  }
  if (r.trend) out.push('', ...trendMarkdown(r.trend));
  return `${out.join('\n')}\n`;
}

/** The trend section. */
export function trendMarkdown(t: Trend): string[] {
  const out = ['## Trend', '', `Compared with ${md(t.previous.dir)} (${t.previous.startedAt}).`, ''];
  out.push(`Score: ${t.score.before ?? 'n/a'} → ${t.score.after ?? 'n/a'}${t.score.delta !== null ? ` (${t.score.delta >= 0 ? '+' : ''}${t.score.delta})` : ''}`, '');
  out.push(`New findings: ${t.newFindings.length === 0 ? 'none' : t.newFindings.map((f) => `${md(f.experiment)}: \`${md(f.finding)}\``).join(', ')}  `);
  out.push(`Fixed findings: ${t.fixedFindings.length === 0 ? 'none' : t.fixedFindings.map((f) => `${md(f.experiment)}: \`${md(f.finding)}\``).join(', ')}`);
  const moved = t.budgets.filter((b) => b.change !== 'same');
  if (moved.length > 0) {
    out.push('', '| experiment | budget | scope | before | after | change |', '|---|---|---|---|---|---|');
    for (const b of moved) out.push(`| ${md(b.experiment)} | \`${md(b.expression)}\` | ${md(b.scope)} | ${formatInUnit(b.before, b.unit)} | ${formatInUnit(b.after, b.unit)} | ${b.change} |`);
  }
  return out;
}
