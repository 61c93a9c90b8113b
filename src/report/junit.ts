/**
 * junit.xml: one `<testsuite>` per kind of check so CI test tabs group them. Test cases: the run's
 * verdict (so an aborted or invalid run is never green), one per agent start, per budget (each phase
 * scope is its own case), per invariant, per generic check. A failure carries the reason; an invalid
 * check is a `<failure type="invalid">`, never a pass; a skipped check is `<skipped/>`; a warning passes
 * with the warning in `<system-out>`.
 */
import { escapeXmlAttr as attr, escapeXmlText as text } from './escape.js';
import { checkCountLine, countChecks } from './checks.js';
import { budgetLabel, formatBurn, formatInUnit, formatMs } from './format.js';
import type { CheckStatus, RunReport } from './model.js';

/** Longest `details` JSON copied into a failure body; the rest is in report.json. */
const MAX_DETAILS_CHARS = 8_000;

interface Outcome {
  kind: 'pass' | 'failure' | 'error' | 'skipped';
  /** `type` attribute of `<failure>`/`<error>`. */
  type?: string;
  message?: string;
  body?: string;
  /** Printed as `<system-out>` (warnings on passing cases). */
  out?: string;
}

interface Case {
  name: string;
  seconds: number;
  outcome: Outcome;
}

interface Suite {
  name: string;
  cases: Case[];
  properties?: Array<[string, string]>;
}

function seconds(ms: number | undefined): number {
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

function formatSeconds(s: number): string {
  return s.toFixed(3);
}

function detailsText(details: unknown): string | undefined {
  if (details === undefined) return undefined;
  let s: string;
  try {
    s = typeof details === 'string' ? details : (JSON.stringify(details, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? '');
  } catch {
    s = String(details);
  }
  return s.length > MAX_DETAILS_CHARS ? `${s.slice(0, MAX_DETAILS_CHARS)}\n… (truncated; see report.json)` : s;
}

/** Maps a check status to its JUnit outcome; `failType` names what failed (`budget`, `invariant`, …). */
function outcomeFor(status: CheckStatus, failType: string, message: string, body?: string): Outcome {
  switch (status) {
    case 'pass':
      return { kind: 'pass' };
    case 'warn':
      return { kind: 'pass', out: `WARN: ${message}${body ? `\n${body}` : ''}` };
    case 'fail':
      return { kind: 'failure', type: failType, message, ...(body !== undefined ? { body } : {}) };
    case 'invalid':
      return { kind: 'failure', type: 'invalid', message, ...(body !== undefined ? { body } : {}) };
    case 'skipped':
      return { kind: 'skipped', message };
  }
}

function runSuite(report: RunReport): Suite {
  const reasons = report.reasons.length > 0 ? report.reasons : [`verdict: ${report.verdict}`];
  const headline = reasons[0] ?? report.verdict;
  const body = reasons.join('\n') + (report.aborted ? `\naborted${report.aborted.signal ? ` by ${report.aborted.signal}` : ''}: ${report.aborted.reason}` : '');
  let outcome: Outcome;
  switch (report.verdict) {
    case 'pass':
      outcome = { kind: 'pass' };
      break;
    case 'fail':
    case 'invalid':
    case 'aborted':
      outcome = { kind: 'failure', type: report.verdict, message: headline, body };
      break;
    case 'error':
      outcome = { kind: 'error', type: 'error', message: headline, body };
      break;
  }
  const properties: Array<[string, string]> = [
    ['agentcheck.version', report.tool.version],
    ['report.version', String(report.version)],
    ['kind', report.kind],
    ['verdict', report.verdict],
    ['startedAt', report.startedAt],
  ];
  if (report.source !== undefined) properties.push(['source', report.source]);
  if (report.seed !== undefined) properties.push(['seed', report.seed]);
  // The checks as every other report counts them (the verdict case below is the run, not a check).
  const counts = countChecks(report);
  properties.push(['checks', String(counts.total)], ['checks.summary', checkCountLine(counts)]);
  // Workflow outcomes are figures, not test cases (the budgets judge them): one property per class.
  for (const o of report.workflows?.outcomes ?? []) {
    const method = o.method !== undefined ? `[${o.method}]` : '';
    properties.push([`workflow.outcome:${o.phase}/${o.workflow}/${o.class}${method}`, String(o.count)]);
  }
  return { name: 'run', properties, cases: [{ name: `verdict: ${report.title}`, seconds: seconds(report.durationMs), outcome }] };
}

function agentSuite(report: RunReport): Suite {
  return {
    name: 'agents',
    cases: report.agents.map((a) => {
      const failed = a.status === 'failed' || a.status === 'crashed';
      const message = a.error ?? `agent ${a.name} ${a.status}`;
      const body = [
        `runtime: ${a.runtime}`,
        a.url ? `url: ${a.url}` : '',
        a.startMs !== undefined ? `started at: +${formatMs(a.startMs)}` : '',
        a.log ? `log: ${a.log}` : '',
      ]
        .filter(Boolean)
        .join('\n');
      return {
        name: `start ${a.name}`,
        seconds: seconds(a.readyMs),
        outcome: failed ? { kind: 'failure', type: `agent-${a.status}`, message, body } : { kind: 'pass' },
      };
    }),
  };
}

function budgetSuite(report: RunReport): Suite {
  return {
    name: 'budgets',
    cases: report.budgets.map((b) => {
      const measured = formatInUnit(b.measured, b.unit);
      const objective = formatInUnit(b.objective, b.unit);
      const figures = [
        `expression: ${b.expression}`,
        `metric: ${b.metric}`,
        `scope: ${b.scope}`,
        `measured: ${measured}`,
        `objective: ${objective}`,
        `samples: ${b.samples}`,
        ...(b.burnRate !== undefined ? [`burn rate: ${formatBurn(b.burnRate)}`] : []),
        ...(b.maxWindowBurnRate !== undefined ? [`max window burn rate: ${formatBurn(b.maxWindowBurnRate)}`] : []),
      ].join('\n');
      const message = b.reason ?? `${budgetLabel(b)}: measured ${measured} (objective ${objective}) over ${b.samples} samples`;
      return {
        name: `${budgetLabel(b)} [${b.scope}]`,
        seconds: 0,
        outcome: outcomeFor(b.status, 'budget', message, figures),
      };
    }),
  };
}

function invariantSuite(report: RunReport): Suite {
  return {
    name: 'invariants',
    cases: report.invariants.map((i) => ({
      name: `${i.name} (${i.kind}, ${i.when})`,
      seconds: 0,
      outcome: outcomeFor(i.status, 'invariant', i.finding ?? `invariant ${i.name}: ${i.status}`, detailsText(i.details)),
    })),
  };
}

function checkSuites(report: RunReport): Suite[] {
  const bySuite = new Map<string, Suite>();
  for (const c of report.checks) {
    let suite = bySuite.get(c.suite);
    if (!suite) {
      suite = { name: c.suite, cases: [] };
      bySuite.set(c.suite, suite);
    }
    suite.cases.push({
      name: c.name,
      seconds: 0,
      outcome: outcomeFor(c.status, 'check', c.message ?? `${c.suite} ${c.name}: ${c.status}`, detailsText(c.details)),
    });
  }
  return [...bySuite.values()];
}

function counts(cases: Case[]): { tests: number; failures: number; errors: number; skipped: number; seconds: number } {
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  let total = 0;
  for (const c of cases) {
    if (c.outcome.kind === 'failure') failures++;
    else if (c.outcome.kind === 'error') errors++;
    else if (c.outcome.kind === 'skipped') skipped++;
    total += c.seconds;
  }
  return { tests: cases.length, failures, errors, skipped, seconds: total };
}

function renderProperties(props: Array<[string, string]> | undefined, indent: string): string[] {
  if (!props || props.length === 0) return [];
  return [
    `${indent}<properties>`,
    ...props.map(([k, v]) => `${indent}  <property name="${attr(k)}" value="${attr(v)}"/>`),
    `${indent}</properties>`,
  ];
}

function renderCase(c: Case, classname: string): string[] {
  const open = `    <testcase classname="${attr(classname)}" name="${attr(c.name)}" time="${formatSeconds(c.seconds)}"`;
  // No <properties> inside a test case: the Ant JUnit schema that strict consumers validate against has none.
  const inner: string[] = [];
  const o = c.outcome;
  if (o.kind === 'failure' || o.kind === 'error') {
    const tag = o.kind;
    const head = `      <${tag} message="${attr(o.message ?? '')}" type="${attr(o.type ?? tag)}"`;
    inner.push(o.body ? `${head}>${text(o.body)}</${tag}>` : `${head}/>`);
  } else if (o.kind === 'skipped') {
    inner.push(o.message ? `      <skipped message="${attr(o.message)}"/>` : '      <skipped/>');
  }
  if (o.out) inner.push(`      <system-out>${text(o.out)}</system-out>`);
  if (inner.length === 0) return [`${open}/>`];
  return [`${open}>`, ...inner, '    </testcase>'];
}

/**
 * Renders junit.xml (the de-facto JUnit schema that GitHub, GitLab and Jenkins read). Always includes
 * the `run` suite with one case for the verdict; empty kinds get no suite.
 */
export function renderJunit(report: RunReport): string {
  const suites = [runSuite(report), agentSuite(report), budgetSuite(report), invariantSuite(report), ...checkSuites(report)].filter(
    (s) => s.cases.length > 0,
  );
  const all = suites.flatMap((s) => s.cases);
  const total = counts(all);
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`agentcheck ${report.kind}: ${report.title}`)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${formatSeconds(seconds(report.durationMs))}" timestamp="${attr(report.startedAt)}">`,
  ];
  suites.forEach((s, id) => {
    const c = counts(s.cases);
    lines.push(
      `  <testsuite id="${id}" name="${attr(s.name)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${formatSeconds(c.seconds)}" timestamp="${attr(report.startedAt)}">`,
      ...renderProperties(s.properties, '    '),
    );
    for (const tc of s.cases) lines.push(...renderCase(tc, `agentcheck.${s.name}`));
    lines.push('  </testsuite>');
  });
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
