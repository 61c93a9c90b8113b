/**
 * Rollback: after every experiment, whatever ended it (success, deviation, abort, exception,
 * interrupt), the faults are checked gone through the proxy's API and the rollback commands run in
 * order. A failing step (non-zero exit, timeout, cannot start) is recorded and the next one still
 * runs. Commands are not given the game day's abort signal: an interrupt is exactly when they must run.
 */
import { spawn } from 'node:child_process';
import type { Started } from '../scenario/stages/start.js';
import type { RollbackStep } from './model.js';

/** What one rollback step did. */
export interface RollbackResult {
  name: string;
  command: string[];
  status: 'ok' | 'failed';
  exitCode: number | null;
  durationMs: number;
  /** Why it failed, with the end of its stderr. */
  reason?: string;
}

const STDERR_TAIL = 2000;

/** Runs one command in `cwd`, killing its process group after `timeoutMs`. */
export function runRollbackStep(step: RollbackStep, cwd: string): Promise<RollbackResult> {
  const t0 = performance.now();
  const done = (status: RollbackResult['status'], exitCode: number | null, reason?: string): RollbackResult => ({
    name: step.name,
    command: step.command,
    status,
    exitCode,
    durationMs: Math.round(performance.now() - t0),
    ...(reason ? { reason } : {}),
  });
  return new Promise((resolve) => {
    let stderr = '';
    let timedOut = false;
    const child = spawn(step.command[0]!, step.command.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, step.timeoutMs);
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(done('failed', null, `could not start: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim() ? `: ${stderr.trim()}` : '';
      if (timedOut) resolve(done('failed', null, `killed after ${step.timeoutMs} ms${tail}`));
      else if (code === 0) resolve(done('ok', 0));
      else resolve(done('failed', code, `${code === null ? `killed by ${signal}` : `exit ${code}`}${tail}`));
    });
  });
}

/** Runs every step in order; each runs whatever the previous did. `onStep` sees each result as it comes. */
export async function runRollback(steps: readonly RollbackStep[], cwd: string, onStep: (r: RollbackResult) => void): Promise<RollbackResult[]> {
  const out: RollbackResult[] = [];
  for (const step of steps) {
    const r = await runRollbackStep(step, cwd);
    out.push(r);
    onStep(r);
  }
  return out;
}

/**
 * Reads every toxic still on the team's proxies through the proxy's own API and deletes it. The
 * drive stage has removed the faults already; this is the check that it did (and the repair when a
 * removal failed). Returns the toxics found and whether the API could be read.
 */
export async function restoreProxies(started: Started): Promise<{ found: string[]; removed: number; readable: boolean }> {
  const found: string[] = [];
  let removed = 0;
  let readable = true;
  for (const p of started.team.proxies.values()) {
    const base = `${started.backend.url}/proxies/${encodeURIComponent(p.proxyName)}/toxics`;
    try {
      const res = await fetch(base, { signal: AbortSignal.timeout(5000) });
      const toxics = (await res.json()) as Array<{ name: string }>;
      for (const t of Array.isArray(toxics) ? toxics : []) {
        found.push(`${p.proxyName}/${t.name}`);
        const del = await fetch(`${base}/${encodeURIComponent(t.name)}`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
        await del.arrayBuffer();
        if (del.ok || del.status === 404) removed++;
      }
    } catch {
      readable = false;
    }
  }
  return { found, removed, readable };
}
