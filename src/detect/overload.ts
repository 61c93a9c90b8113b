/**
 * Overload behaviour of callers: an agent told to back off (`429`, or `503` with `Retry-After`)
 * must not come back sooner than it was told, and must not retry a `429` at once. For every such
 * answer on an edge, the caller's next attempt of the same logical request (see amplification)
 * is found; one that starts before the answer's end plus `Retry-After` (or, for a 429 without it,
 * within {@link IMMEDIATE_MS}) is a finding, and fails the run.
 */
import type { CheckResult } from '../report/model.js';
import { logicalKey } from './amplification.js';
import { suiteOf, type Detector } from './detector.js';
import type { Hop } from './hops.js';

/** A retry of a 429 sooner than this after the answer is "at once". */
export const IMMEDIATE_MS = 50;

/** The Retry-After detector. */
export function overloadDetector(): Detector {
  const detector: Detector = {
    name: 'retry-after',
    detect({ hops, edges }) {
      const results: CheckResult[] = [];
      for (const edge of edges) {
        const byKey = new Map<string, Hop[]>();
        for (const h of hops) {
          if (h.edge !== edge.id || h.ourCopy) continue;
          const k = logicalKey(h);
          if (k !== null) byKey.set(k, [...(byKey.get(k) ?? []), h]);
        }
        let pushedBack = 0;
        const early: Array<{ request: string; status: number; waitedMs: number; askedMs: number; phase: string }> = [];
        for (const [request, attempts] of byKey) {
          for (let i = 0; i < attempts.length; i++) {
            const a = attempts[i]!;
            const told = a.status === 429 || (a.status === 503 && a.retryAfterMs !== null);
            if (!told) continue;
            pushedBack++;
            const next = attempts[i + 1];
            if (!next) continue;
            const waitedMs = next.tMs - (a.tMs + a.latencyMs);
            const askedMs = a.retryAfterMs ?? IMMEDIATE_MS;
            if (waitedMs < askedMs) early.push({ request, status: a.status!, waitedMs: Math.round(waitedMs), askedMs, phase: next.phase });
          }
        }
        if (pushedBack === 0) continue;
        const worst = early.sort((x, y) => x.waitedMs - x.askedMs - (y.waitedMs - y.askedMs))[0];
        results.push({
          suite: suiteOf(detector),
          name: edge.id,
          status: early.length > 0 ? 'fail' : 'pass',
          message: early.length > 0
            ? `${edge.from} came back early after ${early.length} of ${pushedBack} back-off answers; e.g. after a ${worst!.status} asking ${worst!.askedMs} ms it retried after ${worst!.waitedMs} ms (phase ${worst!.phase})`
            : `${edge.from} honoured all ${pushedBack} back-off answers (429, or 503 with Retry-After)`,
          details: { pushedBack, early: early.slice(0, 20) },
        });
      }
      return results;
    },
  };
  return detector;
}
