// Benchmark (issue 4): time from `agentcheck scenario run` to the first load request for the
// 5-agent reference team (goal ≤ 1.5 s), and the load rate agentcheck reaches against the entry
// agent vs raw autocannon against the same agent (goal ≥ 0.95×). Both sides run in this one process
// run. Needs `npm run build`.
//
//   node bench/scenario.mjs [--seconds 5] [--connections 20] [--rounds 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadScenarioFile } from '../dist/scenario/load.js';
import { runScenarioDetailed } from '../dist/scenario/runner.js';
import { openChaosBackend } from '../dist/scenario/chaos-backend.js';
import { startTeam } from '../dist/scenario/team.js';

process.env.PACT_DO_NOT_TRACK ??= 'true';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg('seconds', 5);
const connections = arg('connections', 20);
const rounds = arg('rounds', 3);
const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// --- 1. Start-up: CLI process start + in-process time to the first load request. -------------
async function cliStartMs() {
  const t = performance.now();
  await new Promise((resolve) => spawn(process.execPath, [path.join(root, 'bin/agentcheck.js'), '--version'], { stdio: 'ignore' }).on('close', resolve));
  return performance.now() - t;
}

async function timeToFirstRequestMs() {
  const t = performance.now();
  const scenario = await loadScenarioFile(path.join(root, 'scenarios/order-fulfilment.yaml'));
  // Only start-up matters here: one short phase, no warm-up.
  scenario.warmupMs = 0;
  scenario.phases = [{ ...scenario.phases[0], durationMs: 500 }];
  scenario.totalDurationMs = 500;
  scenario.invariants = [];
  scenario.slo = [];
  let first;
  await runScenarioDetailed(scenario, { outDir: path.join(dir, `startup-${Date.now()}`), onFirstRequest: () => (first ??= performance.now() - t) });
  return first;
}

const cli = [];
const ttfr = [];
for (let i = 0; i < rounds; i++) {
  cli.push(await cliStartMs());
  ttfr.push(await timeToFirstRequestMs());
}
const startup = median(cli) + median(ttfr);
console.log(`start-up: CLI start ${median(cli).toFixed(0)} ms + scenario start to first load request ${median(ttfr).toFixed(0)} ms = ${startup.toFixed(0)} ms (goal ≤ 1500 ms) — ${startup <= 1500 ? 'MET' : 'MISSED'}`);

// --- 2. Load rate: agentcheck's driver (closed model, N connections) vs raw autocannon, same entry agent.
const order = (i) => JSON.stringify({ orderId: `bench-${i}-${Math.random().toString(36).slice(2)}`, customerId: 'c', items: [{ sku: 's', qty: 1 }], amount: 100, currency: 'EUR' });

async function rawAutocannon(url) {
  let i = 0;
  const result = await autocannon({
    url: `${url}/orders`,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, headers: { 'content-type': 'application/json', 'idempotency-key': `k-${i}-${Math.random()}` }, body: order(i++) }) }],
  });
  return result.requests.total / seconds;
}

async function agentcheckRate() {
  const file = path.join(dir, 'rate.yaml');
  writeFileSync(file, `
name: rate
agents:
${['intake', 'planner', 'inventory', 'payments', 'notifier'].map((a) => `  - { name: ${a}, command: "node ${root}/scenarios/team/${a}.mjs" }`).join('\n')}
edges:
  - { from: intake, to: planner, env: PLANNER_URL }
  - { from: planner, to: inventory, env: INVENTORY_URL }
  - { from: planner, to: payments, env: PAYMENTS_URL }
  - { from: planner, to: notifier, env: NOTIFIER_URL }
phases: [{ name: load, duration: ${seconds}s }]
load:
  target: intake
  model: closed
  connections: ${connections}
  requests:
    - method: POST
      path: /orders
      body: { orderId: "bench-\${uuid}", customerId: c, items: [{ sku: s, qty: 1 }], amount: 100, currency: EUR }
`);
  const scenario = await loadScenarioFile(file);
  const { report } = await runScenarioDetailed(scenario, { outDir: path.join(dir, `rate-${Date.now()}`) });
  const p = report.phases[0];
  return p.requests / ((p.endMs - p.startMs) / 1000);
}

async function rawRate() {
  // The same team, started the same way, with raw autocannon at the entry agent.
  const scenario = await loadScenarioFile(path.join(root, 'scenarios/order-fulfilment.yaml'));
  const backend = await openChaosBackend(scenario);
  const team = await startTeam(scenario, { client: backend.client });
  try {
    return await rawAutocannon(team.agents.get('intake').url);
  } finally {
    await team.stop();
    await backend.close();
  }
}

const ours = [];
const raw = [];
for (let i = 0; i < rounds; i++) {
  // Alternate the order so neither side always runs on a warmer machine.
  if (i % 2 === 0) {
    raw.push(await rawRate());
    ours.push(await agentcheckRate());
  } else {
    ours.push(await agentcheckRate());
    raw.push(await rawRate());
  }
}
const ratio = median(ours) / median(raw);
console.log(`load rate at the entry agent (${connections} connections, ${seconds} s, median of ${rounds}): agentcheck ${median(ours).toFixed(0)} req/s, raw autocannon ${median(raw).toFixed(0)} req/s, ratio ${ratio.toFixed(2)}× (goal ≥ 0.95×) — ${ratio >= 0.95 ? 'MET' : 'MISSED'}`);
console.log(JSON.stringify({ startupMs: { cli, ttfr }, rate: { ours, raw } }));
