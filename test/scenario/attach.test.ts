/**
 * Attach mode (issue 17): agents by url that agentcheck never starts, and edge proxies on a
 * Toxiproxy-compatible API that runs beside the team. The "deployment" is real HTTP servers the
 * test starts and a separate agentcheck proxy server (its own API), all on 127.0.0.1.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { isAgentcheckError } from '../../src/errors.js';
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { callerAddress } from '../../src/scenario/attach.js';

const out = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-attach-'));
const servers: Server[] = [];
const proxies: ProxyServer[] = [];
afterAll(async () => {
  for (const s of servers) s.closeAllConnections?.();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.all(proxies.map((p) => p.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, hits };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** A caller that forwards `POST /order` to `peer()` (its deployment-configured peer URL) and answers with the peer's status. */
function forwarder(peer: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/healthz') return json(res, 200, { ok: true });
    if (req.url === '/check') return json(res, 200, { ok: true });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = request(`${peer()}/charge`, { method: 'POST', headers: { 'content-type': 'application/json', ...(req.headers.traceparent ? { traceparent: req.headers.traceparent } : {}) } }, (r) => {
        r.resume();
        r.on('end', () => json(res, r.statusCode === 200 ? 200 : 502, { upstream: r.statusCode }));
      });
      up.on('error', () => json(res, 502, { upstream: 'error' }));
      up.end(Buffer.concat(chunks));
    });
  };
}

function load(text: string) {
  return parseScenarioText(text, { baseDir: out, file: path.join(out, 's.yaml') });
}

function issues(text: string): string[] {
  try {
    load(text);
    return [];
  } catch (err) {
    if (!(err instanceof ScenarioValidationError)) throw err;
    return err.issues.map((i) => i.text);
  }
}

describe('agents by url: validation', () => {
  it('refuses url with command, a url agent in the containers runtime, and a url edge caller without a proxy', () => {
    expect(issues('name: t\nagents:\n  - { name: a, url: "http://h:1", command: "node a.js" }\nedges: []\nphases: [{ name: p, duration: 1s }]\n')).toEqual([
      expect.stringContaining('agents[0].command: got both url and command'),
    ]);
    expect(issues('name: t\nruntime: containers\nagents:\n  - { name: a, url: "http://h:1" }\nedges: []\nphases: [{ name: p, duration: 1s }]\n')).toEqual([
      expect.stringContaining('agents[0].url: got an agent by url with runtime: containers'),
    ]);
    const edgeFromUrl = 'name: t\nagents:\n  - { name: a, url: "http://h:1" }\n  - { name: b, url: "http://h:2" }\nedges:\n  - { from: a, to: b, env: B_URL }\nphases: [{ name: p, duration: 1s }]\n';
    expect(issues(edgeFromUrl)).toEqual([
      expect.stringContaining('edges[0]: "a" is attached by url, so agentcheck cannot point it at a proxy'),
      expect.stringContaining('edges[0].env: "a" is attached by url'),
    ]);
    expect(issues(edgeFromUrl.replace('env: B_URL', 'proxy: { api: "http://h:8474", name: a_to_b }'))).toEqual([]);
    // A caller agentcheck starts still needs env.
    expect(issues('name: t\nagents:\n  - { name: a, command: "node a.js" }\n  - { name: b, url: "http://h:2" }\nedges:\n  - { from: a, to: b }\nphases: [{ name: p, duration: 1s }]\n')).toEqual([
      expect.stringContaining('edges[0].env: missing'),
    ]);
    expect(issues('name: t\nruntime: containers\nagents:\n  - { name: a, image: x }\n  - { name: b, image: y }\nedges:\n  - { from: a, to: b, env: B_URL, proxy: { api: "http://h:8474", name: p } }\nphases: [{ name: p, duration: 1s }]\n')).toEqual([
      expect.stringContaining('edges[0].proxy: got a remote proxy with runtime: containers'),
    ]);
    expect(issues('name: t\nagents:\n  - { name: a, url: "http://h:1" }\nedges: []\nphases: [{ name: p, duration: 1s }]\nload: { target: a, model: closed, generators: 2, requests: [{ method: GET, path: / }] }\n')).toEqual([
      expect.stringContaining('load.generators: got several generators with model: closed'),
    ]);
    expect(issues('name: t\nagents:\n  - { name: a, url: "not a url" }\nedges: []\nphases: [{ name: p, duration: 1s }]\n')[0]).toContain('agents[0].url');
  });

  it('a wildcard listen host is replaced by the API host for callers', () => {
    expect(callerAddress('0.0.0.0:18080', 'http://proxy.staging:8474')).toBe('proxy.staging:18080');
    expect(callerAddress('[::]:18080', 'http://10.0.0.5:8474')).toBe('10.0.0.5:18080');
    expect(callerAddress('10.0.0.9:18080', 'http://10.0.0.5:8474')).toBe('10.0.0.9:18080');
  });
});

describe('agents by url: a run', () => {
  it('probes readiness at the url, drives load and probes at it, and leaves it running', async () => {
    const agent = await serve((req, res) => (req.url === '/check' ? json(res, 200, { ok: true }) : json(res, 200, { ok: true })));
    const scenario = load(`name: attach-one
agents:
  - { name: front, url: "${agent.url}", readiness: { http: /healthz, timeout: 5s } }
edges: []
phases: [{ name: steady, duration: 2s }]
load: { target: front, rate: 60, requests: [{ method: GET, path: /work }] }
slo: ["error_rate < 1%"]
invariants: [{ name: alive, http: { agent: front, path: /check } }]
`);
    const run = await runScenarioDetailed(scenario, { outDir: path.join(out, 'one'), seed: '1' });
    expect(['pass', 'invalid'], run.report.reasons.join('; ')).toContain(run.report.verdict);
    expect(agent.hits.filter((h) => h === 'GET /healthz').length).toBeGreaterThanOrEqual(1);
    // 2 s at 60/s: about 120 arrivals (a strict lower bound, a loose upper one).
    expect(agent.hits.filter((h) => h === 'GET /work').length).toBeGreaterThan(100);
    expect(agent.hits).toContain('GET /check');
    // Never stopped: it still answers.
    const res = await fetch(`${agent.url}/healthz`);
    expect(res.status).toBe(200);
  }, 60_000);

  it('load.generators: 2 drives an attached agent from two processes, phases and rate changes lined up', async () => {
    const agent = await serve((_req, res) => json(res, 200, { ok: true }));
    const scenario = load(`name: attach-generators
agents:
  - { name: front, url: "${agent.url}" }
edges: []
phases:
  - { name: slow, duration: 2s }
  - { name: fast, duration: 2s, load: { rate: 80 } }
load: { target: front, rate: 40, generators: 2, late_tolerance: 200ms, max_late: 0.5, requests: [{ method: GET, path: "/g/\${seq}" }] }
`);
    const run = await runScenarioDetailed(scenario, { outDir: path.join(out, 'generators'), seed: '9' });
    expect(['pass', 'invalid'], run.report.reasons.join('; ')).toContain(run.report.verdict);
    const [slow, fast] = run.report.phases;
    // 2 s at 40/s and 2 s at 80/s, from the two processes together (loose bounds: a busy machine).
    expect(slow!.requests).toBeGreaterThanOrEqual(70);
    expect(slow!.requests).toBeLessThanOrEqual(90);
    expect(fast!.requests).toBeGreaterThanOrEqual(150);
    expect(fast!.requests).toBeLessThanOrEqual(170);
    // Every arrival's ${seq} once: the union of the segments is the one schedule.
    const seqs = agent.hits.filter((h) => h.startsWith('GET /g/')).map((h) => Number(h.slice(7))).sort((a, b) => a - b);
    const dups = seqs.filter((s, i) => i > 0 && seqs[i - 1] === s);
    const missing = seqs.length ? Array.from({ length: seqs[seqs.length - 1]! + 1 }, (_s, i) => i).filter((i) => !seqs.includes(i)) : [];
    expect(seqs, `${seqs.length} arrivals; duplicated ${JSON.stringify(dups)}, missing ${JSON.stringify(missing)}; ${run.report.reasons.join('; ')}`).toEqual(seqs.map((_s, i) => i));
  }, 60_000);

  it('an agent by url that is not ready in time is an environment error (exit 3), not a verdict', async () => {
    const notReady = await serve((_req, res) => json(res, 503, { ok: false }));
    const scenario = load(`name: attach-down
agents:
  - { name: front, url: "${notReady.url}", readiness: { http: /healthz, timeout: 1s } }
edges: []
phases: [{ name: steady, duration: 1s }]
`);
    const run = await runScenarioDetailed(scenario, { outDir: path.join(out, 'down') });
    expect(run.report.verdict).toBe('error');
    expect(isAgentcheckError(run.error) && run.error.code).toBe('environment');
    expect(String((run.error as Error).message)).toMatch(/attached at .* is not ready: GET .*\/healthz did not answer 2xx/);
  }, 30_000);
});

async function remoteProxy(): Promise<ProxyServer> {
  const p = await startProxyServer({ host: '127.0.0.1', port: 0 });
  proxies.push(p);
  return p;
}

async function listToxics(api: string, name: string): Promise<unknown[]> {
  const res = await fetch(`${api}/proxies/${name}/toxics`);
  return (await res.json()) as unknown[];
}

describe('edge proxies beside the team', () => {
  it('applies faults through the remote API, collects its records, and leaves no toxic behind', async () => {
    const api = await remoteProxy();
    const back = await serve((_req, res) => json(res, 200, { ok: true }));
    // The deployment's proxy for front -> back, made before the run (as a deploy recipe would).
    const made = await fetch(`${api.url}/proxies`, { method: 'POST', body: JSON.stringify({ name: 'front_to_back', listen: '127.0.0.1:0', upstream: `127.0.0.1:${back.port}`, enabled: true, protocol: 'http' }) });
    const proxy = (await made.json()) as { listen: string };
    const front = await serve(forwarder(() => `http://${proxy.listen}`));
    const scenario = load(`name: attach-edge
agents:
  - { name: front, url: "${front.url}", readiness: { http: /healthz } }
  - { name: back, url: "${back.url}" }
edges:
  - { from: front, to: back, proxy: { api: "${api.url}", name: front_to_back, upstream: "127.0.0.1:${back.port}" } }
phases:
  - { name: calm, duration: 1500ms }
  - name: broken
    duration: 1500ms
    faults: [{ edge: front->back, type: http_error, attributes: { status: 503 } }]
load: { target: front, rate: 20, requests: [{ method: POST, path: /order, body: { id: "\${uuid}" } }] }
slo: [{ budget: "error_rate < 5%", phases: [broken] }]
`);
    const run = await runScenarioDetailed(scenario, { outDir: path.join(out, 'edge'), seed: '2' });
    // The fault reached the deployment's proxy: the broken phase fails its budget (exit 1).
    expect(run.report.verdict, run.report.reasons.join('; ')).toBe('fail');
    const edge = run.report.edges?.find((e) => e.edge === 'front->back');
    expect(edge?.requests ?? 0).toBeGreaterThan(20);
    expect(run.journal.some((e) => e.fired && e.type === 'http_error')).toBe(true);
    // Removed at the end (listed through the API), and the proxy it found is left in place.
    expect(await listToxics(api.url, 'front_to_back')).toEqual([]);
    expect((await fetch(`${api.url}/proxies/front_to_back`)).status).toBe(200);
  }, 60_000);

  it('creates a missing proxy from listen and upstream, and deletes it at the end', async () => {
    const api = await remoteProxy();
    const back = await serve((_req, res) => json(res, 200, { ok: true }));
    const scenario = load(`name: attach-create
agents:
  - { name: front, command: [node, -e, "require('http').createServer((q,s)=>{fetch(process.env.BACK_URL+'/x').then(r=>{s.statusCode=r.status;s.end()},()=>{s.statusCode=502;s.end()})}).listen(+process.env.PORT,'127.0.0.1')"] }
  - { name: back, url: "${back.url}" }
edges:
  - { from: front, to: back, env: BACK_URL, proxy: { api: "${api.url}", name: made_by_run, listen: "127.0.0.1:0" } }
phases:
  - name: slow
    duration: 2s
    faults: [{ edge: front->back, type: latency, attributes: { latency: 50 } }]
load: { target: front, rate: 10, requests: [{ method: GET, path: / }] }
detectors: { traces: false }
`);
    const run = await runScenarioDetailed(scenario, { outDir: path.join(out, 'create'), seed: '3' });
    expect(['pass', 'invalid'], run.report.reasons.join('; ')).toContain(run.report.verdict);
    // Every call went through the created proxy with the latency toxic on: ≥ 50 ms each.
    const p50 = run.report.phases?.[0]?.latency?.p50 ?? 0;
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(back.hits.length).toBeGreaterThan(5);
    expect((await fetch(`${api.url}/proxies/made_by_run`)).status).toBe(404);
  }, 60_000);

  it('a missing proxy with nothing to create it from is an environment error', async () => {
    const api = await remoteProxy();
    const back = await serve((_req, res) => json(res, 200, {}));
    const front = await serve((_req, res) => json(res, 200, {}));
    const scenario = load(`name: attach-missing
agents:
  - { name: front, url: "${front.url}" }
  - { name: back, url: "${back.url}" }
edges:
  - { from: front, to: back, proxy: { api: "${api.url}", name: nowhere } }
phases: [{ name: p, duration: 1s }]
`);
    const run = await runScenarioDetailed(scenario, { outDir: path.join(out, 'missing') });
    expect(run.report.verdict).toBe('error');
    expect(String((run.error as Error).message)).toContain("there is no proxy 'nowhere'");
  }, 30_000);
});
