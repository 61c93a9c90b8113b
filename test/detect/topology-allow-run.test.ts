/**
 * `detectors.topology.allow` in real process-runtime runs. The reference team: the notifier's
 * webhook (scenarios/detectors/outside-host.yaml, WEBHOOK_URL) pointed at a server this test starts
 * on 127.0.0.1 stands in for an outside dependency. Allowed for the notifier, its calls reach the
 * server through the forward proxy and its topology check passes, naming them; allowed only for
 * another agent, they are refused with 403 (the server never sees one) and the notifier fails.
 * The socket view: an agent holding raw TCP connections (no HTTP_PROXY) to two local servers, one
 * declared by a host name resolved at start (`localhost:<port>`), passes for that one only.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';

import { root } from '../scenario/agents.js';

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

describe('declared outside dependencies in the socket view', () => {
  const held = new Set<net.Socket>();
  const servers: net.Server[] = [];
  afterAll(async () => {
    for (const s of held) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const tcpServer = async (): Promise<number> => {
    const server = net.createServer((s) => {
      held.add(s);
      s.on('error', () => undefined);
      s.once('close', () => held.delete(s));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  };
  // Connects to both ports and holds the connections open, then listens (ready once both are held).
  const holder = JSON.stringify([
    'node',
    '-e',
    `const net=require('net'),http=require('http');let n=0;const up=()=>{if(++n===2)http.createServer((q,s)=>s.end('ok')).listen(+process.env.PORT,process.env.HOST)};` +
      `for(const p of [process.env.DB_PORT,process.env.OTHER_PORT]){const c=net.connect(+p,'127.0.0.1',up);c.on('error',()=>undefined)}`,
  ]);

  it('a connection to a name allowed at start passes, one to an address no entry allows fails', async () => {
    const db = await tcpServer();
    const other = await tcpServer();
    const yaml = `name: socket-allow
agents: [{ name: holder, command: ${holder}, readiness: { tcp: true }, env: { DB_PORT: "${db}", OTHER_PORT: "${other}" } }]
edges: []
phases: [{ name: p, duration: 1s }]
detectors: { topology: { allow: ["localhost:${db}"] } }
`;
    const out = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-topology-allow-sockets-'));
    const { report } = await runScenarioDetailed(parseScenarioText(yaml, { baseDir: root }), { outDir: path.join(out, 'run') });
    const check = report.checks.find((c) => c.suite === 'detector: topology' && c.name === 'holder')!;
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(new RegExp(`^holder connected to 127\\.0\\.0\\.1:${other}, which is not a declared edge of holder \\(seen in the sockets`));
    expect(check.message).toContain(`declared outside dependencies: connected to 127.0.0.1:${db}, allowed by "localhost:${db}"`);
    expect(check.message).not.toContain(`127.0.0.1:${db}, which`);
  }, 60_000);
});
