// Benchmark (issue 12): the reference buggy scenario (a payments agent that ignores
// Idempotency-Key) shrinks to a single fault decision in ≤ 10 reruns and ≤ 3 minutes, every
// rerun an exact replay, and the written regression file fails the same way 3/3 from another
// folder. Prints the original run's time, the shrink's reruns and time, and the regression
// file's duration. Needs `npm run build`.
//
//   node bench/shrink.mjs [--seed 42]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../dist/scenario/load.js';
import { runScenarioDetailed } from '../dist/scenario/runner.js';
import { JOURNAL_FILE, readJournalFile } from '../dist/scenario/journal-file.js';
import { describeDecision, shrinkRun } from '../dist/scenario/shrink.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--seed');
const seed = i > 0 ? process.argv[i + 1] : '42';
const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-bench-shrink-'));
const scenario = await loadScenarioFile(path.join(root, 'scenarios/order-fulfilment-buggy.yaml'));

const t0 = performance.now();
const original = (await runScenarioDetailed(scenario, { outDir: path.join(dir, 'original'), seed })).report;
const originalS = (performance.now() - t0) / 1000;
console.log(`original run: ${original.verdict.toUpperCase()} in ${originalS.toFixed(1)} s (seed ${seed})`);
if (original.verdict !== 'fail') {
  console.log('the reference buggy scenario did not fail: nothing to shrink');
  process.exit(1);
}
const journal = await readJournalFile(path.join(dir, 'original', JOURNAL_FILE));
const runTimes = [];
const result = await shrinkRun(
  scenario,
  original,
  journal,
  dir,
  async (s, label) => {
    const t = performance.now();
    const r = (await runScenarioDetailed(s, { outDir: path.join(dir, 'runs', label), seed })).report;
    runTimes.push({ label, s: (performance.now() - t) / 1000, verdict: r.verdict });
    return r;
  },
  { log: (line) => console.log(line) },
);
const shrinkS = result.elapsedMs / 1000;
for (const r of runTimes) console.log(`  ${r.label.padEnd(12)} ${r.s.toFixed(1).padStart(5)} s  ${r.verdict}`);
console.log(`decisions: ${result.decisions.length} → ${result.minimal.length}${result.oneMinimal ? ' (1-minimal)' : ''}: ${result.minimal.map(describeDecision).join('; ')}`);
if (result.workload) console.log(result.workload);
console.log(`regression file: ${result.file}; from another folder it failed the same way ${result.verified?.failed ?? 0}/${result.verified?.runs ?? 0}`);
const single = result.minimal.length === 1;
const ok = single && result.reruns <= 10 && shrinkS <= 180 && result.verified?.failed === 3;
console.log(`shrink: ${result.reruns} reruns (goal ≤ 10), ${shrinkS.toFixed(1)} s (goal ≤ 180 s), single decision: ${single ? 'yes' : 'no'} → ${ok ? 'met' : 'NOT met'}`);
process.exit(ok ? 0 : 1);
