// Runs every benchmark in bench/ one after another (they compete for the same 2 cores, so never
// in parallel) and prints their output. `npm run bench` builds first.
//   node bench/run-all.mjs [name ...]    e.g. node bench/run-all.mjs proxy http-proxy
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
// heap-diff.mjs is a tool (it compares two snapshots it is given), not a benchmark.
const all = readdirSync(dir).filter((f) => f.endsWith('.mjs') && f !== 'run-all.mjs' && f !== 'heap-diff.mjs').sort();
const chosen = wanted.length > 0 ? all.filter((f) => wanted.includes(f.replace(/\.mjs$/, ''))) : all;
let failed = 0;
for (const file of chosen) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, [path.join(dir, file)], { stdio: 'inherit', env: { ...process.env, PACT_DO_NOT_TRACK: 'true' } });
  if (r.status !== 0) {
    failed++;
    console.log(`(${file} exited with ${r.status ?? r.signal})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
