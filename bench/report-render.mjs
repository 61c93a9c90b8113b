// Report rendering cost: a one-hour run (3,600 one-second buckets, 12 phases, 40 budgets, 20 edges,
// 500 generic checks) rendered to all four formats and written with writeReports, against the floor of
// JSON.stringify + writeFile of the same report. Prints the ratio and the raw figures.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { renderHtml } from '../dist/report/html.js';
import { renderJson } from '../dist/report/json.js';
import { renderJunit } from '../dist/report/junit.js';
import { renderMarkdown } from '../dist/report/markdown.js';
import { writeReports } from '../dist/report/write.js';

function lat(p50, p99, count) {
  return { count, min: p50 / 3, mean: p50 * 1.1, p50, p90: p99 * 0.7, p95: p99 * 0.85, p99, p999: p99 * 1.4, max: p99 * 2 };
}

function bigReport() {
  const phases = Array.from({ length: 12 }, (_, i) => ({
    name: `phase-${i}`,
    startMs: i * 300_000,
    endMs: (i + 1) * 300_000,
    faults: i % 2 ? [{ edge: `a${i}->b${i}`, type: 'latency', name: `lat-${i}` }] : [],
    requests: 60_000,
    errors: 12 * i,
    timeouts: i,
    latency: lat(20 + i, 90 + 10 * i, 60_000),
    throughput: 200,
  }));
  const timeline = Array.from({ length: 3600 }, (_, i) => ({ tMs: i * 1000, requests: 200, errors: i % 97 === 0 ? 3 : 0, p50: 20 + (i % 13), p99: 80 + (i % 41) * 3 }));
  return {
    version: 1,
    tool: { name: 'agentcheck', version: 'bench' },
    kind: 'scenario',
    title: 'one-hour soak',
    startedAt: new Date(0).toISOString(),
    durationMs: 3_600_000,
    verdict: 'fail',
    reasons: ['budget breached'],
    agents: Array.from({ length: 8 }, (_, i) => ({ name: `agent-${i}`, runtime: 'process', status: 'stopped', readyMs: 200 })),
    phases,
    budgets: Array.from({ length: 40 }, (_, i) => ({
      expression: 'p(99) < 300ms', metric: 'http.latency', scope: `phase-${i % 12}`, status: i % 7 ? 'pass' : 'fail',
      measured: 100 + i, objective: 300, unit: 'ms', samples: 60_000, burnRate: 0.5, maxWindowBurnRate: 2,
    })),
    invariants: Array.from({ length: 10 }, (_, i) => ({ name: `inv-${i}`, kind: 'http', when: 'end', status: 'pass', details: { checked: i } })),
    edges: Array.from({ length: 20 }, (_, i) => ({ edge: `a${i}->b${i}`, protocol: 'http', requests: 720_000, errors: i, latency: lat(3, 12, 720_000), traceparentPropagated: 1, faultsFired: { latency: 1000 * i } })),
    checks: Array.from({ length: 500 }, (_, i) => ({ suite: 'idempotency', name: `case ${i}`, status: i % 50 ? 'pass' : 'fail', message: `message ${i}` })),
    timeline,
    faultWindows: phases.filter((p) => p.faults.length).map((p) => ({ startMs: p.startMs, endMs: p.endMs, label: `latency on ${p.faults[0].edge}` })),
  };
}

function time(fn, runs) {
  fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - t0) / runs;
}

const report = bigReport();
const runs = 20;
const floor = time(() => JSON.stringify(report, null, 2), runs);
const each = {
  json: time(() => renderJson(report), runs),
  junit: time(() => renderJunit(report), runs),
  markdown: time(() => renderMarkdown(report), runs),
  html: time(() => renderHtml(report), runs),
};
const sizes = { json: renderJson(report).length, junit: renderJunit(report).length, markdown: renderMarkdown(report).length, html: renderHtml(report).length };

const dir = mkdtempSync(join(tmpdir(), 'agentcheck-bench-'));
try {
  let t0 = performance.now();
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, `plain-${i}.json`), JSON.stringify(report, null, 2));
  const plainWrite = (performance.now() - t0) / 5;
  t0 = performance.now();
  for (let i = 0; i < 5; i++) await writeReports(report, join(dir, `run-${i}`));
  const allWrite = (performance.now() - t0) / 5;
  const render = Object.values(each).reduce((a, b) => a + b, 0);
  console.log('report rendering, one-hour run (3,600 buckets, 500 checks)');
  for (const [k, v] of Object.entries(each)) console.log(`  ${k.padEnd(9)} ${v.toFixed(2).padStart(8)} ms   ${(sizes[k] / 1024).toFixed(0).padStart(5)} KiB`);
  console.log(`  JSON.stringify floor ${floor.toFixed(2)} ms`);
  console.log(`  all four renders ÷ JSON.stringify: ${(render / floor).toFixed(1)}×`);
  console.log(`  writeReports (4 files, atomic) ${allWrite.toFixed(2)} ms vs one plain JSON write ${plainWrite.toFixed(2)} ms: ${(allWrite / plainWrite).toFixed(1)}×`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
