/**
 * Seeded latency distributions for message-level delays (Toxiproxy only has uniform jitter,
 * its issue #556). Every draw comes from the given {@link Rng}, so the same seed and the same
 * request order give the same delays.
 */
import type { Rng } from '../rng.js';

/** The distributions `http_latency` can draw from. */
export const LATENCY_DISTRIBUTIONS = ['uniform', 'normal', 'pareto', 'lognormal'] as const;

/** One of {@link LATENCY_DISTRIBUTIONS}. */
export type LatencyDistribution = (typeof LATENCY_DISTRIBUTIONS)[number];

/**
 * Parameters of a delay distribution, all in milliseconds except the shape ones.
 * - uniform: [latency − jitter, latency + jitter]
 * - normal: mean `latency`, standard deviation `jitter`
 * - pareto: minimum `latency` (scale), tail index `shape` (default 2; smaller is heavier)
 * - lognormal: median `latency`, log-space deviation `sigma` (default 0.5)
 * Every draw is clamped to [0, max] (`max` 0 = no upper bound).
 */
export interface LatencySpec {
  distribution: LatencyDistribution;
  latency: number;
  jitter: number;
  shape: number;
  sigma: number;
  max: number;
}

// Box–Muller on two draws; using both uniforms keeps the draw count per sample fixed (2),
// which keeps later draws aligned across runs.
function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]: log(0) would be -Infinity
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** One delay in ms drawn from `spec` (never negative, never above `spec.max` when set). */
export function drawLatency(spec: LatencySpec, rng: Rng): number {
  let ms: number;
  switch (spec.distribution) {
    case 'uniform':
      ms = spec.latency + (rng.next() * 2 - 1) * spec.jitter;
      break;
    case 'normal':
      ms = spec.latency + standardNormal(rng) * spec.jitter;
      break;
    case 'pareto': {
      const alpha = spec.shape > 0 ? spec.shape : 2;
      ms = spec.latency / Math.pow(1 - rng.next(), 1 / alpha);
      break;
    }
    case 'lognormal': {
      const sigma = spec.sigma >= 0 ? spec.sigma : 0.5;
      ms = spec.latency * Math.exp(sigma * standardNormal(rng));
      break;
    }
  }
  if (!Number.isFinite(ms) || ms < 0) ms = ms > 0 ? Number.MAX_SAFE_INTEGER : 0;
  if (spec.max > 0 && ms > spec.max) ms = spec.max;
  return ms;
}
