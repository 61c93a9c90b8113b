/**
 * End-to-end: network isolation in the containers runtime, through the real CLI and a real Docker
 * engine. Each agent is on a network of its own, so the variant whose notifier calls inventory by
 * its network alias fails with a topology finding the network sinkhole saw (caller and peer
 * named); the same team without that call passes, with every agent's topology check passing; and
 * neither run leaves a container or network behind. Under the sinkhole, the isolation itself: from
 * one agent, a peer's address and container name lead nowhere, its alias only to the sinkhole.
 * Skips with one line where no engine answers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDockerEngine, dockerAvailable } from '../../src/images/engine.js';
import { scenarioFromValue } from '../../src/scenario/load.js';
import { runLeftovers, startContainerTeam } from '../../src/scenario/runtimes/containers.js';
import { removeRunResources } from '../../src/scenario/runtimes/containers-cleanup.js';
import { dockerLeftBy, runCli } from './scenario-cli.js';

const root = path.resolve(__dirname, '../..');
const variant = path.join(root, 'scenarios/detectors/direct-call-containers.yaml');
const engine = await dockerAvailable(5000);
if (!engine) console.log('[e2e] containers topology tests skipped: no Docker engine reachable (start dockerd; .ci/run does)');


interface ReportCheck {
  suite: string;
  name: string;
  status: string;
  message?: string;
  details?: { violations?: Array<{ caller?: string; peer?: string; target: string; count: number }> };
}

const topologyChecks = (out: string): ReportCheck[] =>
  (JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { checks: ReportCheck[] }).checks.filter((c) => c.suite === 'detector: topology');

describe.skipIf(!engine)('network isolation in the containers runtime (real CLI, real Docker)', { timeout: 300_000 }, () => {
  // The CLI runs against dist/, which `npm test` builds first.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-e2e-topology-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an agent that calls a peer by its network alias fails the run: the sinkhole names caller and peer', async () => {
    const out = path.join(dir, 'direct');
    const r = await runCli(['scenario', 'run', variant, '--runtime', 'containers', '--out', out, '--no-progress']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/detector: topology notifier failed: notifier called inventory's own address inventory:8080 directly.*seen by the network sinkhole \d+×/);
    const checks = topologyChecks(out);
    const notifier = checks.find((c) => c.name === 'notifier')!;
    expect(notifier.status).toBe('fail');
    expect(notifier.details?.violations?.[0]).toMatchObject({ caller: 'notifier', peer: 'inventory', target: 'inventory:8080' });
    expect(notifier.details!.violations![0]!.count).toBeGreaterThan(0);
    // Only the caller is blamed: every other agent called only through its proxies.
    expect(checks.filter((c) => c.name !== 'notifier').map((c) => [c.name, c.status]).sort()).toEqual([
      ['intake', 'pass'],
      ['inventory', 'pass'],
      ['payments', 'pass'],
      ['planner', 'pass'],
    ]);
    expect(dockerLeftBy(r.pid)).toEqual([]);
  });

  it('the same team without the direct call passes, every topology check passing', async () => {
    // The variant minus AUDIT_URL; the agents' cwd made absolute, since the file is written elsewhere.
    const text = readFileSync(variant, 'utf8').replace(/, env: \{ AUDIT_URL: "[^"]*" \}/, '').replaceAll('cwd: ..', `cwd: ${JSON.stringify(path.join(root, 'scenarios'))}`);
    expect(text).not.toContain('AUDIT_URL: "');
    const file = path.join(dir, 'good-team.yaml');
    writeFileSync(file, text);
    const out = path.join(dir, 'good');
    const r = await runCli(['scenario', 'run', file, '--runtime', 'containers', '--out', out, '--no-progress']);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { reasons: string[] };
    if (r.code === 4) {
      // An overloaded machine makes the generator fall behind: an honest invalid run, never a pass.
      expect(report.reasons.join('\n')).toMatch(/load generator/);
    } else {
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const checks = topologyChecks(out);
    expect(checks.map((c) => [c.name, c.status]).sort()).toEqual([
      ['intake', 'pass'],
      ['inventory', 'pass'],
      ['notifier', 'pass'],
      ['payments', 'pass'],
      ['planner', 'pass'],
    ]);
    expect(dockerLeftBy(r.pid)).toEqual([]);
  });

  it('isolation: a peer\'s IP address and container name are unreachable from another agent, its alias reaches only the sinkhole', async () => {
    const scenario = scenarioFromValue({
      name: 'isolation',
      agents: [
        { name: 'caller', command: 'node caller.mjs', readiness: { http: '/healthz', timeout: '20s' } },
        { name: 'callee', command: 'node callee.mjs', readiness: { http: '/healthz', timeout: '20s' } },
      ],
      edges: [{ from: 'caller', to: 'callee', env: 'CALLEE_URL' }],
      phases: [{ name: 'p', duration: '1s' }],
    }, { baseDir: path.join(root, 'test/containers/fixtures') });
    const runId = `topo${process.pid}-${Date.now().toString(36)}`;
    const e = await checkDockerEngine();
    try {
      const team = await startContainerTeam(scenario, { runId, logDir: path.join(dir, runId) });
      try {
        const caller = team.agents.get('caller')!;
        const callee = team.agents.get('callee')!;
        const calleeInfo = await e.docker.getContainer(callee.containerId).inspect();
        // Only its own network: not Docker's default bridge, where every container reaches every other.
        expect(Object.keys(calleeInfo.NetworkSettings.Networks)).toEqual([team.networks.get('callee')]);
        const calleeIp = calleeInfo.NetworkSettings.Networks[team.networks.get('callee')!]!.IPAddress;
        const script = "const s=require('net').connect(+process.argv[2],process.argv[1]);s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',(e)=>{console.log(e.code);process.exit(1)});setTimeout(()=>{console.log('timeout');process.exit(1)},3000)";
        const connect = async (host: string) => (await caller.exec(['node', '-e', script, host, '8080'])).output.trim();
        expect(await connect(calleeIp)).toMatch(/^(timeout|EHOSTUNREACH|ENETUNREACH|ECONNREFUSED)$/);
        expect(await connect(callee.containerName)).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
        expect(await connect('callee')).toBe('connected');
        // The edge still works: caller → proxy → callee.
        const res = (await (await fetch(`${team.agentUrls.get('caller')}/call`, { signal: AbortSignal.timeout(10_000) })).json()) as { status: number; body: string };
        expect(res).toMatchObject({ status: 200, body: 'pong from callee' });
        const direct = await team.directCalls!((ms) => ms);
        expect(direct.observations).toMatchObject([{ caller: 'caller', peer: 'callee', target: 'callee:8080', count: 1 }]);
      } finally {
        await team.stop();
      }
      expect(await runLeftovers(runId, e)).toEqual({ empty: true, containers: [], networks: [], images: [] });
    } finally {
      await removeRunResources(e.docker, runId);
    }
  });
});
