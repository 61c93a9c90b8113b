// Benchmark: verifying the reference team's pacts (pacts/) through `agentcheck contracts verify`
// (the library call the command makes: start each provider from the scenario, verify, stop) vs
// calling Pact's own Verifier directly on the same pacts against providers started by hand, with
// hand-written state handlers and a message provider. One run each; prints raw figures and the
// ratio of verification time (provider start-up excluded on both sides).
//
//   npm run build && node bench/contracts.mjs
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Verifier } from '@pact-foundation/pact';
import { loadStateHandlers, verifyContracts } from '../dist/index.js';
import { loadScenarioFile } from '../dist/scenario/load.js';
import { startProcessAgent, allocatePort } from '../dist/scenario/runtimes/process.js';

process.env.PACT_DO_NOT_TRACK ??= 'true';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACTS = path.join(ROOT, 'pacts');
const scenario = await loadScenarioFile(path.join(ROOT, 'scenarios', 'order-fulfilment.yaml'));
const handlers = await loadStateHandlers(path.join(ROOT, 'test', 'contracts', 'team', 'states.ts'));
const pactFor = (name) => path.join(PACTS, name);

// ---- direct: providers started by hand, Pact's Verifier called as its docs show -------------

/** Starts the named agents with the scenario's edges wired (callees first), as a user would by hand. */
async function startAgents(names) {
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await allocatePort()])));
  const url = (n) => `http://127.0.0.1:${ports[n]}`;
  const started = await Promise.all(
    names.map((name) => {
      const a = scenario.agents.find((x) => x.name === name);
      const env = { ...a.env };
      for (const e of scenario.edges) if (e.from === name && ports[e.to]) env[e.env] = url(e.to);
      return startProcessAgent({ name, command: a.command, cwd: a.cwd, env, port: ports[name], readiness: { http: '/healthz' } });
    }),
  );
  return { url, stop: () => Promise.all(started.map((s) => s.stop())) };
}

const post = async (url, body, headers = {}) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
};

async function directVerification() {
  const runs = [];
  // inventory
  {
    const team = await startAgents(['inventory']);
    const t0 = performance.now();
    await new Verifier({
      provider: 'inventory', providerBaseUrl: team.url('inventory'), pactUrls: [pactFor('planner-inventory.json')], logLevel: 'error',
      stateHandlers: { 'no reservation exists for order': () => post(`${team.url('inventory')}/reset`) },
    }).verifyProvider();
    runs.push({ provider: 'inventory', ms: performance.now() - t0 });
    await team.stop();
  }
  // payments
  {
    const team = await startAgents(['payments']);
    const t0 = performance.now();
    await new Verifier({
      provider: 'payments', providerBaseUrl: team.url('payments'), pactUrls: [pactFor('planner-payments.json')], logLevel: 'error',
      stateHandlers: { 'no charge exists for order': () => post(`${team.url('payments')}/reset`) },
    }).verifyProvider();
    runs.push({ provider: 'payments', ms: performance.now() - t0 });
    await team.stop();
  }
  // planner (A2A from intake, and the order.completed event it emits: read back from the notifier)
  {
    const team = await startAgents(['planner', 'inventory', 'payments', 'notifier']);
    let lastOrder;
    const t0 = performance.now();
    await new Verifier({
      provider: 'planner', providerBaseUrl: team.url('planner'), logLevel: 'error',
      pactUrls: [pactFor('intake-planner.json'), pactFor('notifier-planner.json')],
      stateHandlers: {
        'the team can fulfil orders': async () => undefined,
        'an order was completed': async ({ orderId }) => {
          lastOrder = orderId;
          await post(`${team.url('planner')}/a2a`, {
            jsonrpc: '2.0', id: 1, method: 'SendMessage',
            params: { message: { messageId: `bench-${orderId}-${Date.now()}`, role: 'ROLE_USER', parts: [{ data: { orderId, customerId: 'c', items: [{ sku: 's', qty: 1 }], amount: 1250, currency: 'EUR' } }] } },
          }, { 'a2a-version': '1.0' });
        },
      },
      messageProviders: {
        'an order.completed event': async () => {
          const sent = await (await fetch(`${team.url('notifier')}/sent`)).json();
          const { sentAt, ...event } = sent.notifications.find((n) => n.orderId === lastOrder);
          return event;
        },
      },
    }).verifyProvider();
    runs.push({ provider: 'planner', ms: performance.now() - t0 });
    await team.stop();
  }
  return runs;
}

// ---- agentcheck ------------------------------------------------------------------------------

async function agentcheckVerification() {
  const t0 = performance.now();
  const result = await verifyContracts({ pactsDir: PACTS, scenario, stateHandlers: handlers, providerVersion: 'bench' });
  const wall = performance.now() - t0;
  if (result.status !== 'passed') throw new Error(`agentcheck verification did not pass: ${result.status}`);
  return { wall, providers: result.providers.map((p) => ({ provider: p.provider, startMs: p.startMs, verifyMs: p.verifyMs })) };
}

// Untimed warm-up: the first verification in a process loads Pact's native library.
{
  const team = await startAgents(['payments']);
  await new Verifier({
    provider: 'payments', providerBaseUrl: team.url('payments'), pactUrls: [pactFor('planner-payments.json')], logLevel: 'error',
    stateHandlers: { 'no charge exists for order': () => post(`${team.url('payments')}/reset`) },
  }).verifyProvider();
  await team.stop();
}

/** The real CLI, for information: adds two Node start-ups (command and verifier worker) and module loading. */
async function cliVerification() {
  const out = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-bench-'));
  const t0 = performance.now();
  const stdout = await new Promise((resolve, reject) =>
    execFile(process.execPath, [path.join(ROOT, 'bin', 'agentcheck.js'), 'contracts', 'verify', '--scenario', 'scenarios/order-fulfilment.yaml',
      '--state-handlers', 'test/contracts/team/states.ts', '--provider-version', 'bench', '--out', out, '--json'], { cwd: ROOT, maxBuffer: 64 << 20 },
    (err, so) => (err ? reject(err) : resolve(so))));
  const wall = performance.now() - t0;
  await rm(out, { recursive: true, force: true });
  const v = JSON.parse(stdout);
  return { wall, startMs: v.providers.reduce((s, p) => s + p.startMs, 0), verifyMs: v.providers.reduce((s, p) => s + p.verifyMs, 0) };
}

const direct = await directVerification();
const ours = await agentcheckVerification();
const viaCli = await cliVerification();

const directMs = direct.reduce((s, r) => s + r.ms, 0);
const oursVerifyMs = ours.providers.reduce((s, r) => s + r.verifyMs, 0);
const oursStartMs = ours.providers.reduce((s, r) => s + r.startMs, 0);
const oursBeyondStart = ours.wall - oursStartMs;

console.log('\ncontracts bench: the reference team, 4 pacts, 6 interactions, 3 providers (one run each)');
console.log('provider    Pact Verifier direct   agentcheck verify   agentcheck provider start-up');
for (const p of ours.providers) {
  const d = direct.find((r) => r.provider === p.provider);
  console.log(`${p.provider.padEnd(11)} ${d.ms.toFixed(0).padStart(17)} ms ${p.verifyMs.toFixed(0).padStart(16)} ms ${p.startMs.toFixed(0).padStart(26)} ms`);
}
console.log(`total       ${directMs.toFixed(0).padStart(17)} ms ${oursVerifyMs.toFixed(0).padStart(16)} ms ${oursStartMs.toFixed(0).padStart(26)} ms`);
console.log(`agentcheck wall time ${ours.wall.toFixed(0)} ms, of which beyond provider start-up ${oursBeyondStart.toFixed(0)} ms`);
console.log(`ratio (agentcheck beyond start-up / Pact Verifier direct): ${(oursBeyondStart / directMs).toFixed(3)}  (goal ≤ 1.10)`);
console.log(`ratio (verifier time only): ${(oursVerifyMs / directMs).toFixed(3)}`);
console.log(`for information, the CLI process (node bin/agentcheck.js contracts verify --json): wall ${viaCli.wall.toFixed(0)} ms, ` +
  `provider start-up ${viaCli.startMs.toFixed(0)} ms, verifier ${viaCli.verifyMs.toFixed(0)} ms, ` +
  `process start-up and module loading ${(viaCli.wall - viaCli.startMs - viaCli.verifyMs).toFixed(0)} ms`);
