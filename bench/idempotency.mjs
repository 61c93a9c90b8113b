// Benchmark (issue 7): property runs per second of the black-box idempotency checker against the
// local payments agent (goal ≥ 200/s for a simple POST), next to the raw sequential request rate
// the same client reaches against the same agent. Both sides run in this one process run.
// Needs `npm run build`.
//
//   node bench/idempotency.mjs [--runs 300] [--rounds 3]
//
// "Simple POST" means the agent answers without its artificial processing delay
// (PAYMENTS_DELAY_MS=0); the default 5 ms delay is measured too, since it bounds every run that
// charges (one charge per run at least, so ≤ 200 runs/s by construction).
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkHttpIdempotency } from '../dist/idempotency/black-box.js';
import { HttpClient } from '../dist/idempotency/http-target.js';
import { loadIdempotencySpec } from '../dist/idempotency/spec.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const runs = arg('runs', 300);
const rounds = arg('rounds', 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const GOAL = 200;

function startPayments(delayMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'scenarios/team/payments.mjs')], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', PAYMENTS_DELAY_MS: String(delayMs) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    const onData = (chunk) => {
      buf += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(buf);
      if (m) {
        // Keep draining the request log so the agent never blocks on a full pipe.
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ url: m[1], stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) });
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`payments exited early (${code})`)));
  });
}

/** Raw side: sequential POSTs with fresh keys through the checker's own client. */
async function rawPostsPerSecond(url, n) {
  const client = new HttpClient(url);
  const body = { orderId: 'order-bench', amount: 100, currency: 'EUR' };
  await client.request('POST', '/reset');
  const t = performance.now();
  for (let i = 0; i < n; i++) await client.request('POST', '/charges', { 'Idempotency-Key': `raw-${i}` }, body);
  const rate = n / ((performance.now() - t) / 1000);
  client.close();
  return rate;
}

/** Checker side: property runs per second (runs / wall time of the property, shrinking excluded: it passes). */
async function propertyRunsPerSecond(url, spec, properties, seed) {
  const r = await checkHttpIdempotency(spec, { target: url, runs, seed, properties });
  if (r.status !== 'passed') throw new Error(`the correct agent did not pass: ${JSON.stringify(r.properties.map((p) => [p.property, p.summary]))}`);
  const total = r.properties.reduce((s, p) => s + p.runs, 0);
  const ms = r.properties.reduce((s, p) => s + p.durationMs, 0);
  return { rate: total / (ms / 1000), perProperty: Object.fromEntries(r.properties.map((p) => [p.property, p.runs / (p.durationMs / 1000)])) };
}

const spec = await loadIdempotencySpec(path.join(root, 'scenarios/idempotency/payments.yaml'));
console.log(`machine: ${os.cpus().length} cpus, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${runs} runs per property, median of ${rounds} rounds`);

for (const delayMs of [0, 5]) {
  const agent = await startPayments(delayMs);
  try {
    await rawPostsPerSecond(agent.url, 100); // warm-up: JIT, sockets
    const raw = [];
    const dup = [];
    const all = [];
    let perProperty = {};
    for (let i = 0; i < rounds; i++) {
      raw.push(await rawPostsPerSecond(agent.url, runs));
      dup.push((await propertyRunsPerSecond(agent.url, spec, ['duplicate-delivery'], i + 1)).rate);
      const a = await propertyRunsPerSecond(agent.url, spec, spec.properties, i + 1);
      all.push(a.rate);
      perProperty = a.perProperty;
    }
    const label = delayMs === 0 ? 'simple POST (PAYMENTS_DELAY_MS=0)' : `default agent (PAYMENTS_DELAY_MS=${delayMs})`;
    const d = median(dup);
    console.log(`\n${label}`);
    console.log(`  raw sequential POST /charges:         ${median(raw).toFixed(0)} req/s`);
    console.log(`  duplicate-delivery property runs:     ${d.toFixed(0)} runs/s  (goal ≥ ${GOAL}/s: ${d >= GOAL ? 'MET' : 'MISSED'}, ratio ${(d / GOAL).toFixed(2)}×)`);
    console.log(`  all six properties, runs/s overall:   ${median(all).toFixed(0)} runs/s`);
    console.log(`  ratio property runs / raw requests:   ${(d / median(raw)).toFixed(2)} (a run is reset + probe + 2–4 POSTs + probe)`);
    console.log(`  per property (last round): ${Object.entries(perProperty).map(([k, v]) => `${k} ${v.toFixed(0)}/s`).join(', ')}`);
  } finally {
    await agent.stop();
  }
}
