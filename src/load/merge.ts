/**
 * Merging the results of several load generators (generators.ts) into one {@link LoadResult}:
 * counts add, and every latency figure is recomputed from the generators' HDR histograms added
 * together (`JsHistogram.add`), so a merged p99 is the p99 of the union of the recorded values,
 * never an average of percentiles (the problem of k6-operator#413). Phases are matched by name and
 * windows by index: the coordinator gives every generator the same phase marks, so they line up.
 */
import type { LatencySummary, TimePoint } from '../report/model.js';
import type { LoadResult, OutcomeCount } from './driver.js';
import { judgeGenerator, type GeneratorStats, type HealthLimits } from './health.js';
import { createLatencyHistogram, decodeHistogram, encodeHistogram, summarizeHistogram } from './histogram.js';
import { toPhaseReports, type PhaseData, type RecordedSeries, type SpanData, type WindowData } from './recorder.js';

/** The sum of `spans` (the same span of time in each generator): counts added, histograms added. */
export function mergeSpans<T extends SpanData>(spans: readonly T[]): SpanData {
  const first = spans[0]!;
  const h = createLatencyHistogram();
  let requests = 0;
  let errors = 0;
  let timeouts = 0;
  for (const s of spans) {
    requests += s.requests;
    errors += s.errors;
    timeouts += s.timeouts;
    if (s.histogram) h.add(decodeHistogram(s.histogram));
  }
  const summary = h.totalCount > 0 ? summarizeHistogram(h) : null;
  // A snapshot's max is its bucket's highest equivalent value; each span's own summary has the
  // exact extremes (from its live histogram), so those are kept.
  const known = spans.flatMap((s) => (s.latency ? [s.latency] : []));
  const latency: LatencySummary | null = summary && known.length > 0
    ? { ...summary, min: Math.min(...known.map((l) => l.min)), max: Math.max(...known.map((l) => l.max)) }
    : summary;
  return {
    startMs: Math.min(...spans.map((s) => s.startMs)),
    endMs: Math.max(first.endMs, ...spans.map((s) => s.endMs)),
    requests,
    errors,
    timeouts,
    latency,
    histogram: h.totalCount > 0 ? encodeHistogram(h) : null,
  };
}

/** Groups items by a key, in first-seen order. */
function groupBy<T>(items: Iterable<T>, key: (t: T) => string | number): Map<string | number, T[]> {
  const out = new Map<string | number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/**
 * Merges one series as several generators recorded it. The merged timeline's p50/p99 (charts
 * only: no budget reads the timeline, and its points carry no histogram) is the worst generator's,
 * an upper bound; its counts are exact.
 */
export function mergeSeries(series: readonly RecordedSeries[]): RecordedSeries {
  const first = series[0]!;
  const phases: PhaseData[] = [...groupBy(series.flatMap((s) => s.phases), (p) => p.name).values()].map((same) => {
    const windows: WindowData[] = [...groupBy(same.flatMap((p) => p.windows), (w) => w.index).values()]
      .map((ws) => ({ ...mergeSpans(ws), index: ws[0]!.index }))
      .sort((a, b) => a.index - b.index);
    const p0 = same[0]!;
    return {
      ...mergeSpans(same),
      name: p0.name,
      ...(p0.plannedDurationMs !== undefined ? { plannedDurationMs: p0.plannedDurationMs } : {}),
      windowMs: p0.windowMs,
      windows,
    };
  });
  const timeline: TimePoint[] = [...groupBy(series.flatMap((s) => s.timeline), (t) => t.tMs).values()]
    .map((points) => ({
      tMs: points[0]!.tMs,
      requests: points.reduce((n, p) => n + p.requests, 0),
      errors: points.reduce((n, p) => n + p.errors, 0),
      p50: worst(points.map((p) => p.p50)),
      p99: worst(points.map((p) => p.p99)),
    }))
    .sort((a, b) => a.tMs - b.tMs);
  return { name: first.name, endMs: Math.max(...series.map((s) => s.endMs)), phases, timeline };
}

function worst(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length > 0 ? Math.max(...known) : null;
}

function mergeOutcomes(lists: readonly OutcomeCount[][]): OutcomeCount[] {
  const out = new Map<string, OutcomeCount>();
  for (const c of lists.flat()) {
    const key = `${c.phase}\u0000${c.workflow}\u0000${c.class}\u0000${c.method ?? ''}`;
    const have = out.get(key);
    if (have) have.count += c.count;
    else out.set(key, { ...c });
  }
  return [...out.values()];
}

/**
 * The generators' health as one: counts add; lateness maxima and percentiles are the worst
 * generator's (each generator's lateness histogram stays in its process), an upper bound; the
 * event loop and CPU figures are the busiest generator's (each ran on its own loop).
 */
function mergeStats(stats: readonly GeneratorStats[], durationMs: number): GeneratorStats {
  const sum = (f: (s: GeneratorStats) => number) => stats.reduce((n, s) => n + f(s), 0);
  const max = (f: (s: GeneratorStats) => number) => Math.max(...stats.map(f));
  const arrivals = sum((s) => s.arrivals);
  const late = sum((s) => s.late);
  const sent = sum((s) => s.sent);
  return {
    model: stats[0]!.model,
    arrivals,
    sent,
    late,
    lateFraction: arrivals > 0 ? late / arrivals : 0,
    lateToleranceMs: stats[0]!.lateToleranceMs,
    maxLatenessMs: max((s) => s.maxLatenessMs),
    p50LatenessMs: max((s) => s.p50LatenessMs),
    p99LatenessMs: max((s) => s.p99LatenessMs),
    dropped: sum((s) => s.dropped),
    maxInFlight: sum((s) => s.maxInFlight),
    inFlightPeak: sum((s) => s.inFlightPeak),
    abandoned: sum((s) => s.abandoned),
    cpuPercent: max((s) => s.cpuPercent),
    eventLoopUtilization: max((s) => s.eventLoopUtilization),
    eventLoopDelayP99Ms: max((s) => s.eventLoopDelayP99Ms),
    eventLoopDelayMaxMs: max((s) => s.eventLoopDelayMaxMs),
    achievedRate: Math.round((sent / Math.max(1e-9, durationMs / 1000)) * 10) / 10,
  };
}

/**
 * One result from several generators' results. `schedule`, `startedAt` and `durationMs` are the
 * coordinator's (the one clock the phases were marked on). Invalid when any generator was, or when
 * the merged figures are (judged again with `limits`).
 */
export function mergeLoadResults(
  results: readonly LoadResult[],
  run: { schedule: LoadResult['schedule']; startedAt: string; durationMs: number; limits?: HealthLimits },
): LoadResult {
  const first = results[0];
  if (!first) throw new Error('mergeLoadResults needs at least one result');
  const names = [...new Set(results.flatMap((r) => Object.keys(r.seriesByName)))];
  const seriesByName: Record<string, RecordedSeries> = {};
  for (const name of names) {
    const parts = results.flatMap((r) => (r.seriesByName[name] ? [r.seriesByName[name]!] : []));
    seriesByName[name] = mergeSeries(parts);
  }
  const series = seriesByName.http ?? mergeSeries(results.map((r) => r.series));
  const workflow = seriesByName.workflow ?? mergeSeries(results.map((r) => r.workflow));
  const generator = mergeStats(results.map((r) => r.generator), run.durationMs);
  const judged = judgeGenerator(generator, run.limits);
  const reasons = [...new Set([...results.flatMap((r, i) => r.validity.reasons.map((why) => `generator ${i + 1} of ${results.length}: ${why}`)), ...judged.reasons])];
  return {
    model: first.model,
    seed: first.seed,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    series,
    workflow,
    seriesByName,
    phases: toPhaseReports(workflow),
    timeline: workflow.timeline,
    outcomes: mergeOutcomes(results.map((r) => r.outcomes)),
    schedule: run.schedule,
    generator,
    validity: { valid: reasons.length === 0 && results.every((r) => r.validity.valid), reasons },
  };
}
