/**
 * A deployed proxy outlives the run: its hop records and fault journal still hold what earlier
 * runs sent through it. Attach mode must judge each run by its own evidence only, or a run whose
 * traffic never crossed an edge inherits an earlier run's requests and fired faults (a vacuous run
 * reported with a full edge table, the way a false pass starts). Found deploying the Compose recipe:
 * a rerun with the same seed was answered from intake's idempotency cache, yet its report showed
 * the first run's edge figures and faults. The remote records must also reach the checks: fault
 * coverage of a connection-level toxic is judged from them. Real servers and a separate agentcheck
 * proxy on 127.0.0.1.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';

const out = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-attach-runs-'));
const servers: Server[] = [];
let api: ProxyServer | undefined;
afterAll(async () => {
  for (const s of servers) s.closeAllConnections?.();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await api?.close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port };
}

function reply(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end('{}');
}

describe('attach mode against a proxy that outlives the run', () => {
  it("reports each run's own edge requests and fired faults, not an earlier run's", async () => {
    api = await startProxyServer({ host: '127.0.0.1', port: 0 });
    const back = await serve((_req, res) => reply(res, 200));
    const made = await fetch(`${api.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'front_to_back', listen: '127.0.0.1:0', upstream: `127.0.0.1:${back.port}`, enabled: true, protocol: 'http' }) });
    const listen = ((await made.json()) as { listen: string }).listen;
    // The deployed caller: forwards each order through the proxy, or (like a team answering a
    // repeated key from its cache) answers it itself without crossing the edge.
    let forward = true;
    let orders = 0;
    const front = await serve((req, res) => {
      if (req.url === '/healthz') return reply(res, 200);
      orders++;
      req.resume();
      if (!forward) return reply(res, 201);
      const up = request(`http://${listen}/charge`, { method: 'POST' }, (r) => {
        r.resume();
        r.on('end', () => reply(res, r.statusCode === 200 ? 201 : 502));
      });
      up.on('error', () => reply(res, 502));
      up.end('{}');
    });
    const scenario = parseScenarioText(`name: attach-reruns
agents:
  - { name: front, url: "${front.url}", readiness: { http: /healthz } }
  - { name: back, url: "${back.url}" }
edges:
  - { from: front, to: back, proxy: { api: "${api.url}", name: front_to_back } }
phases:
  - name: broken
    duration: 1500ms
    faults: [{ edge: front->back, type: http_error, attributes: { status: 503 } }]
  - name: slow
    duration: 1500ms
    faults: [{ edge: front->back, type: latency, attributes: { latency: 20 } }]
load: { target: front, rate: 20, requests: [{ method: POST, path: /order }] }
detectors: { traces: false }
`, { baseDir: out, file: path.join(out, 's.yaml') });
    const runOnce = async (name: string) => {
      const before = orders;
      const run = await runScenarioDetailed(scenario, { outDir: path.join(out, name), seed: '7' });
      const edge = run.report.edges?.find((e) => e.edge === 'front->back');
      // Fault coverage of the latency toxic (connection-level: judged from the edge's hop records).
      const slow = run.report.checks?.find((c) => c.suite === 'fault coverage' && c.name.startsWith('latency'))?.status;
      return { run, edge, slow, orders: orders - before, fired: run.journal.filter((e) => e.fired).length };
    };

    // Run 1: every order crosses the edge and the fault fires on it.
    const first = await runOnce('first');
    expect(first.orders).toBeGreaterThan(10);
    expect(first.edge?.requests).toBe(first.orders);
    expect(first.fired).toBeGreaterThan(0);
    // The remote proxy's records reach the checks too, not only the edge table.
    expect(first.slow).toBe('pass');

    // Run 2 on the same proxy: its own requests only, not run 1's as well.
    const second = await runOnce('second');
    expect(second.orders).toBeGreaterThan(10);
    expect(second.edge?.requests).toBe(second.orders);
    expect(second.edge?.faultsFired.http_error).toBe(second.fired);
    expect(second.slow).toBe('pass');

    // Run 3: nothing crosses the edge, so nothing was seen there and no fault fired, whatever the
    // proxy still holds from runs 1 and 2 (and the run is no pass).
    forward = false;
    const third = await runOnce('third');
    expect(third.orders).toBeGreaterThan(10);
    expect(third.edge?.requests).toBe(0);
    expect(third.fired).toBe(0);
    expect(third.slow).toBe('invalid');
    expect(third.run.report.verdict).not.toBe('pass');
  }, 60_000);
});
