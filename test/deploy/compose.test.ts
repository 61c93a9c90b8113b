/**
 * The Compose recipe (docs/deploy/compose.yaml) end to end: build the local images, deploy the
 * reference team and agentcheck's proxy, run docs/deploy/order-fulfilment-attach.yaml in attach
 * mode (good team exit 0; PAYMENTS_MODE=no-dedup exit 1, as the containers runtime gives), check
 * through the proxy's API that no toxic is left, and tear it all down. Skips with one line where
 * there is no Docker engine with the compose plugin. Needs `dist/` (npm test builds).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../reaper/listing.js';
import { runCli as cli } from './cli.js';

const runCli = (args: string[]) => cli(args, dir);

function works(args: string[]): boolean {
  try {
    execFileSync('docker', args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const engine = works(['info']) && works(['compose', 'version']);
if (!engine) console.log('[deploy] skipped: no Docker engine with the compose plugin');

const project = `agentcheck-deploy-${process.pid}`;
const composeFile = path.join(root, 'docs/deploy/compose.yaml');
const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-compose-'));

function compose(args: string[], env: Record<string, string> = {}): void {
  execFileSync('docker', ['compose', '-f', composeFile, '-p', project, ...args], { stdio: 'inherit', timeout: 300_000, env: { ...process.env, ...env } });
}


async function toxicsLeft(): Promise<string[]> {
  const listed = (await (await fetch('http://127.0.0.1:18474/proxies')).json()) as Record<string, { toxics: unknown[] }>;
  return Object.entries(listed).flatMap(([name, p]) => p.toxics.map((t) => `${name}: ${JSON.stringify(t)}`));
}

afterAll(() => {
  if (engine) compose(['down', '--volumes', '--remove-orphans']);
});

describe.skipIf(!engine)('the Compose recipe in attach mode', () => {
  it('good team exit 0, buggy payments exit 1, no toxic left, all torn down', async () => {
    const built = await runCli(['images', 'build']);
    expect(built.code, built.out).toBe(0);
    const scenario = path.join(root, 'docs/deploy/order-fulfilment-attach.yaml');

    compose(['up', '-d', '--wait']);
    const good = await runCli(['scenario', 'run', scenario, '--out', path.join(dir, 'good')]);
    expect(good.code, good.out).toBe(0);
    expect(await toxicsLeft()).toEqual([]);

    compose(['up', '-d', '--wait', '--force-recreate', 'payments'], { PAYMENTS_MODE: 'no-dedup' });
    const buggy = await runCli(['scenario', 'run', scenario, '--out', path.join(dir, 'buggy')]);
    expect(buggy.code, buggy.out).toBe(1);
    expect(await toxicsLeft()).toEqual([]);

    compose(['down', '--volumes', '--remove-orphans']);
    const left = execFileSync('docker', ['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}'], { encoding: 'utf8' }).trim();
    expect(left).toBe('');
  }, 900_000);
});
