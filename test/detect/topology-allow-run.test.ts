/**
 * `detectors.topology.allow` in real process-runtime runs of the reference team: the notifier's
 * webhook (scenarios/detectors/outside-host.yaml, WEBHOOK_URL) pointed at a server this test starts
 * on 127.0.0.1 stands in for an outside dependency. Allowed for the notifier, its calls reach the
 * server through the forward proxy and its topology check passes, naming them; allowed only for
 * another agent, they are refused with 403 (the server never sees one) and the notifier fails.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';

const scenarios = path.resolve(__dirname, '../../scenarios/detectors');
const hits: string[] = [];
const webhook = http.createServer((req, res) => {
  hits.push(`${req.method} ${req.url}`);
  req.resume();
  req.on('end', () => res.end('{"ok":true}'));
});
let authority = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  authority = `127.0.0.1:${(webhook.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  webhook.closeAllConnections();
  await new Promise<void>((resolve) => webhook.close(() => resolve()));
});

async function run(allowFrom: string) {
  const text = readFileSync(path.join(scenarios, 'outside-host.yaml'), 'utf8').replace('http://hooks.example.com/orders/completed', `http://${authority}/orders/completed`);
  expect(text).toContain(authority);
  const scenario = parseScenarioText(`${text}\ndetectors: { topology: { allow: [{ from: ${allowFrom}, to: "${authority}" }] } }\n`, { baseDir: scenarios, file: path.join(scenarios, 'outside-host.yaml') });
  const out = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-topology-allow-'));
  const { report } = await runScenarioDetailed(scenario, { outDir: path.join(out, 'run') });
  return { report, topology: report.checks.filter((c) => c.suite === 'detector: topology') };
}

describe('declared outside dependencies in a process-runtime run', () => {
  it('an allowed webhook is forwarded for real and the notifier passes, its check naming the allowed calls', async () => {
    hits.length = 0;
    const { report, topology } = await run('notifier');
    const notifier = topology.find((c) => c.name === 'notifier')!;
    expect(notifier.status).toBe('pass');
    expect(notifier.message).toMatch(new RegExp(`^notifier called only its declared edges and declared outside dependencies \\(.*\\); declared outside dependencies: \\d+ allowed calls? to ${authority.replace(/\./g, '\\.')} \\(forward proxy`));
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h === 'POST /orders/completed')).toBe(true);
    expect(topology.every((c) => c.status === 'pass')).toBe(true);
    // Nothing fails (the verdict may still be invalid when a busy machine makes the load generator late).
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.suite} ${c.name}: ${c.message}`)).toEqual([]);
    expect(report.verdict).not.toBe('fail');
  }, 90_000);

  it('allowed only for another agent, the webhook is refused and the notifier fails', async () => {
    hits.length = 0;
    const { report, topology } = await run('planner');
    const notifier = topology.find((c) => c.name === 'notifier')!;
    expect(notifier.status).toBe('fail');
    expect(notifier.message).toMatch(new RegExp(`^notifier asked for ${authority.replace(/\./g, '\\.')}, which is not a declared edge of notifier \\(seen by the forward proxy \\d+×.*refused with 403\\)`));
    expect(hits).toEqual([]);
    expect(report.verdict).toBe('fail');
  }, 90_000);
});
