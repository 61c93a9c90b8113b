/**
 * Rendering contract results: the readable terminal report of a verification (every mismatch with
 * its interaction, path, expected and actual values and matcher), the shared {@link RunReport} that
 * the JSON / JUnit / Markdown reporters write, and the matrix and can-i-deploy tables.
 */
import { createRequire } from 'node:module';
import { REPORT_VERSION, type CheckResult, type RunReport } from '../report/model.js';
import type { CanIDeployResult, MatrixRow } from './matrix.js';
import type { ContractMismatch } from './mismatch.js';
import type { ContractsVerification, InteractionVerification, ProviderVerification } from './verify.js';

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

function statesText(i: InteractionVerification): string {
  if (!i.states.length) return '';
  return ` (given ${i.states.map((s) => (s.params && Object.keys(s.params).length ? `${s.name} ${JSON.stringify(s.params)}` : s.name)).join(' and ')})`;
}

/** One mismatch on one line (plus a hint line): `$.chargeId: expected "ch_1" (matcher: type), got (missing)`. */
export function formatMismatch(m: ContractMismatch): string[] {
  let line: string;
  switch (m.kind) {
    case 'body':
      line = `${m.path ?? '$'}: expected ${m.expected ?? '?'}${m.matcher ? ` (matcher: ${m.matcher})` : ''}, got ${m.actual ?? '?'}`;
      if (m.actual !== '(missing)' && m.message && !/^Expected/.test(m.message)) line += ` — ${m.message}`;
      break;
    case 'status':
      line = `status: expected ${m.expected}, got ${m.actual}`;
      break;
    case 'header':
    case 'metadata':
    case 'query':
      line = `${m.kind} ${m.path}: expected ${m.expected}, got ${m.actual} — ${m.message}`;
      break;
    case 'state':
      line = `provider state ${m.path ? `'${m.path}'` : ''}: ${m.message}`;
      break;
    case 'message':
      line = `message: ${m.message}`;
      break;
    default:
      line = m.expected !== undefined ? `${m.kind}: expected ${m.expected}, got ${m.actual} — ${m.message}` : `${m.kind}: ${m.message}`;
  }
  return m.hint ? [line, `  hint: ${m.hint}`] : [line];
}

/** Lines of each agent's output shown under a failed provider. */
const LOG_LINES = 12;

function providerLines(pv: ProviderVerification): string[] {
  const head =
    pv.status === 'error'
      ? `✗ ${pv.provider}@${pv.providerVersion}: not verified — ${pv.error ?? 'unknown error'}`
      : `${pv.status === 'passed' ? '✓' : '✗'} ${pv.provider}@${pv.providerVersion}${pv.providerUrl ? ` at ${pv.providerUrl}` : ''}` +
        ` (${pv.startMs ? `started in ${ms(pv.startMs)}, ` : ''}verified in ${ms(pv.verifyMs)})`;
  const lines = [head];
  for (const s of pv.missingStates) {
    lines.push(`  ✗ missing provider-state handler for '${s.state}', needed by ${s.neededBy.join('; ')}`);
  }
  for (const pact of pv.pacts) {
    const failed = pact.interactions.filter((i) => i.status === 'failed').length;
    const total = pact.interactions.length;
    lines.push(
      `  ${pact.status === 'passed' ? '✓' : '✗'} ${pact.consumer} → ${pv.provider}: ` +
        (failed ? `${failed} of ${total} interaction(s) failed` : `${total} interaction(s) verified`) +
        (pact.consumerVersion ? ` [pact ${pact.consumerVersion}]` : ''),
    );
    for (const i of pact.interactions) {
      if (i.status === 'passed') continue;
      lines.push(`    ✗ ${i.kind === 'message' ? 'message' : 'interaction'} '${i.description}'${statesText(i)}${i.status === 'pending-failed' ? ' [pending: does not fail the build]' : ''}`);
      for (const m of i.mismatches) for (const l of formatMismatch(m)) lines.push(`        ${l}`);
    }
  }
  // The provider's own words on why it answered as it did (a failed task's reason, a stack trace).
  for (const [agent, tail] of Object.entries(pv.agentLogs ?? {})) {
    const last = tail.trimEnd().split('\n').slice(-LOG_LINES);
    lines.push(`  ${agent} printed (last ${last.length} line(s)):`, ...last.map((l) => `    | ${l}`));
  }
  return lines;
}

/** The readable terminal report of a verification. */
export function renderVerification(v: ContractsVerification): string {
  const lines: string[] = [];
  for (const pv of v.providers) lines.push(...providerLines(pv), '');
  const pacts = v.providers.flatMap((p) => p.pacts);
  const interactions = pacts.flatMap((p) => p.interactions);
  const failed = interactions.filter((i) => i.status === 'failed').length;
  const errored = v.providers.filter((p) => p.status === 'error').length;
  lines.push(
    `${v.status === 'passed' ? 'verified' : v.status === 'failed' ? 'FAILED' : 'NOT VERIFIED'}: ` +
      `${v.providers.length} provider(s), ${pacts.length} pact(s), ${interactions.length} interaction(s), ${failed} failed` +
      (errored ? `, ${errored} provider(s) not verified` : '') +
      ` in ${ms(v.durationMs)}`,
  );
  return `${lines.join('\n')}\n`;
}

const require = createRequire(import.meta.url);
function toolVersion(): string {
  try {
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** The verification as the shared run report (JSON, JUnit and Markdown reporters render it). */
export function verificationRunReport(v: ContractsVerification, startedAt: Date, source?: string): RunReport {
  const checks: CheckResult[] = [];
  const reasons: string[] = [];
  for (const pv of v.providers) {
    if (pv.status === 'error') {
      checks.push({ suite: `contracts ${pv.provider}`, name: `start ${pv.provider}`, status: 'fail', message: pv.error ?? 'not verified' });
      reasons.push(`${pv.provider} was not verified: ${pv.error ?? 'unknown error'}`);
      continue;
    }
    for (const s of pv.missingStates) {
      checks.push({ suite: `contracts ${pv.provider}`, name: `provider state '${s.state}'`, status: 'fail', message: `no provider-state handler for '${s.state}' (needed by ${s.neededBy.join('; ')})` });
    }
    for (const pact of pv.pacts) {
      for (const i of pact.interactions) {
        const message = i.mismatches.flatMap(formatMismatch).join('\n');
        checks.push({
          suite: `contracts ${pact.consumer} → ${pv.provider}`,
          name: i.description,
          status: i.status === 'passed' ? 'pass' : i.status === 'pending-failed' ? 'warn' : 'fail',
          ...(message ? { message } : {}),
          details: { kind: i.kind, states: i.states, mismatches: i.mismatches, providerVersion: pv.providerVersion, consumerVersion: pact.consumerVersion },
        });
        if (i.status === 'failed') reasons.push(`${pact.consumer} → ${pv.provider}: '${i.description}' ${i.mismatches[0] ? formatMismatch(i.mismatches[0])[0] : 'failed'}`);
      }
    }
  }
  if (!reasons.length) reasons.push(`all ${checks.length} contract interaction(s) verified`);
  return {
    version: REPORT_VERSION,
    tool: { name: 'agentcheck', version: toolVersion() },
    kind: 'contracts',
    title: `contracts verify: ${v.providers.map((p) => p.provider).join(', ')}`,
    ...(source ? { source } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: v.durationMs,
    verdict: v.status === 'passed' ? 'pass' : v.status === 'failed' ? 'fail' : 'error',
    reasons,
    agents: v.providers.flatMap((pv) =>
      Object.entries(pv.agents).map(([name, url]) => ({ name, runtime: 'process' as const, url, status: pv.status === 'error' ? ('failed' as const) : ('stopped' as const) })),
    ),
    phases: [],
    budgets: [],
    invariants: [],
    edges: [],
    checks,
    timeline: [],
    faultWindows: [],
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** The matrix as a text table. */
export function renderMatrix(rows: readonly MatrixRow[]): string {
  if (!rows.length) return 'no pacts and no verification records\n';
  const out = [['CONSUMER', 'CONSUMER VERSION', 'PROVIDER', 'PROVIDER VERSION', 'OUTCOME', 'VERIFIED AT']];
  for (const r of rows) {
    out.push([`${r.consumer}${r.current ? '' : ' (old pact)'}`, r.consumerVersion, r.provider, r.providerVersion ?? '-', r.outcome, r.verifiedAt ?? '-']);
  }
  return `${table(out)}\n`;
}

/** The can-i-deploy answer as text. */
export function renderCanIDeploy(r: CanIDeployResult): string {
  const lines = [r.summary];
  if (r.checks.length) {
    lines.push('');
    const out = [['CONSUMER', 'PROVIDER', 'OUTCOME', 'WHY']];
    for (const c of r.checks) out.push([`${c.consumer}@${c.consumerVersion}`, `${c.provider}${c.providerVersion ? `@${c.providerVersion}` : ''}`, c.outcome, c.reason]);
    lines.push(table(out));
  }
  return `${lines.join('\n')}\n`;
}
