// Benchmark (issue 11, item 5; the end-of-run peak): heap the judge stage holds for a long run's
// hops. Goal: the judge reads the evidence store without building a second copy of every hop.
//
// One run measures both sides, each in its own child process (`--expose-gc`, so retained heap is
// measured after a full collection), on the same synthetic evidence: W workflows of H hops each
// (default 300,000 × 3: 500 workflows/s for 10 minutes), written to a fresh evidence store.
//   before: what the judge did until this change: every hop record read from the store into a map
//           by edge (kept for the whole judge stage), tail attribution on in-memory lists (every
//           completion and every hop), the detectors' hop view built from the map.
//   after:  the judge now: tail attribution as one store query, the detectors' hop view streamed
//           from the store's rows (src/scenario/stages/judge.ts, detectors.ts).
// Each side prints its peak retained heap above the store-filled baseline and the time its reads
// took; the parent prints both and their ratio. Needs `npm run build`.
//
//   node bench/judge-memory.mjs [--workflows 300000] [--hops 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const workflows = Number(arg('workflows', '300000'));
const hopsPer = Number(arg('hops', '3'));
const side = arg('side', undefined);
const MB = 1024 * 1024;

if (side) await child(side);
else parent();

function parent() {
  const results = {};
  for (const s of ['before', 'after']) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', self, '--side', s, '--workflows', String(workflows), '--hops', String(hopsPer)], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`side ${s} failed (${r.status ?? r.signal}):\n${r.stderr}`);
      process.exit(1);
    }
    results[s] = JSON.parse(r.stdout.trim().split('\n').pop());
  }
  const { before, after } = results;
  console.log(`judge-memory: ${workflows} workflows × ${hopsPer} hops (${before.hops} hop rows)`);
  for (const s of [before, after]) {
    console.log(`  ${s.side.padEnd(6)} peak retained ${(s.peakBytes / MB).toFixed(1)} MB (${Object.entries(s.steps).map(([k, v]) => `${k} ${(v / MB).toFixed(1)}`).join(', ')}), reads ${(s.readMs / 1000).toFixed(2)} s; tail: ${s.slow} slow, top edge ${s.topEdge}`);
  }
  console.log(`  peak ratio after/before: ${(after.peakBytes / before.peakBytes).toFixed(3)}; read time ratio: ${(after.readMs / before.readMs).toFixed(2)}`);
  if (before.slow !== after.slow || before.topEdge !== after.topEdge || before.detectorHops !== after.detectorHops) {
    console.error('the two sides disagree on what they judged');
    process.exit(1);
  }
}

async function child(which) {
  const { openEvidenceStore } = await import('../dist/evidence/store.js');
  const { StoreEvidence } = await import('../dist/evidence/run-evidence.js');
  const { attributeTail } = await import('../dist/load/attribution.js');
  const { hopsFromRecords } = await import('../dist/detect/hops.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-bench-judge-'));
  const store = openEvidenceStore(dir);
  const edges = Array.from({ length: hopsPer }, (_, i) => `a${i}->a${i + 1}`);
  edges.forEach((e, i) => store.registerEdge(e, `a${i}_to_a${i + 1}`, 'http'));
  const hex = (n, w) => n.toString(16).padStart(w, '0');
  const epoch0 = Date.now();
  const rate = 500;
  for (let seq = 0; seq < workflows; seq++) {
    const tMs = (seq / rate) * 1000;
    const traceparent = `00-${hex(seq + 1, 32)}-${hex(seq + 1, 16)}-01`;
    const key = `key-${seq}`;
    store.record({ type: 'invoke', key, seq, traceparent, phase: 'steady', tMs, workflow: 'order', workflowId: `uuid-${seq}` }, 'main');
    // One slow workflow in 100, its time mostly on the last edge.
    const slow = seq % 100 === 0;
    const latencyMs = slow ? 400 : 20 + (seq % 7);
    store.record({ type: 'ok', key, seq, traceparent, phase: 'steady', tMs: tMs + latencyMs, latencyMs, outcome: 'completed', steps: 1, requests: 1, status: 200, workflow: 'order', workflowId: `uuid-${seq}` }, 'main');
    edges.forEach((edge, i) => {
      const hopLatency = slow && i === hopsPer - 1 ? 350 : Math.max(1, latencyMs - i * 5);
      store.hop(edge, {
        seq: seq + 1, proxy: `a${i}_to_a${i + 1}`, requestId: `${seq}.${i}`, time: new Date(epoch0 + tMs + i).toISOString(), method: 'POST', path: '/a2a',
        jsonrpcMethod: 'message/send', traceparent: `00-${hex(seq + 1, 32)}-${hex(seq * 8 + i + 1, 16)}-01`, status: 200, upstreamStatus: 200,
        latencyMs: hopLatency, outcome: 'complete', faults: [], idempotencyKey: key, bodyHash: hex(seq, 16), tool: null, retryAfter: null,
      });
    });
  }
  store.setDriverOrigin('main', epoch0);
  await store.finish();
  const evidence = new StoreEvidence(store);
  const retained = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  const base = retained();
  const steps = {};
  let readMs = 0;
  const timed = (fn) => {
    const t = performance.now();
    const v = fn();
    readMs += performance.now() - t;
    return v;
  };
  const phases = [{ name: 'steady', startMs: 0 }];
  let tail;
  let hops;
  if (which === 'before') {
    // Collect: every record into a map by edge, held by `Collected.records` for the judge stage.
    const records = timed(() => {
      const out = new Map();
      for (const { edge, ...r } of store.hopRecords()) {
        const list = out.get(edge);
        if (list) list.push(r);
        else out.set(edge, [r]);
      }
      return out;
    });
    steps.records = retained() - base;
    // Tail attribution on lists: every completion, every hop with a trace.
    tail = timed(() => {
      const ws = [];
      for (const e of evidence.completions()) if (e.latencyMs !== undefined) ws.push({ traceparent: e.traceparent, latencyMs: e.latencyMs, id: e.key, startMs: epoch0 + e.tMs - e.latencyMs, endMs: epoch0 + e.tMs });
      const hs = [];
      for (const [edge, list] of records) for (const r of list) if (r.traceparent && r.copyOf === undefined) hs.push({ edge, traceparent: r.traceparent, latencyMs: r.latencyMs, startMs: Date.parse(r.time), status: r.status });
      steps.tailLists = retained() - base;
      return attributeTail(ws, hs, { percentile: 99 });
    });
    hops = timed(() => hopsFromRecords((function* () { for (const [edge, list] of records) for (const r of list) yield { ...r, edge }; })(), phases, new Date(epoch0).toISOString()));
    steps.detectorHops = retained() - base;
    void records.size;
  } else {
    tail = timed(() => store.tailAttribution({ series: 'workflow', percentile: 99 }));
    steps.tail = retained() - base;
    hops = timed(() => hopsFromRecords(store.hopRecords(), phases, new Date(epoch0).toISOString()));
    steps.detectorHops = retained() - base;
  }
  const peakBytes = Math.max(...Object.values(steps));
  const out = { side: which, hops: store.stats().hops, detectorHops: hops.length, slow: tail.slow, topEdge: tail.edges[0]?.edge ?? null, peakBytes, steps, readMs };
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out) + '\n');
}
