#!/usr/bin/env node
/**
 * Load driver benchmark: `node bench/load.mjs [--quick] [--full] [--soak-seconds N] [--soak-only]`
 * (after `npm run build`).
 *
 * 1. Overhead: requests/s and CPU per request of agentcheck's driver vs raw autocannon against the
 *    same local target (a child process), in one run, alternating sides. The closed model is the
 *    like-for-like comparison (both are autocannon underneath; ours adds per-request ids, an
 *    Idempotency-Key, a traceparent, HDR recording and history). The open model is compared on CPU
 *    per request at a fixed rate with autocannon's `overallRate`. Goal: ≥ 0.95× req/s.
 * 2. Accuracy: p50 against a target with a fixed 50 ms delay (goal: within 1 ms of 50 ms).
 * 1c. Workflows: CPU per workflow of a JSON-RPC call whose answer is read and judged (JSON-RPC
 *    error, MCP isError, A2A task) vs a plain request, at the same fixed rate against the same
 *    target process, alternating (the plain path must not pay for the protocol-aware one).
 * 3. Memory: a soak at 1,000 req/s (90 s by default, `--full` for 10 minutes); RSS after the first
 *    30 s (60 s with --full) vs at the end. Goal: growth ≤ 20 MB.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createLoadDriver } from '../dist/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const full = args.includes('--full');
const soakOnly = args.includes('--soak-only');
const soakArg = args.indexOf('--soak-seconds');
const soakSeconds = soakArg >= 0 ? Number(args[soakArg + 1]) : full ? 600 : quick ? 20 : 90;
const overheadSeconds = quick ? 3 : 6;

/** Starts the target in a child process: `delayMs` before each answer. */
async function startTarget(delayMs) {
  const child = fork(fileURLToPath(import.meta.url), ['--target', String(delayMs)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (c) => reject(new Error(`target exited ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill() };
}

if (args[0] === '--target') {
  const http = await import('node:http');
  const delay = Number(args[1]);
  // A precise delay: a timer to 2 ms short of it, then a short spin, so the target answers at
  // 50.0x ms and the benchmark measures the generator's accuracy, not Node's timer slack.
  const rpc = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}';
  const server = http.createServer((req, res) => {
    const due = performance.now() + delay;
    req.resume();
    // POST: a JSON-RPC answer (the protocol-aware path); GET: plain text.
    const send = () => (req.method === 'POST' ? res.writeHead(200, { 'content-type': 'application/json' }).end(rpc) : res.end('ok'));
    const spin = () => (performance.now() >= due ? send() : setImmediate(spin));
    if (delay > 0) setTimeout(spin, Math.max(0, delay - 2));
    else send();
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
}

function cpuMs(start) {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

async function rawAutocannon(url, opts) {
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ url, duration: overheadSeconds, ...opts });
  const cpu = cpuMs(cpu0);
  const n = r.requests.total;
  return { reqPerSec: n / r.duration, requests: n, cpuMsPerReq: cpu / Math.max(1, n), p50: r.latency.p50, errors: r.errors + r.non2xx };
}

async function ours(url, opts, seconds = overheadSeconds) {
  const cpu0 = process.cpuUsage();
  const d = createLoadDriver({ seed: 'bench', ...opts, target: opts.target ?? { url } });
  await d.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const res = await d.stop();
  const cpu = cpuMs(cpu0);
  const p = res.phases[0];
  return {
    reqPerSec: p.requests / (res.durationMs / 1000),
    requests: p.requests,
    cpuMsPerReq: cpu / Math.max(1, p.requests),
    p50: p.latency?.p50 ?? null,
    errors: p.errors,
    valid: res.validity.valid,
    late: res.generator.lateFraction,
    sendDelayP50: res.generator.p50LatenessMs,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x, d = 1) => (x === null || x === undefined ? 'n/a' : Number(x).toFixed(d));

async function main() {
  console.log(`agentcheck load benchmark (node ${process.version}, ${quick ? 'quick' : full ? 'full' : 'default'})\n`);

  if (!soakOnly) {
    await overheadAndAccuracy();
  }
  await soak();
}

async function overheadAndAccuracy() {
  // 1. Overhead, closed model: alternate sides so machine noise hits both.
  const fast = await startTarget(0);
  try {
    const rounds = quick ? 1 : 3;
    const raw = [];
    const mine = [];
    for (let i = 0; i < rounds; i++) {
      raw.push(await rawAutocannon(fast.url, { connections: 10 }));
      mine.push(await ours(fast.url, { model: 'closed', connections: 10 }));
    }
    const rawRps = median(raw.map((r) => r.reqPerSec));
    const ourRps = median(mine.map((r) => r.reqPerSec));
    console.log('1a. overhead, closed model, 10 connections, fast target (median of', rounds, 'rounds of', overheadSeconds, 's)');
    console.log(`    raw autocannon : ${f(rawRps, 0)} req/s, ${f(median(raw.map((r) => r.cpuMsPerReq * 1000)), 1)} µs CPU/req   rounds: ${raw.map((r) => f(r.reqPerSec, 0)).join(', ')}`);
    console.log(`    agentcheck     : ${f(ourRps, 0)} req/s, ${f(median(mine.map((r) => r.cpuMsPerReq * 1000)), 1)} µs CPU/req   rounds: ${mine.map((r) => f(r.reqPerSec, 0)).join(', ')}`);
    console.log(`    ratio          : ${f(ourRps / rawRps, 3)}× req/s (goal ≥ 0.95×)\n`);

    // 1b. Open model at a fixed rate: CPU per request vs autocannon's overallRate.
    const rate = quick ? 500 : 1000;
    const rawRate = await rawAutocannon(fast.url, { connections: 10, overallRate: rate });
    const ourRate = await ours(fast.url, { model: 'open', rate });
    console.log(`1b. fixed rate ${rate} req/s, fast target (${overheadSeconds} s)`);
    console.log(`    raw autocannon overallRate: ${f(rawRate.reqPerSec, 0)} req/s sent, ${f(rawRate.cpuMsPerReq * 1000, 1)} µs CPU/req`);
    console.log(`    agentcheck open model     : ${f(ourRate.reqPerSec, 0)} req/s sent, ${f(ourRate.cpuMsPerReq * 1000, 1)} µs CPU/req, late ${f(ourRate.late * 100, 2)}%, valid ${ourRate.valid}`);
    console.log(`    CPU per request ratio     : ${f(ourRate.cpuMsPerReq / rawRate.cpuMsPerReq, 2)}× of autocannon's\n`);

    // 1c. The protocol-aware path (body read and classified) vs a plain request, alternating.
    const body = JSON.stringify({ jsonrpc: '2.0', id: '${seq}', method: 'tools/call', params: { name: 'x', arguments: {} } });
    const plain = [];
    const judged = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      plain.push(await ours(fast.url, { model: 'open', rate }));
      judged.push(await ours(fast.url, { model: 'open', rate, target: { url: fast.url, body, headers: { 'Content-Type': 'application/json' } } }));
    }
    const plainCpu = median(plain.map((r) => r.cpuMsPerReq * 1000));
    const judgedCpu = median(judged.map((r) => r.cpuMsPerReq * 1000));
    console.log(`1c. workflows at ${rate}/s, fast target: plain GET vs JSON-RPC tools/call whose answer is read and judged`);
    console.log(`    plain request (body skipped)   : ${f(plainCpu, 1)} µs CPU/workflow   rounds: ${plain.map((r) => f(r.cpuMsPerReq * 1000, 1)).join(', ')}`);
    console.log(`    JSON-RPC (body read, judged)   : ${f(judgedCpu, 1)} µs CPU/workflow   rounds: ${judged.map((r) => f(r.cpuMsPerReq * 1000, 1)).join(', ')}`);
    console.log(`    ratio                          : ${f(judgedCpu / plainCpu, 2)}×\n`);
  } finally {
    fast.stop();
  }

  // 2. Accuracy against a fixed 50 ms delay.
  const slow = await startTarget(50);
  try {
    const open = await ours(slow.url, { model: 'open', rate: 100 }, quick ? 3 : 6);
    const closed = await ours(slow.url, { model: 'closed', connections: 10 }, quick ? 3 : 6);
    const raw = await rawAutocannon(slow.url, { connections: 10 });
    console.log('2.  accuracy, target with a fixed 50 ms delay (p50, goal within 1 ms)');
    console.log(`    agentcheck open model 100 req/s : p50 ${f(open.p50, 3)} ms (error ${f(open.p50 - 50, 3)} ms), send delay p50 ${f(open.sendDelayP50, 3)} ms, late ${f(open.late * 100, 2)}%`);
    console.log(`    agentcheck closed model 10 conn : p50 ${f(closed.p50, 3)} ms (error ${f(closed.p50 - 50, 3)} ms)`);
    console.log(`    raw autocannon 10 conn          : p50 ${f(raw.p50, 3)} ms (whole milliseconds)\n`);
  } finally {
    slow.stop();
  }

}

async function soak() {
  // 3. Memory soak.
  const soakTarget = await startTarget(1);
  try {
    const settleSeconds = full ? 60 : Math.min(30, Math.floor(soakSeconds / 3));
    global.gc?.();
    const d = createLoadDriver({ target: { url: soakTarget.url }, model: 'open', rate: 1000, seed: 'soak', phaseDurationMs: soakSeconds * 1000 });
    await d.start();
    const samples = [];
    const t0 = Date.now();
    let settled = null;
    while (Date.now() - t0 < soakSeconds * 1000) {
      await new Promise((r) => setTimeout(r, 5000));
      const s = Math.round((Date.now() - t0) / 1000);
      global.gc?.();
      const rss = process.memoryUsage().rss / 1048576;
      samples.push([s, rss]);
      if (settled === null && s >= settleSeconds) settled = rss;
    }
    const res = await d.stop();
    const end = samples.at(-1)[1];
    console.log(`3.  memory soak, open model 1000 req/s for ${soakSeconds} s (${res.phases[0].requests} requests, late ${f(res.generator.lateFraction * 100, 2)}%)`);
    console.log(`    RSS MB every 5 s: ${samples.map(([, r]) => f(r, 0)).join(' ')}`);
    console.log(`    RSS after ${settleSeconds} s: ${f(settled, 1)} MB, at end: ${f(end, 1)} MB, growth ${f(end - settled, 1)} MB (goal ≤ 20 MB)`);
  } finally {
    soakTarget.stop();
  }
}

if (args[0] !== '--target') await main();
