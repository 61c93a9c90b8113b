/**
 * The deployment recipe's scenario (docs/deploy/order-fulfilment-attach.yaml) against the
 * reference team "deployed" without agentcheck: the five agents as plain processes and
 * `agentcheck proxy --config` holding the edge proxies (the shape of docs/deploy/compose.yaml, on
 * loopback ports instead of a Docker network). agentcheck attaches: the good team exits 0, the
 * buggy payments (PAYMENTS_MODE=no-dedup) exits 1, and no toxic is left on the proxy (listed through
 * its API). The Compose file itself is run by compose.test.ts where there is a Docker engine.
 * Needs `dist/` (npm test builds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocatePort } from '../../src/scenario/runtimes/process.js';
import { bin, root } from '../reaper/listing.js';
import { runCli as cli } from './cli.js';
import { proxyNames, recipeScenarioText, toxicsLeft as listToxics, until } from './recipe.js';

const runCli = (args: string[]) => cli(args, dir);

const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-deploy-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

const AGENTS = ['intake', 'planner', 'inventory', 'payments', 'notifier'] as const;
type Agent = (typeof AGENTS)[number];
const EDGES: Array<{ from: Agent; to: Agent; env: string; name: string }> = [
  { from: 'intake', to: 'planner', env: 'PLANNER_URL', name: 'intake_to_planner' },
  { from: 'planner', to: 'inventory', env: 'INVENTORY_URL', name: 'planner_to_inventory' },
  { from: 'planner', to: 'payments', env: 'PAYMENTS_URL', name: 'planner_to_payments' },
  { from: 'planner', to: 'notifier', env: 'NOTIFIER_URL', name: 'planner_to_notifier' },
];

function start(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: path.join(root, 'scenarios'), env: { ...process.env, ...env }, stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('the deployment recipe in attach mode, against a team agentcheck did not start', () => {
  it('good team exit 0, buggy payments exit 1, no toxic left on the proxy', async () => {
    const ports = Object.fromEntries(await Promise.all(AGENTS.map(async (a) => [a, await allocatePort('127.0.0.1')] as const))) as Record<Agent, number>;
    const api = await allocatePort('127.0.0.1');
    const listen = Object.fromEntries(await Promise.all(EDGES.map(async (e) => [e.name, await allocatePort('127.0.0.1')] as const))) as Record<string, number>;
    const config = path.join(dir, 'proxies.json');
    writeFileSync(config, JSON.stringify(EDGES.map((e) => ({ name: e.name, listen: `127.0.0.1:${listen[e.name]}`, upstream: `127.0.0.1:${ports[e.to]}`, enabled: true, protocol: 'http' }))));
    start([bin, 'proxy', '--port', String(api), '--config', config], {});
    const peers = (a: Agent) => Object.fromEntries(EDGES.filter((e) => e.from === a).map((e) => [e.env, `http://127.0.0.1:${listen[e.name]}`]));
    const startAgent = (a: Agent, mode = 'correct') => start([`team/${a}.mjs`], { PORT: String(ports[a]), HOST: '127.0.0.1', PAYMENTS_MODE: mode, ...peers(a) });
    const agents = new Map(AGENTS.map((a) => [a, startAgent(a)]));

    // The recipe's scenario, pointed at this deployment's addresses.
    let text = recipeScenarioText();
    AGENTS.forEach((a, i) => {
      text = text.replace(`http://127.0.0.1:${18080 + i}`, `http://127.0.0.1:${ports[a]}`).replace(`upstream: "${a}:8080"`, `upstream: "127.0.0.1:${ports[a]}"`);
    });
    text = text.replaceAll('http://127.0.0.1:18474', `http://127.0.0.1:${api}`);
    const file = path.join(dir, 'order-fulfilment-attach.yaml');
    writeFileSync(file, text);
    const toxicsLeft = () => listToxics(`http://127.0.0.1:${api}`);
    {
      await until(async () => (await fetch(`http://127.0.0.1:${api}/proxies`)).ok, 30_000);
      const good = await runCli(['scenario', 'run', file, '--out', path.join(dir, 'good')]);
      expect(good.code, good.out).toBe(0);
      expect(await toxicsLeft()).toEqual([]);

      agents.get('payments')!.kill('SIGTERM');
      await new Promise((r) => agents.get('payments')!.once('exit', r));
      agents.set('payments', startAgent('payments', 'no-dedup'));
      // Its own seed: intake kept every key the good run sent, and would answer a repeat from cache.
      const buggy = await runCli(['scenario', 'run', file, '--seed', '43', '--out', path.join(dir, 'buggy')]);
      expect(buggy.code, buggy.out).toBe(1);
      expect(buggy.out).toMatch(/one charge per order'? failed: duplicated: \d+ keys? applied more than once/);
      expect(await toxicsLeft()).toEqual([]);
      // The deployment's proxies stay (agentcheck found them, so they are not its to delete).
      expect(await proxyNames(`http://127.0.0.1:${api}`)).toEqual(EDGES.map((e) => e.name).sort());
    }
  }, 180_000);
});
