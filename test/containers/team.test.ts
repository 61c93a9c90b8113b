// startContainerTeam on a real engine: traffic crosses the proxy container, a latency toxic set
// through its API slows it, and every exit path (stop, never-ready, failed build, abort, crash,
// an agentcheck that exits without stopping) leaves nothing labelled with the run id.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { scenarioFromValue } from '../../src/scenario/load.js';
import { runLeftovers, startContainerTeam, type ContainerTeam, type ContainerTeamOptions } from '../../src/scenario/runtimes/containers.js';
import { liveContainerRuns } from '../../src/scenario/runtimes/containers-cleanup.js';
import type { AgentInput, EdgeInput, ScenarioInput } from '../../src/scenario/types.js';
import { cliLeftovers, dockerCli, engine, engineAvailable, noteSkip } from './engine.js';

noteSkip('team.test.ts');
const fixtures = path.resolve('test/containers/fixtures');
const logRoot = mkdtempSync(path.join(tmpdir(), 'agentcheck-containers-'));
let seq = 0;
const runIds: string[] = [];
const teams: ContainerTeam[] = [];

function runId(): string {
  const id = `t${process.pid}-${Date.now().toString(36)}-${seq++}`;
  runIds.push(id);
  return id;
}

function scenario(agents: AgentInput[], edges: EdgeInput[] = [], extra: Partial<ScenarioInput> = {}) {
  // Command-only teams keep the default runtime in the file, like `--runtime containers` on a
  // process scenario: the agents run in the team image with this folder mounted.
  const runtime = agents.every((a) => a.command) ? {} : { runtime: 'containers' };
  return scenarioFromValue({ name: 'containers-test', ...runtime, agents, edges, phases: [{ name: 'p', duration: '1s' }], ...extra }, { baseDir: fixtures });
}

const http = (timeout = '15s') => ({ http: '/healthz', timeout });
const callerCallee = () =>
  scenario(
    [
      { name: 'caller', command: 'node caller.mjs', readiness: http() },
      { name: 'callee', command: 'node callee.mjs', readiness: http() },
    ],
    [{ from: 'caller', to: 'callee', env: 'CALLEE_URL' }],
  );

async function start(s: ReturnType<typeof scenario>, options: Partial<ContainerTeamOptions> = {}): Promise<ContainerTeam> {
  const id = options.runId ?? runId();
  const team = await startContainerTeam(s, { runId: id, logDir: path.join(logRoot, id), seed: '7', ...options });
  teams.push(team);
  return team;
}

async function expectNothingLeft(id: string): Promise<void> {
  const left = await runLeftovers(id, await engine());
  expect(left).toEqual({ empty: true, containers: [], networks: [], images: [] });
  if (dockerCli) expect(cliLeftovers(id)).toEqual({ containers: [], networks: [], images: [] });
}

afterEach(async () => {
  await Promise.allSettled(teams.splice(0).map((t) => t.stop()));
});
afterAll(async () => {
  if (engineAvailable) {
    // Belt and braces: a failed assertion above must not leave containers on the CI machine.
    const { removeRunResources } = await import('../../src/scenario/runtimes/containers-cleanup.js');
    const e = await engine();
    for (const id of runIds) await removeRunResources(e.docker, id);
  }
  rmSync(logRoot, { recursive: true, force: true });
});

async function call(team: ContainerTeam): Promise<{ status: number; body: string; ms: number; via: string }> {
  const res = await fetch(`${team.agentUrls.get('caller')}/call`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as { status: number; body: string; ms: number; via: string };
}

describe.skipIf(!engineAvailable)('startContainerTeam', { timeout: 180_000 }, () => {
  it('routes caller → proxy container → callee; a latency toxic through the API slows it; stop() leaves nothing', async () => {
    const team = await start(callerCallee());
    expect(team.backend.embedded).toBe(true);
    expect(team.agentUrls.get('caller')).toMatch(/^http:\/\/[\w.:[\]-]+:\d+$/);
    expect(team.proxies.get('caller->callee')).toMatchObject({ proxyName: 'caller_to_callee', listen: 'agentcheck-proxy:20000' });

    const first = await call(team);
    expect(first).toMatchObject({ status: 200, body: 'pong from callee', via: 'http://agentcheck-proxy:20000' });
    const baseline = Math.min(...(await Promise.all([call(team), call(team), call(team)])).map((r) => r.ms));

    const proxy = await team.backend.client.get('caller_to_callee');
    await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 400, jitter: 0 } } as never);
    const slowed = await call(team);
    expect(slowed.status).toBe(200);
    expect(slowed.ms).toBeGreaterThanOrEqual(400);
    expect(slowed.ms).toBeLessThan(10_000);
    expect(slowed.ms).toBeGreaterThan(baseline);

    // The callee was reached through the proxy: the embedded proxy recorded the hop.
    const records = await fetch(`${team.backend.url}/proxies/caller_to_callee/records`).then((r) => r.text());
    expect(records).toContain('/ping');

    await team.stop();
    expect(team.agentReports.map((r) => [r.name, r.runtime, r.status]).sort()).toEqual([
      ['callee', 'container', 'stopped'],
      ['caller', 'container', 'stopped'],
    ]);
    const log = readFileSync(path.join(logRoot, team.runId, 'callee.log'), 'utf8');
    expect(log).toContain('listening on 0.0.0.0:8080');
    expect(existsSync(path.join(logRoot, team.runId, 'agentcheck-proxy.log'))).toBe(true);
    await expectNothingLeft(team.runId);
    expect(liveContainerRuns()).not.toContain(team.runId);
  });

  it('an agent that is never ready: exit-3 error with its log tail, nothing left', async () => {
    const id = runId();
    const s = scenario([
      { name: 'ok', command: 'node callee.mjs', readiness: http() },
      { name: 'sleepy', command: 'node never-ready.mjs', readiness: http('1500ms') },
    ]);
    const started = Date.now();
    const err = await start(s, { runId: id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    const e = err as AgentcheckError & { agentReports?: Array<{ name: string; status: string }> };
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/agent 'sleepy' was not ready after 1500 ms \(GET \/healthz did not answer 2xx\)/);
    expect(e.message).toContain('booting but never listening');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(e.agentReports?.find((r) => r.name === 'sleepy')?.status).toBe('failed');
    await expectNothingLeft(id);
  });

  it('an agent that exits before it is ready is reported with its exit code and output', async () => {
    const id = runId();
    const s = scenario([{ name: 'crashy', command: ['node', '-e', "console.error('fatal: no config'); process.exit(4)"], readiness: http() }]);
    const err = await start(s, { runId: id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).message).toMatch(/agent 'crashy' exited with 4 before it was ready/);
    expect((err as AgentcheckError).message).toContain('fatal: no config');
    await expectNothingLeft(id);
  });

  it('an image that fails to build: exit-3 error with the build output, no per-run image left', async () => {
    const id = runId();
    const s = scenario([{ name: 'broken', build: { context: 'broken-build' }, readiness: http() }]);
    const err = await start(s, { runId: id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(3);
    expect((err as AgentcheckError).message).toMatch(/the image of agent 'broken' \(.*broken-build\) failed to build/);
    expect((err as AgentcheckError).message).toContain('step output before failing');
    await expectNothingLeft(id);
  });

  it('an agent built from a Dockerfile honours .dockerignore, runs, and its per-run image goes with the run', async () => {
    const s = scenario([{ name: 'built', build: { context: 'good-build' }, env: { AGENT_NAME: 'built' }, readiness: http() }]);
    const team = await start(s);
    const agent = team.agents.get('built')!;
    expect(agent.image).toBe(`agentcheck/run-${team.runId}-built:latest`);
    expect(await (await fetch(`${agent.url}/ping`)).text()).toBe('pong from built');
    const files = await agent.exec(['node', '-e', "const fs=require('fs');console.log(['callee.mjs','secret.txt','scratch.tmp'].map(f=>fs.existsSync('/app/'+f)).join(' '))"]);
    expect(files.output.trim()).toBe('true false false');
    const before = await runLeftovers(team.runId, await engine());
    expect(before.images).toEqual([`agentcheck/run-${team.runId}-built:latest`]);
    await team.stop();
    await expectNothingLeft(team.runId);
  });

  it('a TCP readiness check waits for the listener inside the container, not for Docker\'s port proxy', async () => {
    const s = scenario([{ name: 'echo', command: 'node tcp-echo.mjs', env: { LISTEN_AFTER_MS: 1500 }, readiness: { tcp: true, timeout: '15s' } }]);
    const team = await start(s, { clock: () => Date.now() });
    const report = team.agentReports.find((r) => r.name === 'echo')!;
    expect(report.status).toBe('started');
    // The listener opens 1.5 s after node starts; a probe fooled by the port proxy would pass at once.
    expect(report.readyMs).toBeGreaterThanOrEqual(1500);
    expect(report.readyMs).toBeLessThan(15_000);
    expect(team.agents.get('echo')!.logTail()).toContain('tcp listening');
  });

  it('reports an agent that dies during the run through `crashed`', async () => {
    const team = await start(callerCallee());
    const callee = team.agents.get('callee')!;
    const e = await engine();
    await e.docker.getContainer(callee.containerId).kill({ signal: 'SIGKILL' });
    const crash = await Promise.race([team.crashed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
    expect(crash).toMatchObject({ agent: 'callee', exit: 137 });
    expect(team.agentReports.find((r) => r.name === 'callee')?.status).toBe('crashed');
    await team.stop();
    await expectNothingLeft(team.runId);
  });

  it('an interrupted start (AbortSignal) removes what was already started', async () => {
    const id = runId();
    const controller = new AbortController();
    const err = await start(callerCallee(), {
      runId: id,
      signal: controller.signal,
      onProgress: (line) => {
        if (line.startsWith('proxy container ready')) controller.abort();
      },
    }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).message).toMatch(/interrupted/);
    await expectNothingLeft(id);
  });

  it('an agentcheck that exits without stopping its team: the detached cleaner removes the run', async () => {
    const dist = path.resolve('dist/scenario/runtimes/containers.js');
    if (!existsSync(dist)) return console.log('[containers] detached-cleaner test needs `npm run build` first');
    const id = runId();
    const script = `
      const { startContainerTeam } = await import(${JSON.stringify(dist)});
      const { scenarioFromValue } = await import(${JSON.stringify(path.resolve('dist/scenario/load.js'))});
      const s = scenarioFromValue({ name: 'x', agents: [{ name: 'callee', command: 'node callee.mjs', readiness: { http: '/healthz' } }], edges: [], phases: [{ name: 'p', duration: '1s' }] }, { baseDir: ${JSON.stringify(fixtures)} });
      await startContainerTeam(s, { runId: ${JSON.stringify(id)} });
      console.log('started');
      process.exit(1); // no stop(): only the exit hook stands between the run and a leak
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TESTCONTAINERS_RYUK_DISABLED: 'true' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(out).toContain('started');
    expect(code).toBe(1);
    const e = await engine();
    let left = await runLeftovers(id, e);
    for (let i = 0; i < 100 && !left.empty; i++) {
      await new Promise((r) => setTimeout(r, 200));
      left = await runLeftovers(id, e);
    }
    expect(left.empty).toBe(true);
  });

  it('a real Toxiproxy cannot serve message-level faults: exit 2 before anything is created', async () => {
    const id = runId();
    const s = scenario(
      [
        { name: 'caller', command: 'node caller.mjs', readiness: http() },
        { name: 'callee', command: 'node callee.mjs', readiness: http() },
      ],
      [{ from: 'caller', to: 'callee', env: 'CALLEE_URL' }],
      { phases: [{ name: 'dup', duration: '1s', faults: [{ edge: 'caller->callee', type: 'duplicate', attributes: { copies: 1 } }] }] },
    );
    // The loader already refuses this pairing in a file; the runtime refuses it for a Scenario
    // built or changed in code too (e.g. a backend chosen on the command line).
    s.chaos = { backend: 'toxiproxy', image: 'ghcr.io/shopify/toxiproxy:2.12.0' };
    const err = await start(s, { runId: id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(2);
    expect((err as AgentcheckError).message).toMatch(/message-level faults need agentcheck's own proxy.*dup: duplicate on caller->callee/);
    await expectNothingLeft(id);
  });

  it('a Toxiproxy image that is not on the engine and cannot be pulled: exit 3 naming it', async () => {
    const id = runId();
    const s = scenario([{ name: 'callee', command: 'node callee.mjs', readiness: http() }], [], { chaos: { backend: 'toxiproxy', image: 'agentcheck/not-here:1' } });
    const err = await start(s, { runId: id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).exitCode).toBe(3);
    expect((err as AgentcheckError).message).toMatch(/^the Toxiproxy image agentcheck\/not-here:1 is not on the Docker engine and could not be pulled/);
    await expectNothingLeft(id);
  });

  it('chaos.backend toxiproxy runs the given Toxiproxy-compatible image as is and drives it through the same API', async () => {
    // Any image serving the Toxiproxy API works; agentcheck's own image stands in for
    // ghcr.io/shopify/toxiproxy here because no registry is reachable. Treated as foreign: no
    // seed argument, and TCP readiness through the published port.
    const s = scenario(
      [
        { name: 'caller', command: 'node caller.mjs', readiness: http() },
        { name: 'callee', command: 'node callee.mjs', readiness: http() },
        { name: 'echo', command: 'node tcp-echo.mjs', env: { LISTEN_AFTER_MS: 1000 }, readiness: { tcp: true, timeout: '15s' } },
      ],
      [{ from: 'caller', to: 'callee', env: 'CALLEE_URL' }],
    );
    s.chaos = { backend: 'toxiproxy', image: 'agentcheck/proxy:local' };
    const team = await start(s, { clock: () => Date.now() });
    expect(team.backend.embedded).toBe(false);
    expect(await call(team)).toMatchObject({ status: 200, body: 'pong from callee' });
    const proxy = await team.backend.client.get('caller_to_callee');
    await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 300, jitter: 0 } } as never);
    expect((await call(team)).ms).toBeGreaterThanOrEqual(300);
    expect(team.agentReports.find((r) => r.name === 'echo')!.readyMs).toBeGreaterThanOrEqual(1000);
    await team.stop();
    await expectNothingLeft(team.runId);
  });
});
