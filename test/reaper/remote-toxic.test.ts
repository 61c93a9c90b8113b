/**
 * Attach mode's faults outlive a killed CLI only as long as the reaper takes: `scenario run`
 * applies a toxic to a proxy on a remote API (a separate agentcheck proxy server this test owns),
 * is SIGKILLed while the fault is on, and the watchdog deletes the toxic. Judged by listing the
 * toxics through that API, never by asking agentcheck. Needs `dist/` (npm test builds).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { runDirs, startCli, tempBase, type Cli } from './listing.js';

const base = tempBase('agentcheck-reaper-remote-');
const clis: Cli[] = [];
const servers: Server[] = [];
let api: ProxyServer | undefined;

afterAll(async () => {
  for (const cli of clis) cli.child.kill('SIGKILL');
  for (const s of servers) s.closeAllConnections?.();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await api?.close();
});

async function serve(): Promise<number> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function toxics(name: string): Promise<Array<{ name: string }>> {
  const res = await fetch(`${api!.url}/proxies/${name}/toxics`);
  return (await res.json()) as Array<{ name: string }>;
}

describe('the reaper removes toxics a killed CLI applied to a remote proxy', () => {
  it('SIGKILL while a remote fault is on: the toxic is gone through the API', async () => {
    api = await startProxyServer({ host: '127.0.0.1', port: 0 });
    const front = await serve();
    const back = await serve();
    await fetch(`${api.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'front_to_back', listen: '127.0.0.1:0', upstream: `127.0.0.1:${back}`, enabled: true }) });
    const dirs = runDirs(base, 'remote');
    const file = path.join(base, 'remote.yaml');
    writeFileSync(file, `name: remote-toxic
agents:
  - { name: front, url: "http://127.0.0.1:${front}" }
  - { name: back, url: "http://127.0.0.1:${back}" }
edges:
  - { from: front, to: back, proxy: { api: "${api.url}", name: front_to_back } }
phases:
  - name: long
    duration: 60s
    faults: [{ edge: front->back, type: latency, name: held, attributes: { latency: 100 } }]
`);
    const cli = startCli(['scenario', 'run', file, '--out', dirs.out], dirs);
    clis.push(cli);
    let exited = false;
    void cli.exited.then(() => (exited = true));
    // Wait (loosely: a loaded machine) until the fault is on through the API.
    let on: Array<{ name: string }> = [];
    const deadline = Date.now() + 60_000;
    while (!exited && Date.now() < deadline && on.length === 0) {
      on = await toxics('front_to_back');
      if (on.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(on.map((t) => t.name), cli.stderr()).toEqual(['held']);
    cli.child.kill('SIGKILL');
    const killedAt = Date.now();
    await cli.exited;
    let left = on;
    while (left.length > 0 && Date.now() - killedAt < 20_000) {
      left = await toxics('front_to_back');
      if (left.length > 0) await new Promise((r) => setTimeout(r, 25));
    }
    const ms = Date.now() - killedAt;
    console.log(`[reaper] SIGKILL → remote toxic gone: ${ms} ms`);
    expect(left).toEqual([]);
    // The proxy itself was the deployment's: left in place.
    expect((await fetch(`${api.url}/proxies/front_to_back`)).status).toBe(200);
  }, 120_000);
});
