/**
 * Helpers for the end-to-end tests of scenario files through the real CLI (`bin/agentcheck.js`,
 * needs `npm run build` first): one run with its exit code, output and report.json, and the
 * nats-server brokers the event scenarios start (none may outlive a run).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/agentcheck.js');

/** One finished CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The agentcheck process's pid: its containers and networks carry it as `agentcheck.owner.pid`. */
  pid: number;
}

/**
 * `node bin/agentcheck.js ARGS` in the repository root, with `CI=true` (and Testcontainers' reaper
 * off, as .ci/run has it). `interruptAfterMs`: SIGINT that long after the CLI's `agentcheck:
 * running` line (its signal handlers are on by then): on a busy machine Node's start-up alone can
 * outlast a delay counted from the spawn.
 */
export function runCli(args: string[], opts: { interruptAfterMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: 'true', TESTCONTAINERS_RYUK_DISABLED: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const { interruptAfterMs } = opts;
    if (interruptAfterMs !== undefined) {
      const armed = () => {
        if (!stderr.includes('agentcheck: running ')) return;
        child.stderr.off('data', armed);
        setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
      };
      child.stderr.on('data', armed);
    }
    child.on('close', (code) => resolve({ code, stdout, stderr, pid: child.pid ?? -1 }));
  });
}

/**
 * Containers and networks the given agentcheck process created and left (`agentcheck.owner.pid`):
 * other test files start container runs at the same time, and theirs are not this test's to judge.
 */
export function dockerLeftBy(pid: number): string[] {
  const filter = `label=agentcheck.owner.pid=${pid}`;
  const list = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  return [...list(['ps', '-a', '--filter', filter, '--format', '{{.Names}}']), ...list(['network', 'ls', '--filter', filter, '--format', '{{.Name}}'])];
}

/** `agentcheck scenario run scenarios/<file> --out <out>`; rejects when it wrote no report.json. */
export async function runScenarioCli(file: string, out: string): Promise<CliRun & { report: any }> {
  const r = await runCli(['scenario', 'run', `scenarios/${file}`, '--out', out, '--no-progress']);
  try {
    return { ...r, report: JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) };
  } catch {
    throw new Error(`no report.json (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** Pids of brokers started the way scenarios/events*.yaml starts them. */
export const scenarioBrokers = (): string[] => spawnSync('pgrep', ['-f', 'nats-server -js -a 127.0.0.1 -p'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
