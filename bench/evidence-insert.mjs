// Benchmark (issue 11, item 5): the evidence store's write path against DuckDB's. Inserts the same
// hop rows (19 columns, as the `hops` table) into SQLite through the evidence store (better-sqlite3,
// WAL, batched transactions, two indexes) and into DuckDB through its node API's appender, and
// prints rows/s, file size and RSS growth of each, in one process run (DuckDB second, so its native
// memory does not count against SQLite). DuckDB is not a dependency of agentcheck; install it
// anywhere and point at it, else only SQLite is measured:
//
//   npm install --prefix /tmp/duck @duckdb/node-api
//   node bench/evidence-insert.mjs [--rows 300000] [--duckdb /tmp/duck/node_modules/@duckdb/node-api]
// Needs `npm run build`.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openEvidenceStore } from '../dist/evidence/store.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const rows = Number(arg('rows', '300000'));
const duckPath = arg('duckdb', undefined);
const MB = 1024 * 1024;
const hex = (n, w) => n.toString(16).padStart(w, '0');
const t0 = Date.now();
const record = (i) => ({
  seq: i + 1, proxy: 'a_to_b', requestId: `${i}.1`, time: new Date(t0 + i).toISOString(), method: 'POST', path: '/a2a', jsonrpcMethod: 'message/send',
  traceparent: `00-${hex(i + 1, 32)}-${hex(i + 7, 16)}-01`, status: 200, upstreamStatus: 200, latencyMs: 10 + (i % 50), outcome: 'complete', faults: [],
});
const dirSize = (dir) => readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);

async function sqlite() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-insert-sqlite-'));
  const rss0 = process.memoryUsage().rss;
  const store = openEvidenceStore(dir);
  store.registerEdge('a->b', 'a_to_b', 'http');
  const start = performance.now();
  for (let i = 0; i < rows; i++) store.hop('a->b', record(i));
  store.flush();
  const ms = performance.now() - start;
  const rss = process.memoryUsage().rss - rss0;
  // The store builds its indexes once, at the end of the run: timed apart from the inserts.
  const f = performance.now();
  await store.finish();
  const finishMs = performance.now() - f;
  await store.close();
  const size = dirSize(dir);
  rmSync(dir, { recursive: true, force: true });
  return { name: 'sqlite (better-sqlite3, evidence store)', ms, size, rss, note: `, then finish() (indexes, attempts) ${finishMs.toFixed(0)} ms` };
}

async function duckdb() {
  const { DuckDBInstance } = await import(pathToFileURL(path.join(path.resolve(duckPath), 'lib', 'index.js')).href);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-insert-duckdb-'));
  const rss0 = process.memoryUsage().rss;
  const instance = await DuckDBInstance.create(path.join(dir, 'evidence.duckdb'));
  const c = await instance.connect();
  await c.run(`CREATE TABLE hops (edge VARCHAR, proxy VARCHAR, record_seq BIGINT, request_id VARCHAR, copy_of VARCHAR, time VARCHAR, start_ms DOUBLE,
    latency_ms DOUBLE, method VARCHAR, path VARCHAR, jsonrpc_method VARCHAR, traceparent VARCHAR, trace_id VARCHAR, parent_span VARCHAR,
    idempotency_key VARCHAR, status INTEGER, upstream_status INTEGER, outcome VARCHAR, faults VARCHAR)`);
  const start = performance.now();
  const a = await c.createAppender('hops');
  const v = (s) => (s === null || s === undefined ? a.appendNull() : a.appendVarchar(s));
  for (let i = 0; i < rows; i++) {
    const r = record(i);
    v('a->b'); v(r.proxy); a.appendBigInt(BigInt(r.seq)); v(r.requestId); v(null); v(r.time); a.appendDouble(Date.parse(r.time));
    a.appendDouble(r.latencyMs); v(r.method); v(r.path); v(r.jsonrpcMethod); v(r.traceparent); v(r.traceparent.slice(3, 35)); v(r.traceparent.slice(36, 52));
    v(null); a.appendInteger(r.status); a.appendInteger(r.upstreamStatus); v(r.outcome); v('[]');
    a.endRow();
  }
  a.flushSync();
  a.closeSync();
  const ms = performance.now() - start;
  const rss = process.memoryUsage().rss - rss0;
  c.closeSync();
  instance.closeSync();
  const size = dirSize(dir);
  rmSync(dir, { recursive: true, force: true });
  return { name: 'duckdb (@duckdb/node-api appender)', ms, size, rss };
}

console.log(`evidence insert: ${rows} hop rows`);
const results = [await sqlite()];
if (duckPath) results.push(await duckdb());
else console.log('(DuckDB not measured: pass --duckdb <path of an installed @duckdb/node-api>)');
for (const r of results) {
  console.log(`${r.name.padEnd(40)} ${(rows / (r.ms / 1000)).toFixed(0).padStart(9)} rows/s  file ${(r.size / MB).toFixed(1)} MB  rss +${(r.rss / MB).toFixed(1)} MB${r.note ?? ''}`);
}
if (results.length === 2) console.log(`ratio (sqlite rows/s / duckdb rows/s): ${(results[1].ms / results[0].ms).toFixed(2)}×`);
