// Benchmark (issue 8): time to the first load request for the 5-agent reference team
// (scenarios/order-fulfilment.yaml) in containers vs as local processes: from "start the team"
// to the team ready and one order through intake → planner → inventory/payments/notifier
// answered. Goal ≤ 6 s in containers. Both sides run in this one process run; images are built
// (or found up to date) first and that time is printed separately, then every round includes
// the runtime's own cached-image check. Needs `npm run build` and a Docker engine.
//
//   node bench/containers.mjs [--rounds 3]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../dist/scenario/load.js';
import { openChaosBackend } from '../dist/scenario/chaos-backend.js';
import { startTeam } from '../dist/scenario/team.js';
import { checkDockerEngine, runLeftovers, startContainerTeam } from '../dist/scenario/runtimes/containers.js';
import { buildBaseImage } from '../dist/images/base.js';
import { buildProxyImage } from '../dist/images/proxy-image.js';
import { buildTeamImage } from '../dist/images/team-image.js';

process.env.PACT_DO_NOT_TRACK ??= 'true';
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--rounds');
const rounds = i > 0 ? Number(process.argv[i + 1]) : 3;
const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-bench-containers-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const scenarioFile = path.join(root, 'scenarios/order-fulfilment.yaml');

async function firstOrder(intakeUrl) {
  const orderId = `bench-${randomUUID()}`;
  const res = await fetch(`${intakeUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ orderId, customerId: 'c', items: [{ sku: 'sku-1', qty: 1 }], amount: 1999, currency: 'EUR' }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  if (res.status >= 400) throw new Error(`first order answered ${res.status}`);
}

async function processRound() {
  const scenario = await loadScenarioFile(scenarioFile);
  const t = performance.now();
  const backend = await openChaosBackend(scenario, { seed: '42' });
  const team = await startTeam(scenario, { client: backend.client, logDir: path.join(dir, `p-${Date.now()}`) });
  const ready = performance.now() - t;
  try {
    await firstOrder(team.agents.get('intake').url);
    return { ready, first: performance.now() - t };
  } finally {
    await team.stop();
    await backend.close();
  }
}

async function containerRound(engine) {
  const scenario = await loadScenarioFile(scenarioFile);
  const runId = `bench-${Date.now().toString(36)}`;
  const t = performance.now();
  const team = await startContainerTeam(scenario, { runId, seed: '42', engine, logDir: path.join(dir, runId) });
  const ready = performance.now() - t;
  try {
    await firstOrder(team.agentUrls.get('intake'));
    return { ready, first: performance.now() - t };
  } finally {
    const s = performance.now();
    await team.stop();
    const stopMs = performance.now() - s;
    const left = await runLeftovers(runId, engine);
    if (!left.empty) throw new Error(`run ${runId} left ${JSON.stringify(left)}`);
    containerStops.push(stopMs);
  }
}

const containerStops = [];
const engine = await checkDockerEngine();
let t = performance.now();
const base = await buildBaseImage(engine.docker, { engineArchitecture: engine.architecture });
const proxy = await buildProxyImage(engine.docker);
const teamImage = await buildTeamImage(engine.docker);
const built = [base, proxy, teamImage].filter((r) => r.built).map((r) => r.tag);
console.log(`images: ${built.length ? `built ${built.join(', ')}` : 'all up to date'} in ${(performance.now() - t).toFixed(0)} ms (not counted below)`);

const proc = [];
const cont = [];
for (let r = 0; r < rounds; r++) {
  proc.push(await processRound());
  cont.push(await containerRound(engine));
}
const pReady = median(proc.map((x) => x.ready));
const pFirst = median(proc.map((x) => x.first));
const cReady = median(cont.map((x) => x.ready));
const cFirst = median(cont.map((x) => x.first));
console.log(`processes:  team ready ${pReady.toFixed(0)} ms, first order answered ${pFirst.toFixed(0)} ms   (rounds: ${proc.map((x) => x.first.toFixed(0)).join(', ')})`);
console.log(`containers: team ready ${cReady.toFixed(0)} ms, first order answered ${cFirst.toFixed(0)} ms   (rounds: ${cont.map((x) => x.first.toFixed(0)).join(', ')}); stop + cleanup ${median(containerStops).toFixed(0)} ms`);
console.log(`ratio containers/processes (time to first request): ${(cFirst / pFirst).toFixed(1)}x — containers ${cFirst <= 6000 ? 'MET' : 'MISSED'} the ≤ 6000 ms goal`);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
