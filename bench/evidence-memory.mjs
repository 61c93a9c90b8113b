// Benchmark (issue 11, item 5): memory of a run's evidence. Goal: RSS growth ≤ 50 MB between
// minute 1 and minute 10 at 500 workflows/s with 3 hops each, with the evidence going to the
// SQLite evidence store (src/evidence) through its records sink.
//
// One run measures both sides, each in its own child process (RSS is per process), at the same
// time and with the same synthetic producer:
//   store:  driver events -> store.record(); hop records appended to real proxy record buffers
//           (EdgeRecords, 10,000 each, as in the proxy) that the in-process sink drains into
//           evidence.sqlite; 1 fault decision per 10 workflows through the journal the same way.
//   memory: the same events and records kept in arrays, as the runner kept driver events
//           before the store (and as hop records would have to be kept to not lose any).
// Prints RSS at minute 1 and at the end, the growth of each side and their ratio.
//
// `--scenario`: the same two sides through the real runner instead of the synthetic producer:
// a 4-agent chain (3 hops, node:http servers written by this bench) behind the embedded proxy,
// driven by `runScenarioDetailed` at the rate, once with the store behind the RunEvidence seam
// (StoreEvidence, the runner's default) and once with MemoryEvidence, one after the other (each its own
// process). The runner attaches the records sink itself, so the store side streams every hop too.
// `--side store --scenario` runs the store side alone and prints its JSON line.
// `--heap-snapshots DIR` (with `--side ... --scenario`): writes a V8 heap snapshot at minute 1 and at
// the last sample (`first.heapsnapshot`, `last.heapsnapshot`) to compare what grew, e.g. with
// bench/heap-diff.mjs. Writing one stalls the run for seconds and inflates RSS: a run with snapshots
// is for finding what grows, not for the figures.
// Needs `npm run build`.
//
//   node bench/evidence-memory.mjs [--minutes 10] [--rate 500] [--hops 3] [--scenario] [--heap-snapshots DIR]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const minutes = Number(arg('minutes', '10'));
const rate = Number(arg('rate', '500'));
const hopsPer = Number(arg('hops', '3'));
const side = arg('side', undefined);
const scenarioMode = process.argv.includes('--scenario');
const heapSnapshots = arg('heap-snapshots', undefined);
const GOAL_MB = 50;
const MB = 1024 * 1024;

const totalMs = minutes * 60_000;
// Minute 1 for a run of 2 minutes or more; a tenth of a shorter (smoke) run.
const firstMs = minutes >= 2 ? 60_000 : totalMs / 10;

if (side) await (scenarioMode ? scenarioChild(side) : child(side));
else await parent();

async function parent() {
  console.log(`evidence memory: ${rate} workflows/s × ${hopsPer} hops for ${minutes} min; RSS at ${(firstMs / 60_000).toFixed(2)} min and at the end (goal: store growth ≤ ${GOAL_MB} MB)`);
  const run = (name) =>
    new Promise((resolve, reject) => {
      const args = ['--expose-gc', self, '--side', name, '--minutes', String(minutes), '--rate', String(rate), '--hops', String(hopsPer), ...(scenarioMode ? ['--scenario'] : [])];
      const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PACT_DO_NOT_TRACK: 'true' } });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('error', reject);
      p.on('exit', (code) => {
        const line = out.trim().split('\n').pop();
        if (code !== 0 || !line) reject(new Error(`${name} side exited ${code}: ${out}`));
        else resolve(JSON.parse(line));
      });
    });
  // Scenario mode: one after the other (each side starts a team and drives it at the full rate).
  const [store, memory] = scenarioMode ? [await run('store'), await run('memory')] : await Promise.all([run('store'), run('memory')]);
  const row = (r) =>
    `${r.side.padEnd(7)} rss ${(r.rssFirst / MB).toFixed(1).padStart(7)} MB -> ${(r.rssEnd / MB).toFixed(1).padStart(7)} MB  growth ${(r.growth / MB).toFixed(1).padStart(7)} MB` +
    `  heap ${(r.heapFirst / MB).toFixed(1)} -> ${(r.heapEnd / MB).toFixed(1)} MB  ${r.workflows} workflows (${(r.workflows / (r.elapsedMs / 1000)).toFixed(0)}/s), ${r.hops} hops` +
    (r.fileBytes !== undefined ? `, evidence.sqlite ${(r.fileBytes / MB).toFixed(1)} MB, lost ${r.lost}, process cpu ${(r.cpuMs / 1000).toFixed(1)} s` : '') +
    (r.maxRss !== undefined ? `, peak rss ${(r.maxRss / MB).toFixed(1)} MB` : '') +
    (r.generator ? `; driver: ${r.generator.achievedRate}/s achieved, ${((r.generator.lateFraction ?? 0) * 100).toFixed(2)} % late, ${r.generator.dropped ?? 0} dropped, ${r.generator.validity?.valid === false ? `INVALID (${r.generator.validity.reasons.join('; ')})` : 'kept up'}` : '');
  console.log(row(store));
  console.log(row(memory));
  const ratio = memory.growth / Math.max(store.growth, 1 * MB);
  console.log(`ratio (memory growth / store growth, store floored at 1 MB): ${ratio.toFixed(1)}×`);
  console.log(`${store.growth <= GOAL_MB * MB ? 'MET' : 'MISSED'}: store RSS growth ${(store.growth / MB).toFixed(1)} MB ${store.growth <= GOAL_MB * MB ? '≤' : '>'} ${GOAL_MB} MB`);
  if (!scenarioMode && (store.lost !== 0 || store.hops !== store.workflows * hopsPer)) {
    console.log(`LOSS: the store holds ${store.hops} hops of ${store.workflows * hopsPer}, ${store.lost} reported lost`);
    process.exitCode = 1;
  }
}

async function child(which) {
  const { EdgeRecords } = await import('../dist/chaos/http/records.js');
  const { FaultJournal } = await import('../dist/chaos/journal.js');
  const edges = Array.from({ length: hopsPer }, (_, i) => ({ edgeId: `agent${i}->agent${i + 1}`, proxyName: `agent${i}_to_agent${i + 1}`, protocol: 'http' }));
  let dir;
  let store;
  let sink;
  const events = [];
  const hopLists = edges.map(() => []);
  // The proxy's own buffers are bounded either way; the store side reads them through the sink.
  const buffers = new Map(edges.map((e) => [e.proxyName, { records: new EdgeRecords(10_000), journal: new FaultJournal(10_000) }]));
  if (which === 'store') {
    const { openEvidenceStore } = await import('../dist/evidence/store.js');
    dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-bench-evidence-'));
    store = openEvidenceStore(dir);
    for (const e of edges) store.registerEdge(e.edgeId, e.proxyName, 'http');
    sink = store.attachSource({ kind: 'in-process', buffersOf: (name) => buffers.get(name) }, edges);
  }
  const record = which === 'store' ? (e) => store.record(e, 'main') : (e) => events.push({ ...e, driver: 'main' });

  const hex = (n, w) => n.toString(16).padStart(w, '0');
  const t0 = performance.now();
  const epoch0 = performance.timeOrigin + t0;
  let produced = 0;
  const inFlight = [];
  const sample = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed };
  };
  let first;
  const cpu0 = process.cpuUsage();
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now() - t0;
      // Workflows answered 20 ms after they started: complete them, with their hops.
      while (inFlight.length > 0 && inFlight[0].tMs + 20 <= now) {
        const w = inFlight.shift();
        const latencyMs = 20 + (w.seq % 7);
        record({ ...w, type: w.seq % 50 === 0 ? 'info' : 'ok', tMs: now, latencyMs, outcome: w.seq % 50 === 0 ? 'failed' : 'completed', steps: 1, requests: 1, status: 200, extracted: { taskId: `task-${w.seq}` } });
        edges.forEach((e, i) => {
          const b = buffers.get(e.proxyName);
          const tp = `00-${w.trace}-${hex(w.seq * 8 + i + 1, 16)}-01`;
          const r = {
            proxy: e.proxyName, requestId: `${w.seq}.${i}`, time: new Date(epoch0 + w.tMs + i).toISOString(), method: 'POST', path: '/a2a',
            jsonrpcMethod: 'message/send', traceparent: tp, status: 200, upstreamStatus: 200, latencyMs: latencyMs - i * 5, outcome: 'complete', faults: [],
          };
          if (which === 'store') b.records.append(r);
          else hopLists[i].push({ ...r, seq: w.seq + 1 });
          if (i === 0 && w.seq % 10 === 0) {
            const d = { proxy: e.proxyName, toxic: 'drop_some', type: 'drop', requestId: r.requestId, method: 'POST', path: '/a2a', jsonrpcMethod: 'message/send', traceparent: tp, ordinal: w.seq / 10, fired: w.seq % 100 === 0, outcome: w.seq % 100 === 0 ? 'drop:status:503' : 'probability' };
            if (which === 'store') b.journal.append(d);
            else hopLists[i].push(d);
          }
        });
      }
      if (now >= totalMs) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor((now / 1000) * rate);
      for (; produced < due; produced++) {
        const seq = produced;
        const w = { key: `key-${seq}`, seq, traceparent: `00-${hex(seq + 1, 32)}-${hex(seq + 1, 16)}-01`, trace: hex(seq + 1, 32), phase: now < totalMs / 2 ? 'steady' : 'fault', tMs: (seq / rate) * 1000, workflow: 'order', workflowId: `uuid-${seq}` };
        record({ type: 'invoke', key: w.key, seq, traceparent: w.traceparent, phase: w.phase, tMs: w.tMs, workflow: w.workflow, workflowId: w.workflowId });
        inFlight.push(w);
      }
      if (!first && now >= firstMs) first = sample();
      if (process.env.EVIDENCE_BENCH_TRACE && Math.floor(now / 10_000) !== Math.floor((now - 10) / 10_000)) {
        const m = process.memoryUsage();
        process.stderr.write(`${which} ${(now / 1000).toFixed(0)}s rss ${(m.rss / MB).toFixed(1)} heap ${(m.heapUsed / MB).toFixed(1)}/${(m.heapTotal / MB).toFixed(1)} external ${(m.external / MB).toFixed(1)} MB\n`);
      }
    }, 10);
  });
  const elapsedMs = performance.now() - t0;
  const end = sample();
  const cpu = process.cpuUsage(cpu0);
  const out = { side: which, rssFirst: first.rss, rssEnd: end.rss, growth: end.rss - first.rss, heapFirst: first.heap, heapEnd: end.heap, elapsedMs, workflows: 0, hops: 0 };
  if (which === 'store') {
    await sink.read();
    await store.finish();
    out.workflows = store.db.prepare('SELECT count(*) AS n FROM workflows WHERE history_type IS NOT NULL').get().n;
    out.hops = store.db.prepare('SELECT count(*) AS n FROM hops').get().n;
    out.lost = store.edgeFigures().lost.records;
    out.cpuMs = (cpu.user + cpu.system) / 1000;
    await store.close();
    out.fileBytes = statSync(path.join(dir, 'evidence.sqlite')).size;
    rmSync(dir, { recursive: true, force: true });
  } else {
    out.workflows = events.filter((e) => e.type !== 'invoke').length;
    out.hops = hopLists.reduce((n, l) => n + l.filter((r) => r.latencyMs !== undefined).length, 0);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** One side of `--scenario`: a real scenario run with the store or the in-memory evidence. */
async function scenarioChild(which) {
  const { scenarioFromValue } = await import('../dist/scenario/load.js');
  const { runScenarioDetailed } = await import('../dist/scenario/runner.js');
  const { StoreEvidence } = await import('../dist/evidence/run-evidence.js');
  const { MemoryEvidence } = await import('../dist/scenario/stages/evidence.js');
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-bench-evidence-scenario-'));
  // Each agent answers POST /work after calling the next one (if any) with the same trace.
  writeFileSync(
    path.join(dir, 'agent.mjs'),
    `import http from 'node:http';
const next = process.env.NEXT_URL;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/healthz' || !next) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); return; }
    const tp = req.headers.traceparent;
    const span = Math.floor(Math.random() * 2 ** 48).toString(16).padStart(16, '0');
    const headers = { 'content-type': 'application/json', 'content-length': '2', ...(tp ? { traceparent: tp.slice(0, 36) + span + tp.slice(52) } : {}) };
    const call = http.request(next + '/work', { method: 'POST', agent, headers }, (r) => { r.resume(); r.on('end', () => { res.writeHead(r.statusCode ?? 502); res.end('{"ok":true}'); }); });
    call.on('error', () => { res.writeHead(502); res.end(); });
    call.end('{}');
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
  );
  const agents = Array.from({ length: hopsPer + 1 }, (_, i) => ({ name: `a${i}`, command: 'node agent.mjs', cwd: dir, readiness: { http: '/healthz', timeout: '10s' } }));
  const edges = Array.from({ length: hopsPer }, (_, i) => ({ from: `a${i}`, to: `a${i + 1}`, env: 'NEXT_URL' }));
  const scenario = scenarioFromValue(
    {
      name: 'evidence-memory',
      seed: 1,
      agents,
      edges,
      phases: [{ name: 'steady', duration: `${Math.round(totalMs)}ms` }],
      load: { target: 'a0', model: 'open', rate, timeout: '2s', requests: [{ method: 'POST', path: '/work', body: { x: 1 } }] },
    },
    { file: path.join(dir, 'scenario.yaml') },
  );
  const outDir = path.join(dir, 'report');
  // The runner's default is the store now; the other side keeps the driver's events in memory.
  const evidence = which === 'store' ? StoreEvidence.open(outDir) : new MemoryEvidence();
  const sample = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed };
  };
  let first;
  let last;
  const t0 = performance.now();
  // Minute 1, and the last second of the drive (the collect stage's end-of-run reads are not growth).
  const snapshot = async (name) => {
    if (!heapSnapshots) return;
    const v8 = await import('node:v8');
    mkdirSync(heapSnapshots, { recursive: true });
    v8.writeHeapSnapshot(path.join(heapSnapshots, `${name}.heapsnapshot`));
  };
  const timers = [
    setTimeout(() => {
      first = sample();
      void snapshot('first');
    }, firstMs),
    setTimeout(() => {
      last = sample();
      void snapshot('last');
    }, Math.max(firstMs + 1, totalMs - 1000)),
  ];
  // EVIDENCE_BENCH_TRACE=1: RSS and heap every 30 s on stderr (no gc: what the process holds);
  // EVIDENCE_BENCH_TRACE=gc: after a full GC (what is live; the GC pauses the run briefly).
  const trace = process.env.EVIDENCE_BENCH_TRACE
    ? setInterval(() => {
        if (process.env.EVIDENCE_BENCH_TRACE === 'gc') globalThis.gc?.();
        const m = process.memoryUsage();
        process.stderr.write(`${which} ${((performance.now() - t0) / 1000).toFixed(0)}s rss ${(m.rss / MB).toFixed(1)} heap ${(m.heapUsed / MB).toFixed(1)}/${(m.heapTotal / MB).toFixed(1)} external ${(m.external / MB).toFixed(1)} MB\n`);
      }, 30_000)
    : undefined;
  const outcome = await runScenarioDetailed(scenario, { outDir }, evidence ? { evidence } : {});
  for (const t of timers) clearTimeout(t);
  clearInterval(trace);
  const phase = outcome.report.phases[0];
  const elapsedMs = performance.now() - t0;
  const end = last ?? sample();
  first ??= end;
  process.stdout.write(
    JSON.stringify({
      side: which, rssFirst: first.rss, rssEnd: end.rss, growth: end.rss - first.rss, heapFirst: first.heap, heapEnd: end.heap, elapsedMs, workflows: phase?.requests ?? 0,
      hops: outcome.report.edges.reduce((n, e) => n + e.requests, 0), verdict: outcome.report.verdict, reasons: outcome.report.reasons.slice(0, 3),
      // Peak RSS of the whole process (the end-of-run checks included), and whether the driver kept up.
      maxRss: process.resourceUsage().maxRSS * 1024, generator: pick(outcome.report.load, ['achievedRate', 'lateFraction', 'p99LatenessMs', 'dropped', 'cpuPercent', 'validity']),
    }) + '\n',
  );
  rmSync(dir, { recursive: true, force: true });
}

function pick(o, keys) {
  return o ? Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]])) : undefined;
}
