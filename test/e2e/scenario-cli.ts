/**
 * Helpers for the end-to-end tests of scenario files through the real CLI (`bin/agentcheck.js`,
 * needs `npm run build` first): one run with its exit code, output and report.json, and the
 * nats-server brokers the event scenarios start (none may outlive a run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/agentcheck.js');

/** `agentcheck scenario run scenarios/<file> --out <out>`; rejects when it wrote no report.json. */
export function runScenarioCli(file: string, out: string): Promise<{ code: number | null; stdout: string; stderr: string; report: any }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'scenario', 'run', `scenarios/${file}`, '--out', out, '--no-progress'], { cwd: root, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => {
      try {
        resolve({ code, stdout, stderr, report: JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) });
      } catch {
        reject(new Error(`no report.json (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Pids of brokers started the way scenarios/events*.yaml starts them. */
export const scenarioBrokers = (): string[] => spawnSync('pgrep', ['-f', 'nats-server -js -a 127.0.0.1 -p'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
