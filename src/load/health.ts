/**
 * Is the load generator itself trustworthy? A generator that fell behind its schedule, dropped
 * arrivals or ran out of CPU measures itself, not the target, so the run is invalid (exit 4).
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** Limits beyond which the generator's measurements are not trusted. */
export interface HealthLimits {
  /** An arrival sent more than this after its intended start is late (default 10 ms). */
  lateToleranceMs?: number;
  /** Largest tolerated share of late arrivals (default 0.01 = 1 %). */
  maxLateFraction?: number;
  /** Largest tolerated event-loop utilisation of the generator over the run (default 0.95). */
  maxEventLoopUtilization?: number;
}

/** The generator's own figures over a run. */
export interface GeneratorStats {
  model: 'open' | 'closed';
  /** Arrivals the schedule asked for (open model) or requests sent (closed model). */
  arrivals: number;
  sent: number;
  /** Arrivals sent more than `lateToleranceMs` after their intended start. */
  late: number;
  lateFraction: number;
  lateToleranceMs: number;
  /** Worst, median and 99th-percentile send delay behind the schedule, ms (open model). */
  maxLatenessMs: number;
  p50LatenessMs: number;
  p99LatenessMs: number;
  /** Arrivals never sent because `maxInFlight` requests were already outstanding. */
  dropped: number;
  maxInFlight: number;
  inFlightPeak: number;
  /** Requests still outstanding when a closed-model run stopped (not in the latency record). */
  abandoned: number;
  /** Process CPU time over wall time, percent of one core (GC threads included). */
  cpuPercent: number;
  /** Share of wall time the event loop was busy (0..1). */
  eventLoopUtilization: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Achieved send rate over the run, per second. */
  achievedRate: number;
}

/** Whether the generator kept up, with the reasons when it did not. */
export interface Validity {
  valid: boolean;
  reasons: string[];
}

/** Samples CPU, event-loop utilisation and delay between `start()` and `stop()`. */
export class ResourceMonitor {
  private cpu0 = process.cpuUsage();
  private elu0: EventLoopUtilization = performance.eventLoopUtilization();
  private t0 = performance.now();
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  start(): void {
    this.cpu0 = process.cpuUsage();
    this.elu0 = performance.eventLoopUtilization();
    this.t0 = performance.now();
    this.delay.reset();
    this.delay.enable();
  }

  stop(): { cpuPercent: number; eventLoopUtilization: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number } {
    this.delay.disable();
    const wallMs = Math.max(1, performance.now() - this.t0);
    const cpu = process.cpuUsage(this.cpu0);
    const elu = performance.eventLoopUtilization(this.elu0);
    // The delay monitor's own timer resolution (10 ms) is included in its figures; subtract it.
    const ns2ms = (ns: number): number => Math.max(0, ns / 1e6 - 10);
    const samples = this.delay.count;
    return {
      cpuPercent: round1(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
      eventLoopUtilization: Math.round(elu.utilization * 1000) / 1000,
      eventLoopDelayP99Ms: samples > 0 ? round1(ns2ms(this.delay.percentile(99))) : 0,
      eventLoopDelayMaxMs: samples > 0 ? round1(ns2ms(this.delay.max)) : 0,
    };
  }
}

/** Judges the generator's figures against `limits` (defaults: 10 ms, 1 %, 0.95). */
export function judgeGenerator(stats: GeneratorStats, limits: HealthLimits = {}): Validity {
  const maxLate = limits.maxLateFraction ?? 0.01;
  const maxElu = limits.maxEventLoopUtilization ?? 0.95;
  const reasons: string[] = [];
  if (stats.model === 'open' && stats.arrivals > 0 && stats.lateFraction > maxLate) {
    reasons.push(
      `the load generator fell behind: ${pct(stats.lateFraction)} of arrivals were sent more than ${stats.lateToleranceMs} ms late ` +
        `(tolerance ${pct(maxLate)}; worst ${round1(stats.maxLatenessMs)} ms)`,
    );
  }
  if (stats.dropped > 0) {
    reasons.push(`the load generator dropped ${stats.dropped} arrivals: ${stats.maxInFlight} requests were already in flight (raise maxInFlight, or the target is not answering)`);
  }
  if (stats.eventLoopUtilization > maxElu) {
    reasons.push(
      `the load generator saturated its CPU: event loop busy ${pct(stats.eventLoopUtilization)} of the time (limit ${pct(maxElu)}), ` +
        `so its latencies include its own queueing`,
    );
  }
  return { valid: reasons.length === 0, reasons };
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
