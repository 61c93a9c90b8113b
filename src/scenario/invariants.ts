/**
 * Invariants: checks of the team's own view of correctness, run at the end of a run (and after
 * each phase, or sampled while each phase runs, when asked). An HTTP probe passes when it answers
 * JSON `{ ok: true }`; a command passes when it exits 0; `exactly_once` judges the load driver's
 * history against the effects an agent lists, per key.
 *
 * A probe that cannot be read as asked (not JSON, no list where the file says, no key in any
 * effect) is a misconfiguration or a broken probe, not a finding about the team: the result is
 * `invalid` (exit 4) naming the field, never `fail` (exit 1).
 */
import { spawn } from 'node:child_process';
import type { CheckStatus, InvariantResult } from '../report/model.js';
import { checkExactlyOnce, type RecordedEffect } from '../idempotency/exactly-once.js';
import type { HistoryEvent } from '../idempotency/history.js';
import type { ScenarioInvariant } from './types.js';
import { parsePath, readPath, type JsonPath } from '../workflow/path.js';

/** What invariants may look at. */
export interface InvariantContext {
  /** Base URL of each running agent by name. */
  agentUrls: Map<string, string>;
  /** The load driver's history so far, keyed as the invariant asks (a body field, or an extracted value with `join`). */
  history: (join: { key: string; join?: string }) => readonly HistoryEvent[];
  /** Duplicate deliveries the proxies really made (from the fault journal); undefined when unknown. */
  duplicatesDelivered?: number;
  /** Environment for command invariants (agent URLs are added as `AGENTCHECK_URL_<NAME>`). */
  env?: Record<string, string>;
}

const PROBE_TIMEOUT_MS = 5000;

/** A probe answer that cannot be judged as configured: the invariant is `invalid`, not failed. */
export class ProbeMisconfigured extends Error {}

/** Evaluates one invariant; never throws (a broken probe is an invalid or failed check with its reason). */
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
        const effects = extractEffects(body, inv.key, inv.effects.list);
        const result = checkExactlyOnce(ctx.history({ key: inv.key, ...(inv.join !== undefined ? { join: inv.join } : {}) }), effects, {
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
    if (err instanceof ProbeMisconfigured) return { ...base, status: 'invalid', finding: err.message };
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
    // A server error under a fault is the agent failing; anything else is a probe that does not speak JSON.
    if (res.status >= 500) throw new Error(`GET ${path} on ${agent} answered ${res.status}: ${text.slice(0, 200)}`);
    throw new ProbeMisconfigured(`GET ${path} on ${agent} answered ${res.status} with a body that is not JSON (${JSON.stringify(text.slice(0, 120))}), expected JSON`);
  }
}

async function httpProbe(ctx: InvariantContext, agent: string, path: string): Promise<Pick<InvariantResult, 'status' | 'finding' | 'details'>> {
  const body = (await getJson(ctx, agent, path)) as { ok?: unknown; details?: unknown } | null;
  if (!body || typeof body !== 'object' || typeof body.ok !== 'boolean') {
    return { status: 'invalid', finding: `GET ${path} on ${agent} did not answer {"ok": boolean, "details": …}, so it cannot be judged (field ok: ${body && typeof body === 'object' ? JSON.stringify(body.ok) ?? 'missing' : 'not an object'})`, details: body };
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
 * A path of an invariant as a parsed {@link JsonPath}. The scenario validator rejects a malformed
 * path at load time; one that still gets here (a scenario built in code) makes the check invalid.
 */
function invariantPath(text: string, field: string): JsonPath {
  try {
    return parsePath(text);
  } catch (e) {
    throw new ProbeMisconfigured(`${field}: ${(e as Error).message}`);
  }
}

/**
 * The effects of a probe answer: the list at `listPath`, else the top-level array, else the only
 * array property (`{"effects": […]}`, `{"charges": […]}`); each element's `key` (a path, read as
 * in src/workflow/path.ts) is its key. A list that is not there, or in which no element has the key, is {@link ProbeMisconfigured}.
 */
export function extractEffects(body: unknown, keyField: string, listPath?: string): RecordedEffect[] {
  let list: unknown[] | undefined;
  if (listPath !== undefined) {
    const at = readPath(body, invariantPath(listPath, 'exactly_once.effects.list'));
    if (!Array.isArray(at)) {
      throw new ProbeMisconfigured(`exactly_once.effects.list: "${listPath}" in the effects probe's answer is ${at === undefined ? 'missing' : `not a list (${typeof at})`}, expected an array of effects`);
    }
    list = at;
  } else if (Array.isArray(body)) {
    list = body;
  } else if (body && typeof body === 'object') {
    const arrays = Object.entries(body).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
    if (arrays.length > 1) {
      throw new ProbeMisconfigured(`exactly_once.effects: the effects probe answered several lists (${arrays.map(([k]) => k).join(', ')}), expected effects.list naming one`);
    }
    list = arrays[0]?.[1];
  }
  if (!list) throw new ProbeMisconfigured('exactly_once.effects: the effects probe did not answer a list (an array, or an object with an array property), expected effects.list to name where it is');
  const keyPath = invariantPath(keyField, 'exactly_once.key');
  const effects = list.map((e): { key: string | undefined } => {
    const v = readPath(e, keyPath);
    return { key: v === null || v === undefined || typeof v === 'object' ? undefined : String(v) };
  });
  if (effects.length > 0 && effects.every((e) => e.key === undefined)) {
    throw new ProbeMisconfigured(`exactly_once.key: no effect in the probe's list has a field "${keyField}" (first effect: ${JSON.stringify(list[0]).slice(0, 160)}), expected the field that holds each effect's key`);
  }
  return effects;
}

async function commandProbe(command: string[], cwd: string, ctx: InvariantContext): Promise<Pick<InvariantResult, 'status' | 'finding' | 'details'>> {
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
      // The output is in the report whatever the outcome: a passing check's output explains it too.
      const details = { exit: code ?? signal, output: output.trim() };
      resolve(code === 0 ? { status: 'pass', details } : { status: 'fail', finding: `exited with ${code ?? signal}${tail ? `: ${tail}` : ''}`, details });
    });
  });
}
