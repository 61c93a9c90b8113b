import { describe, expect, it } from 'vitest';
import { judgeGenerator, type GeneratorStats } from '../../src/load/health.js';

const healthy: GeneratorStats = {
  model: 'open',
  arrivals: 10_000,
  sent: 10_000,
  late: 50,
  lateFraction: 0.005,
  lateToleranceMs: 10,
  maxLatenessMs: 14,
  p50LatenessMs: 0,
  p99LatenessMs: 3,
  dropped: 0,
  maxInFlight: 10_000,
  inFlightPeak: 40,
  abandoned: 0,
  cpuPercent: 30,
  eventLoopUtilization: 0.4,
  eventLoopDelayP99Ms: 4,
  eventLoopDelayMaxMs: 20,
  achievedRate: 1000,
};

describe('generator health', () => {
  it('passes a generator that kept its schedule', () => {
    expect(judgeGenerator(healthy)).toEqual({ valid: true, reasons: [] });
  });

  it('fails late arrivals beyond the tolerance, drops, and a saturated event loop', () => {
    expect(judgeGenerator({ ...healthy, late: 200, lateFraction: 0.02 }).reasons[0]).toMatch(/fell behind: 2% of arrivals .* more than 10 ms late \(tolerance 1%/);
    expect(judgeGenerator({ ...healthy, dropped: 3 }).reasons[0]).toMatch(/dropped 3 arrivals/);
    expect(judgeGenerator({ ...healthy, eventLoopUtilization: 0.99 }).reasons[0]).toMatch(/saturated its CPU: event loop busy 99%/);
    // Limits are configurable.
    expect(judgeGenerator({ ...healthy, late: 200, lateFraction: 0.02 }, { maxLateFraction: 0.05 }).valid).toBe(true);
    // A closed model has no schedule to fall behind.
    expect(judgeGenerator({ ...healthy, model: 'closed', lateFraction: 0.5 }).valid).toBe(true);
  });
});
