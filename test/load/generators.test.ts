/**
 * Several load generators (src/load/generators.ts, merge.ts): merged histograms are the histogram
 * of the union of the recorded values (property test, through the real recorder), and two
 * generator processes at a total rate R against a fixed-delay target send what one would (the
 * same arrivals, ids and traceparents) with the same p50/p99. Needs `dist/` for the generator
 * program (npm test builds).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { runLoad, type HistoryEvent, type LoadResult } from '../../src/load/driver.js';
import { createGeneratorsDriver } from '../../src/load/generators.js';
import { createLatencyHistogram, decodeHistogram, encodeHistogram, recordMs } from '../../src/load/histogram.js';
import { mergeLoadResults, mergeSeries, mergeSpans } from '../../src/load/merge.js';
import { LatencyRecorder, type Outcome, type RecordedSeries } from '../../src/load/recorder.js';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCommand } from '../../src/cli/commands/load.js';
import { startServer, type TestServer } from './servers.js';

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** Every bucket count of a histogram snapshot (the histogram itself, not a summary of it). */
function counts(encoded: string | null): number[] {
  if (!encoded) return [];
  const h = decodeHistogram(encoded);
  const out: number[] = [];
  for (let i = 0; i < h.countsArrayLength; i++) out.push(h.getCountAtIndex(i));
  while (out.length > 0 && out[out.length - 1] === 0) out.pop();
  return out;
}

const event = fc.record({
  startMs: fc.double({ min: 0, max: 2999, noNaN: true }),
  latencyMs: fc.double({ min: 0.001, max: 5000, noNaN: true }),
  outcome: fc.constantFrom<Outcome>('ok', 'ok', 'error', 'timeout'),
});

function record(events: ReadonlyArray<{ startMs: number; latencyMs: number; outcome: Outcome }>): RecordedSeries {
  const r = new LatencyRecorder({ name: 'workflow', graceMs: 10_000, timelineBucketMs: 500 });
  r.beginPhase('one', 0, 1500);
  let marked = false;
  for (const e of [...events].sort((a, b) => a.startMs - b.startMs)) {
    if (!marked && e.startMs >= 1500) {
      r.beginPhase('two', 1500, 1500);
      marked = true;
    }
    r.record(e.startMs, e.latencyMs, e.outcome);
  }
  if (!marked) r.beginPhase('two', 1500, 1500);
  return r.finish(3000);
}

describe('merged histograms equal the histogram of the union', () => {
  it('mergeSpans: counts and every bucket equal the union, never averaged percentiles', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ min: 0.001, max: 60_000, noNaN: true }), { maxLength: 200 }), { minLength: 1, maxLength: 6 }), (groups) => {
        const union = createLatencyHistogram();
        const spans = groups.map((values) => {
          const h = createLatencyHistogram();
          for (const v of values) {
            recordMs(h, v);
            recordMs(union, v);
          }
          return { startMs: 0, endMs: 1, requests: values.length, errors: 0, timeouts: 0, latency: null, histogram: h.totalCount > 0 ? encodeHistogram(h) : null };
        });
        const merged = mergeSpans(spans);
        expect(merged.requests).toBe(groups.flat().length);
        expect(counts(merged.histogram)).toEqual(counts(union.totalCount > 0 ? encodeHistogram(union) : null));
        if (union.totalCount > 0) expect(merged.latency?.p99).toBe(union.getValueAtPercentile(99) / 1000);
      }),
      { numRuns: 60 },
    );
  });

  it('mergeSeries over real recorders: phases, windows and counts equal one recorder given every event', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 300 }), fc.integer({ min: 2, max: 4 }), (events, n) => {
        const parts = Array.from({ length: n }, (_, g) => record(events.filter((_e, k) => k % n === g)));
        const merged = mergeSeries(parts);
        const whole = record(events);
        expect(merged.phases.map((p) => p.name)).toEqual(whole.phases.map((p) => p.name));
        for (const [i, p] of whole.phases.entries()) {
          const m = merged.phases[i]!;
          expect([m.requests, m.errors, m.timeouts]).toEqual([p.requests, p.errors, p.timeouts]);
          expect(m.latency).toEqual(p.latency);
          expect(counts(m.histogram)).toEqual(counts(p.histogram));
          expect(m.windows.map((w) => [w.index, w.requests, w.errors, counts(w.histogram)])).toEqual(p.windows.map((w) => [w.index, w.requests, w.errors, counts(w.histogram)]));
        }
        expect(merged.timeline.map((t) => [t.tMs, t.requests, t.errors])).toEqual(whole.timeline.map((t) => [t.tMs, t.requests, t.errors]));
      }),
      { numRuns: 60 },
    );
  });
});

async function drive(url: string, generators: number, seed: string): Promise<{ result: LoadResult; history: HistoryEvent[] }> {
  const history: HistoryEvent[] = [];
  const result = await runLoad({
    target: { url: `${url}/work?seq=\${seq}` },
    rate: 100,
    timeoutMs: 5000,
    phases: [{ name: 'steady', durationMs: 4000 }],
    seed,
    // The machine is shared: the generators' own punctuality is not what this test measures.
    limits: { lateToleranceMs: 200, maxLateFraction: 0.5 },
    history: (e) => history.push(e),
    ...(generators > 1 ? { makeDriver: (o) => createGeneratorsDriver({ ...o, generators }) } : {}),
  });
  return { result, history };
}

describe('two generator processes at a total rate R', () => {
  it('send the same arrivals (ids, traceparents) as one, with p50/p99 within 5 % against a fixed-delay target', async () => {
    // 500 ms: a scheduling stall of a few ms on a busy machine stays well inside 5 % of it.
    const target = await startServer(() => ({ delayMs: 500 }));
    servers.push(target);
    const one = await drive(target.url, 1, 'gen-seed');
    const two = await drive(target.url, 2, 'gen-seed');
    const a1 = one.result.generator.arrivals;
    const a2 = two.result.generator.arrivals;
    expect(a1).toBeGreaterThan(380);
    expect(Math.abs(a2 - a1) / a1).toBeLessThanOrEqual(0.01);
    // The union is what one generator sends: the same workflow ids and traceparents per arrival.
    const invokes = (h: HistoryEvent[]) => new Map(h.filter((e) => e.type === 'invoke').map((e) => [e.seq, `${e.key}|${e.traceparent}|${e.workflowId}`]));
    const i1 = invokes(one.history);
    const i2 = invokes(two.history);
    expect(i2.size).toBe(a2);
    const common = [...i2.keys()].filter((k) => i1.has(k));
    expect(common.length / Math.max(i1.size, i2.size)).toBeGreaterThanOrEqual(0.99);
    for (const k of common) expect(i2.get(k)).toBe(i1.get(k));
    // Every arrival completed once, across both processes.
    expect(two.history.filter((e) => e.type !== 'invoke').length).toBe(a2);
    const l1 = one.result.workflow.phases[0]!.latency!;
    const l2 = two.result.workflow.phases[0]!.latency!;
    expect(l1.p50).toBeGreaterThanOrEqual(500);
    expect(Math.abs(l2.p50 - l1.p50) / l1.p50).toBeLessThanOrEqual(0.05);
    expect(Math.abs(l2.p99 - l1.p99) / l1.p99).toBeLessThanOrEqual(0.05);
    expect(two.result.workflow.phases[0]!.requests).toBe(a2);
    expect(two.result.schedule.map((s) => s.name)).toEqual(['steady']);

    // A generator that fell behind invalidates the merged run, even when the other kept up.
    const behind: LoadResult = { ...one.result, validity: { valid: false, reasons: ['the load generator fell behind: 30% of arrivals were sent more than 200 ms late'] } };
    const merged = mergeLoadResults([one.result, behind], { schedule: one.result.schedule, startedAt: one.result.startedAt, durationMs: one.result.durationMs });
    expect(merged.validity.valid).toBe(false);
    expect(merged.validity.reasons).toEqual(['generator 2 of 2: the load generator fell behind: 30% of arrivals were sent more than 200 ms late']);
    expect(mergeLoadResults([one.result, one.result], { schedule: one.result.schedule, startedAt: one.result.startedAt, durationMs: one.result.durationMs }).validity.valid).toBe(one.result.validity.valid);
  }, 120_000);

  it('agentcheck load --generators 2: one report over both processes', async () => {
    const target = await startServer(() => ({ delayMs: 5 }));
    servers.push(target);
    const out = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-generators-'));
    const printed: string[] = [];
    const code = await loadCommand(target.url, { rate: 50, duration: 2000, timeout: 5000, format: ['json'], out, lateTolerance: 200, maxLate: 0.5, generators: 2, budget: ['throughput >= 30/s'], seed: 's' }, { stdout: (t) => printed.push(t), stderr: (t) => printed.push(t) });
    expect(code, printed.join('')).toBe(0);
    expect(target.received()).toBeGreaterThanOrEqual(95);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { phases: Array<{ requests: number }> };
    expect(report.phases[0]!.requests).toBe(target.received());
  }, 60_000);

  it('a generator killed mid-run makes the run invalid, with what the others measured', async () => {
    const target = await startServer(() => ({ delayMs: 5 }));
    servers.push(target);
    const driver = createGeneratorsDriver({ target: { url: `${target.url}/k` }, rate: 50, generators: 2, seed: 'kill', limits: { lateToleranceMs: 200, maxLateFraction: 0.5 } });
    await driver.start();
    await new Promise((r) => setTimeout(r, 500));
    // The generator processes are this process's children running generator-process.js.
    const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('generator-process.js');
      } catch {
        return false;
      }
    });
    expect(children).toHaveLength(2);
    process.kill(Number(children[0]), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    const result = await driver.stop();
    expect(result.validity.valid).toBe(false);
    expect(result.validity.reasons[0]).toMatch(/^load generator [12] of 2 failed: load generator [12] exited \(SIGKILL\)/);
    expect(result.generator.arrivals).toBeGreaterThan(30);
  }, 60_000);

  it('refuses several generators with the closed model (no shared schedule)', () => {
    expect(() => createGeneratorsDriver({ target: { url: 'http://127.0.0.1:1/' }, model: 'closed', generators: 2 })).toThrow(/open model/);
  });
});
