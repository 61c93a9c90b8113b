/** Running the built CLI from the deploy tests, with its own state dir (reaper registry). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { bin, root } from '../reaper/listing.js';

/** Runs `agentcheck <args>` to its end; its exit code and stdout+stderr. */
export function runCli(args: string[], stateBase: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: 'true', AGENTCHECK_STATE_DIR: path.join(stateBase, 'state') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}
