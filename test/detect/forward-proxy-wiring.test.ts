/**
 * The forward proxy wired into a real process-runtime run: a started agent finds its own listener
 * in HTTP_PROXY (its edges in NO_PROXY), a call to its declared edge is forwarded through it, a call
 * to an outside host is refused and fails the topology check; the scenario's own proxy variables are
 * kept; `detectors: { topology: false }` gives no forward proxy at all.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { okServer, root } from '../scenario/agents.js';

/**
 * argv (JSON) of an agent that sends two calls through $HTTP_PROXY, writes its proxy env and the
 * answers to $OUT, and only then listens: once it is ready, the file is there.
 */
const caller = JSON.stringify([
  'node',
  '-e',
  `const http=require('http'),fs=require('fs');const keys=['HTTP_PROXY','HTTPS_PROXY','http_proxy','https_proxy','NO_PROXY','no_proxy'];` +
    `const via=(url)=>new Promise((ok)=>{const p=process.env.HTTP_PROXY;if(!p)return ok('no proxy');const u=new URL(p);` +
    `const q=http.request({host:u.hostname,port:u.port,path:url,headers:{host:new URL(url).host}},(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>ok(r.statusCode+' '+b.trim()))});q.on('error',(e)=>ok(String(e)));q.end()});` +
    // The callee starts beside it: the declared call is retried (at most 100 × 50 ms) until it answers.
    `(async()=>{let first;for(let i=0;i<100;i++){first=await via(process.env.CALLEE_URL+'/ping');if(first.startsWith('200'))break;await new Promise((r)=>setTimeout(r,50))}` +
    `const answers=[first,await via('http://outside.example/x')];` +
    `fs.writeFileSync(process.env.OUT,JSON.stringify({env:Object.fromEntries(keys.map((k)=>[k,process.env[k]??null])),answers}));` +
    `http.createServer((q,s)=>s.end('ok')).listen(+process.env.PORT,process.env.HOST)})()`,
]);

const scenario = (out: string, extra: string) => `
name: forward-proxy-wiring
seed: 1
agents:
  - { name: caller, command: ${caller}, readiness: { http: /healthz }, env: { OUT: "${out}"${extra} } }
  - { name: callee, command: ${okServer}, readiness: { tcp: true } }
edges: [{ from: caller, to: callee, env: CALLEE_URL }]
phases: [{ name: p, duration: 1s }]
`;

async function run(extraEnv: string, detectors = '') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-forward-proxy-'));
  const out = path.join(dir, 'caller.json');
  const { report } = await runScenarioDetailed(parseScenarioText(scenario(out, extraEnv) + detectors, { baseDir: root }), { outDir: path.join(dir, 'run') });
  const seen = JSON.parse(readFileSync(out, 'utf8')) as { env: Record<string, string | null>; answers: string[] };
  return { report, seen, topology: report.checks.filter((c) => c.suite === 'detector: topology') };
}

describe('forward proxy in a process-runtime run', () => {
  it('gives each started agent its listener, forwards its declared edge and fails the outside call', async () => {
    const { report, seen, topology } = await run('');
    expect(seen.env.HTTP_PROXY).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(seen.env.https_proxy).toBe(seen.env.HTTP_PROXY);
    expect(seen.env.NO_PROXY).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.answers).toEqual(['200 {"ok":true}', '403 agentcheck: caller may call only its declared edges; outside.example:80 is not one']);
    const check = topology.find((c) => c.name === 'caller')!;
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/^caller asked for outside\.example:80, which is not a declared edge of caller \(seen by the forward proxy 1×/);
    expect(topology.find((c) => c.name === 'callee')).toMatchObject({ status: 'pass', message: expect.stringMatching(/forward proxy: 0 forwarded/) });
    expect(report.verdict).toBe('fail');
  }, 60_000);

  it("keeps the scenario's own proxy variables and says so", async () => {
    const { seen, topology } = await run(', NO_PROXY: "*"');
    expect(seen.env.NO_PROXY).toBe('*');
    expect(seen.env.no_proxy).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(topology.find((c) => c.name === 'caller')!.message).toMatch(/its scenario env sets NO_PROXY, kept as given/);
  }, 60_000);

  it('topology: false starts no forward proxy and adds no topology check', async () => {
    const { seen, topology } = await run('', 'detectors: { topology: false }\n');
    expect(seen.env.HTTP_PROXY).toBe(process.env.HTTP_PROXY ?? null);
    expect(topology).toEqual([]);
  }, 60_000);
});
