/**
 * Turns an idempotency check result into the shared {@link RunReport} (so the JSON, JUnit, Markdown
 * and HTML writers of src/report render it like every other command) and into the terminal text the
 * CLI prints: one line per property, then each counterexample with its replay command.
 */
import type { CheckResult, CheckStatus, RunReport, Verdict } from '../report/model.js';
import { REPORT_VERSION } from '../report/model.js';
import { brief } from './compare.js';
import { PROPERTY_DESCRIPTIONS, type IdempotencyCheckResult, type PropertyOutcome, type PropertyStatus } from './types.js';

const CHECK_STATUS: Record<PropertyStatus, CheckStatus> = { passed: 'pass', failed: 'fail', 'not-exercised': 'invalid' };
const VERDICT: Record<PropertyStatus, Verdict> = { passed: 'pass', failed: 'fail', 'not-exercised': 'invalid' };

/** What the report says about where the result came from. */
export interface IdempotencyReportMeta {
  title: string;
  /** The target URL (black-box) or a description of the handler. */
  source: string;
  toolVersion: string;
  startedAt: Date;
}

function checkMessage(o: PropertyOutcome): string {
  const lines = [o.summary];
  if (o.status === 'failed' && o.replay.command) lines.push(`replay: ${o.replay.command}`);
  else if (o.status === 'failed') lines.push(`replay: seed ${o.replay.seed}, path ${o.replay.path ?? ''}`);
  return lines.join('\n');
}

/** The shared run report of an idempotency check: one check per property, verdict pass / fail / invalid. */
export function idempotencyRunReport(result: IdempotencyCheckResult, meta: IdempotencyReportMeta): RunReport {
  const checks: CheckResult[] = result.properties.map((o) => {
    const details: Record<string, unknown> = {
      description: PROPERTY_DESCRIPTIONS[o.property],
      runs: o.runs,
      exercisedRuns: o.exercisedRuns,
      durationMs: Math.round(o.durationMs),
      replay: o.replay,
    };
    if (o.counterexample) details.counterexample = o.counterexample;
    return { suite: 'idempotency', name: o.property, status: CHECK_STATUS[o.status], message: checkMessage(o), details };
  });
  const failed = result.properties.filter((o) => o.status === 'failed');
  const idle = result.properties.filter((o) => o.status === 'not-exercised');
  const reasons: string[] = [];
  if (failed.length > 0) reasons.push(`${failed.length} of ${result.properties.length} properties violated: ${failed.map((o) => o.property).join(', ')}`);
  if (idle.length > 0) reasons.push(`${idle.length} not exercised (not a pass): ${idle.map((o) => o.property).join(', ')}`);
  if (reasons.length === 0) reasons.push(`all ${result.properties.length} properties held, each exercised`);
  for (const o of [...failed, ...idle]) reasons.push(`${o.property}: ${o.summary}`);
  return {
    version: REPORT_VERSION,
    tool: { name: 'agentcheck', version: meta.toolVersion },
    kind: 'idempotency',
    title: meta.title,
    source: meta.source,
    seed: String(result.seed),
    startedAt: meta.startedAt.toISOString(),
    durationMs: Math.round(result.durationMs),
    verdict: VERDICT[result.status],
    reasons,
    agents: [],
    phases: [],
    budgets: [],
    invariants: [],
    edges: [],
    checks,
    timeline: [],
    faultWindows: [],
  };
}

const MARK: Record<PropertyStatus, string> = { passed: 'PASS', failed: 'FAIL', 'not-exercised': 'NOT EXERCISED' };

/** The terminal summary: a line per property, then the counterexamples with their replay commands. */
export function formatIdempotencyResult(result: IdempotencyCheckResult): string {
  const width = Math.max(...result.properties.map((o) => o.property.length), 10);
  const lines = result.properties.map((o) => `${MARK[o.status].padEnd(13)} ${o.property.padEnd(width)}  ${o.summary}`);
  for (const o of result.properties) {
    if (o.status !== 'failed' || !o.counterexample) continue;
    lines.push('', `${o.property}: ${o.counterexample.message}`);
    lines.push(`  shrunk input (${o.counterexample.shrinks} shrinks): ${brief(o.counterexample.input, 400)}`);
    if (o.counterexample.observed !== undefined) lines.push(`  observed: ${brief(o.counterexample.observed, 600)}`);
    lines.push(`  replay: ${o.replay.command ?? `seed ${o.replay.seed}, path ${o.replay.path ?? ''}`}`);
  }
  const verdict =
    result.status === 'passed'
      ? 'every property held'
      : result.status === 'failed'
        ? 'a property was violated'
        : 'a property was not exercised, so the run proves nothing about it';
  lines.push('', `idempotency: ${verdict} (seed ${result.seed}, ${(result.durationMs / 1000).toFixed(1)} s)`);
  return `${lines.join('\n')}\n`;
}
