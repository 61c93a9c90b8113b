/**
 * The Compose recipe (docs/deploy/compose.yaml) end to end: build the local images, deploy the
 * reference team and agentcheck's proxy with `docker compose` (v2) or, where that plugin is absent,
 * `docker-compose` (v1.29, Debian's package, which CI installs), run the recipe's attach-mode
 * scenario (good team exit 0; PAYMENTS_MODE=no-dedup exit 1, as the containers runtime gives), list
 * through the proxy's API that no toxic is left, tear it all down and check with the Docker CLI that
 * no container or network of the project is left. Under CI=true a missing engine or compose is a
 * failure with a one-line reason; elsewhere the test skips with that line. Needs `dist/`.
 *
 * The recipe publishes fixed host ports (18474, 18080-18084 on 127.0.0.1). No other test listens
 * on them (random ports come from the kernel's ephemeral range, 32768+), and a port that is taken
 * anyway fails the test at once, naming it, rather than hanging.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../reaper/listing.js';
import { runCli as cli } from './cli.js';
import { proxyNames, RECIPE_PROXIES, recipeScenarioText, toxicsLeft, until } from './recipe.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-compose-'));
const runCli = (args: string[]) => cli(args, dir);

const API = 'http://127.0.0.1:18474';
const AGENT_PORTS = { intake: 18080, planner: 18081, inventory: 18082, payments: 18083, notifier: 18084 };
const project = `agentcheck-deploy-${process.pid}`;
const composeFile = path.join(root, 'docs/deploy/compose.yaml');

/** How to call Compose here: the command, its version, and whether `up --wait` exists (v2 only). */
interface Compose {
  argv: string[];
  version: string;
  wait: boolean;
}

async function output(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run(cmd, args, { timeout: 30_000 })).stdout.trim();
  } catch {
    return undefined;
  }
}

/** The Compose to use, or the one-line reason there is none. */
async function findCompose(): Promise<Compose | string> {
  if ((await output('docker', ['info', '--format', '{{.ServerVersion}}'])) === undefined) return 'no Docker engine answers `docker info` (start dockerd; .ci/run does)';
  const v2 = await output('docker', ['compose', 'version', '--short']);
  if (v2 !== undefined) return { argv: ['docker', 'compose'], version: `docker compose ${v2}`, wait: true };
  const v1 = await output('docker-compose', ['version', '--short']);
  if (v1 !== undefined) return { argv: ['docker-compose'], version: `docker-compose ${v1}`, wait: false };
  return 'neither `docker compose` (v2 plugin) nor `docker-compose` works (apt-get install -y docker-compose; .ci/run does)';
}

const found = await findCompose();
const compose = typeof found === 'string' ? undefined : found;
const inCi = Boolean(process.env.CI);
if (!compose) console.log(`[deploy] compose recipe ${inCi ? 'FAILS (CI must have it)' : 'skipped'}: ${found as string}`);
else console.log(`[deploy] compose recipe with ${compose.version}`);

/** Runs Compose on the recipe's project; a failure carries the command's output. */
async function composeRun(c: Compose, args: string[], env: Record<string, string> = {}): Promise<void> {
  const [cmd, ...pre] = c.argv;
  try {
    await run(cmd!, [...pre, '-f', composeFile, '-p', project, ...args], { timeout: 300_000, maxBuffer: 16 << 20, env: { ...process.env, ...env } });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${c.argv.join(' ')} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Containers and networks that carry this Compose project's label, found with the Docker CLI. */
async function projectLeft(): Promise<string[]> {
  const label = `label=com.docker.compose.project=${project}`;
  const containers = (await run('docker', ['ps', '-a', '--filter', label, '--format', 'container {{.Names}}'])).stdout;
  const networks = (await run('docker', ['network', 'ls', '--filter', label, '--format', 'network {{.Name}}'])).stdout;
  return [...containers.split('\n'), ...networks.split('\n')].filter(Boolean);
}

/** The recipe's host ports that something on 127.0.0.1 already holds. */
async function portsTaken(): Promise<number[]> {
  const taken: number[] = [];
  for (const port of [18474, ...Object.values(AGENT_PORTS)]) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) taken.push(port);
  }
  return taken;
}

/**
 * Up and ready: every agent answers /healthz and the proxy API lists the four edge proxies. v2's
 * `--wait` only waits for "running" (the recipe has no healthchecks), so both versions poll.
 */
async function deploy(c: Compose, paymentsMode: string, only: string[] = []): Promise<void> {
  await composeRun(c, ['up', '-d', ...(c.wait ? ['--wait'] : []), ...(only.length ? ['--force-recreate', ...only] : [])], { PAYMENTS_MODE: paymentsMode });
  const agents = Object.entries(AGENT_PORTS).filter(([name]) => only.length === 0 || only.includes(name));
  for (const [name, port] of agents) {
    await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })).ok, 120_000, `${name} on 127.0.0.1:${port}/healthz`);
  }
  await until(async () => (await proxyNames(API)).join() === RECIPE_PROXIES.join(), 120_000, `the proxy API at ${API} listing ${RECIPE_PROXIES.join(', ')}`);
}

let deployed = false;
async function teardown(c: Compose): Promise<void> {
  if (!deployed) return;
  await composeRun(c, ['down', '--volumes', '--remove-orphans']);
  deployed = false;
}

afterAll(async () => {
  // Also after a failed or timed-out test: nothing of the project may outlive the run.
  if (!compose) return;
  await teardown(compose).catch((err) => console.error(String(err)));
  const left = await projectLeft();
  if (left.length) throw new Error(`left behind by compose project ${project}: ${left.join(', ')}`);
}, 180_000);

interface Report {
  verdict: string;
  reasons: string[];
  invariants: Array<{ kind: string; status: string; name: string }>;
}
const report = (out: string) => JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;

describe.skipIf(!compose && !inCi)('the Compose recipe in attach mode', () => {
  it('good team exit 0, buggy payments exit 1, no toxic left, all torn down', async () => {
    if (!compose) throw new Error(`CI must run the Compose recipe, but ${found as string}`);
    const taken = await portsTaken();
    if (taken.length) throw new Error(`the recipe's host ports are taken on 127.0.0.1: ${taken.join(', ')} (another compose project of the recipe still up? docker ps)`);

    const built = await runCli(['images', 'build']);
    expect(built.code, built.out).toBe(0);
    const scenario = path.join(dir, 'order-fulfilment-attach.yaml');
    writeFileSync(scenario, recipeScenarioText());

    try {
      deployed = true;
      await deploy(compose, 'correct');
      let goodOut = path.join(dir, 'good');
      let good = await runCli(['scenario', 'run', scenario, '--out', goodOut, '--no-progress']);
      if (good.code === 1 && report(goodOut).reasons.every((r) => r.startsWith('budget '))) {
        // Only latency/error budgets failed, every invariant held: on a loaded 2-core machine the
        // team's timeouts and retries can stall it for seconds. One more try on the warmed
        // deployment, with a fresh payments ledger (exactly_once reads all of it) and its own seed
        // (intake keeps the keys it answered). A recipe that breaks the team fails both.
        console.log(`[deploy] good run failed only budgets (${report(goodOut).reasons.length}); retrying once:\n${good.out}`);
        await deploy(compose, 'correct', ['payments']);
        goodOut = path.join(dir, 'good-retry');
        good = await runCli(['scenario', 'run', scenario, '--seed', '44', '--out', goodOut, '--no-progress']);
      }
      if (good.code === 4) {
        // An overloaded machine makes the generator fall behind: an honest invalid run, never a pass.
        expect(report(goodOut).reasons.join('\n'), good.out).toMatch(/load generator/);
      } else {
        expect(good.code, good.out).toBe(0);
      }
      expect(report(goodOut).invariants.filter((i) => i.status !== 'pass'), good.out).toEqual([]);
      expect(await toxicsLeft(API)).toEqual([]);

      // A rollout of the buggy payments into the running deployment. The others keep their state
      // (intake remembers every Idempotency-Key it answered), so this run needs its own seed: the
      // same seed would resend the same keys and be answered from intake's cache (docs/attach.md).
      await deploy(compose, 'no-dedup', ['payments']);
      const buggyOut = path.join(dir, 'buggy');
      const buggy = await runCli(['scenario', 'run', scenario, '--seed', '43', '--out', buggyOut, '--no-progress']);
      expect(buggy.code, buggy.out).toBe(1);
      expect(buggy.out).toMatch(/one charge per order'? failed: duplicated: \d+ keys? applied more than once/);
      expect(await toxicsLeft(API)).toEqual([]);
      // The deployment's proxies stay: agentcheck found them, so they are not its to delete.
      expect(await proxyNames(API)).toEqual(RECIPE_PROXIES);
    } finally {
      await teardown(compose);
    }
    expect(await projectLeft()).toEqual([]);
  }, 600_000);
});
