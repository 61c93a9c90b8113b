/** `junit.xml`: one test case per experiment; deviated and aborted are failures, error and invalid are errors, interrupted is skipped. */
import { escapeXmlAttr as attr, escapeXmlText as text } from '../../report/escape.js';
import type { GameDayReport } from '../report-model.js';

/** Renders the JUnit report. */
export function renderGameDayJUnit(r: GameDayReport): string {
  const count = (...v: string[]) => r.experiments.filter((e) => v.includes(e.verdict)).length;
  const cases = r.experiments.map((e) => {
    const body = e.reasons.join('\n');
    const inner =
      e.verdict === 'deviated' || e.verdict === 'aborted'
        ? `<failure message="${attr(`${e.verdict}: ${e.reasons[0] ?? ''}`)}" type="${e.verdict}">${text(body)}</failure>`
        : e.verdict === 'error' || e.verdict === 'invalid'
          ? `<error message="${attr(`${e.verdict}: ${e.reasons[0] ?? ''}`)}" type="${e.verdict}">${text(body)}</error>`
          : e.verdict === 'interrupted'
            ? `<skipped message="${attr(e.reasons[0] ?? 'interrupted')}"/>`
            : '';
    const out = e.rollback.map((s) => `rollback ${s.status}: ${s.name}${s.reason ? `: ${s.reason}` : ''}`).join('\n');
    return `    <testcase classname="${attr(`gameday.${r.name}`)}" name="${attr(e.name)}" time="${(e.durationMs / 1000).toFixed(3)}">${inner}${out ? `<system-out>${text(out)}</system-out>` : ''}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${attr(`agentcheck gameday ${r.name}`)}" tests="${r.experiments.length}" failures="${count('deviated', 'aborted')}" errors="${count('error', 'invalid')}" skipped="${count('interrupted')}" time="${(r.durationMs / 1000).toFixed(3)}">
  <testsuite name="${attr(r.name)}" tests="${r.experiments.length}" failures="${count('deviated', 'aborted')}" errors="${count('error', 'invalid')}" skipped="${count('interrupted')}" timestamp="${attr(r.startedAt)}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}
