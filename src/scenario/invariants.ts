/**
 * Invariants: checks of the team's own view of correctness, run at the end of a run (and after
 * each phase when asked). An HTTP probe passes when it answers JSON `{ ok: true }`; a command
 * passes when it exits 0; `exactly_once` judges the load driver's history against the effects an
 * agent lists, per key.
 */
import { spawn } from 'node:child_process';
import type { CheckStatus, InvariantResult } from '../report/model.js';
import { checkExactlyOnce, type RecordedEffect } from '../idempotency/exactly-once.js';
import type { HistoryEvent } from '../idempotency/history.js';
import type { ScenarioInvariant } from './types.js';

/** What invariants may look at. */
export interface InvariantContext {
  /** Base URL of each running agent by name. */
  agentUrls: Map<string, string>;
  /** The load driver's history so far, keyed by the invariant's `key` field. */
  history: (keyField: string) => readonly HistoryEvent[];
  /** Duplicate deliveries the proxies really made (from the fault journal); undefined when unknown. */
  duplicatesDelivered?: number;
  /** Environment for command invariants (agent URLs are added as `AGENTCHECK_URL_<NAME>`). */
  env?: Record<string, string>;
}

const PROBE_TIMEOUT_MS = 5000;

/** Evaluates one invariant; never throws (a broken probe is a failed check with its reason). */
export async function evaluateInvariant(inv: ScenarioInvariant, when: string, ctx: InvariantContext): Promise<InvariantResult> {
  const base = { name: inv.name, kind: inv.kind, when } as const;
  try {
    switch (inv.kind) {
      case 'http':
        return { ...base, ...(await httpProbe(ctx, inv.agent, inv.path)) };
      case 'command':
        return { ...base, ...(await commandProbe(inv.command, inv.cwd, ctx)) };
      case 'exactly_once': {
        const body = await getJson(ctx, inv.effects.agent, inv.effects.path);
        const effects = extractEffects(body, inv.key);
        const result = checkExactlyOnce(ctx.history(inv.key), effects, {
          ...(ctx.duplicatesDelivered !== undefined ? { duplicatesDelivered: ctx.duplicatesDelivered } : {}),
        });
        const status: CheckStatus = result.status === 'passed' ? 'pass' : result.status === 'failed' ? 'fail' : 'invalid';
        return {
          ...base,
          status,
          finding: result.finding,
          details: { counts: result.counts, lost: result.lost, duplicated: result.duplicated, unexpected: result.unexpected, recovered: result.recovered },
        };
      }
    }
  } catch (err) {
    return { ...base, status: 'fail', finding: (err as Error).message };
  }
}

async function getJson(ctx: InvariantContext, agent: string, path: string): Promise<unknown> {
  const url = ctx.agentUrls.get(agent);
  if (!url) throw new Error(`agent '${agent}' is not running`);
  const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`GET ${path} on ${agent} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

async function httpProbe(ctx: InvariantContext, agent: string, path: string): Promise<Pick<InvariantResult, 'status' | 'finding' | 'details'>> {
  const body = (await getJson(ctx, agent, path)) as { ok?: unknown; details?: unknown } | null;
  if (!body || typeof body !== 'object' || typeof body.ok !== 'boolean') {
    return { status: 'fail', finding: `GET ${path} on ${agent} did not answer {"ok": boolean, "details": …}`, details: body };
  }
  return {
    status: body.ok ? 'pass' : 'fail',
    ...(body.ok ? {} : { finding: `${agent} ${path}: ${summarise(body.details)}` }),
    details: body.details,
  };
}

/**
 * A probe's `details` in one readable line: lists as their length and first few items
 * (`doubleCharged: 117 (o-1, o-7, o-9, …)`), other values as they are; the whole object stays in
 * the report's details.
 */
export function summarise(details: unknown): string {
  if (details && typeof details === 'object' && !Array.isArray(details)) {
    const parts = Object.entries(details as Record<string, unknown>).map(([k, v]) => {
      if (Array.isArray(v)) {
        const shown = v.slice(0, 3).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
        return `${k}: ${v.length}${v.length > 0 ? ` (${shown}${v.length > 3 ? ', …' : ''})` : ''}`;
      }
      return `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`;
    });
    const line = parts.join('; ');
    return line.length > 300 ? `${line.slice(0, 299)}…` : line || 'not ok';
  }
  const text = JSON.stringify(details) ?? 'not ok';
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/**
 * The effects of a probe answer: the top-level array, or the first array property
 * (`{"effects": […]}`, `{"charges": […]}`); each element's `key` field is its key.
 */
export function extractEffects(body: unknown, keyField: string): RecordedEffect[] {
  const list = Array.isArray(body)
    ? body
    : body && typeof body === 'object'
      ? Object.values(body).find((v): v is unknown[] => Array.isArray(v))
      : undefined;
  if (!list) throw new Error('the effects probe did not answer a list (an array, or an object with an array property)');
  return list.map((e) => {
    if (e && typeof e === 'object' && keyField in e) {
      const v = (e as Record<string, unknown>)[keyField];
      return { key: v === null || v === undefined ? undefined : String(v) };
    }
    return { key: undefined };
  });
}

async function commandProbe(command: string[], cwd: string, ctx: InvariantContext): Promise<Pick<InvariantResult, 'status' | 'finding'>> {
  const [file, ...args] = command;
  if (!file) return { status: 'fail', finding: 'empty command' };
  const env: NodeJS.ProcessEnv = { ...process.env, ...ctx.env };
  for (const [name, url] of ctx.agentUrls) env[`AGENTCHECK_URL_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = url;
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ status: 'fail', finding: `could not run ${file}: ${err.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const tail = output.trim().split('\n').slice(-3).join(' | ');
      resolve(code === 0 ? { status: 'pass' } : { status: 'fail', finding: `exited with ${code ?? signal}${tail ? `: ${tail}` : ''}` });
    });
  });
}
