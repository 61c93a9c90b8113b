/**
 * Retry amplification. Per edge and per phase: attempts ÷ logical requests, where one logical
 * request is one Idempotency-Key, or else one (trace id, method, path, JSON-RPC method, body hash).
 * Copies our own `duplicate` toxic delivered are not the caller's retries and never count. Judged
 * per phase like budgets, so a storm during one fault phase is not averaged away. By default a
 * factor above 3 on any edge in any phase fails (the SRE book's per-request budget of attempts).
 *
 * Along the chain: attempts at the deepest edges (farthest from the entry) ÷ workflows the load
 * driver started, per phase (Huang et al.'s workload amplification), reported with the check.
 */
import type { CheckResult } from '../report/model.js';
import { suiteOf, type Detector, type DetectorInput } from './detector.js';
import type { Hop } from './hops.js';

/** Options of {@link amplificationDetector}. */
export interface AmplificationOptions {
  /** Largest attempts-per-logical-request factor that passes (default 3). */
  limit?: number;
  /** Per-edge limits from budgets such as `edge.a->b.amplification <= 1.2` (`strict` for `<`). */
  edgeLimits?: ReadonlyMap<string, number | { limit: number; strict?: boolean; budget?: string }>;
}

/** The logical request a hop is an attempt of, or null when it cannot be told apart from others. */
export function logicalKey(h: Hop): string | null {
  if (h.idempotencyKey) return `key ${h.idempotencyKey}`;
  if (!h.traceId) return null;
  return `${h.traceId} ${h.method} ${h.path} ${h.jsonrpcMethod ?? ''} ${h.bodyHash ?? ''}`;
}

/** Attempts and logical requests of a set of hops. */
export function amplificationOf(hops: readonly Hop[]): { attempts: number; logical: number; factor: number } {
  const logical = new Set<string>();
  let attempts = 0;
  let anonymous = 0;
  for (const h of hops) {
    if (h.ourCopy) continue;
    attempts++;
    const k = logicalKey(h);
    if (k === null) anonymous++;
    else logical.add(k);
  }
  const n = logical.size + anonymous;
  return { attempts, logical: n, factor: n === 0 ? 0 : attempts / n };
}

/** Edges by their distance from the entry agent (1 = called by the entry). */
export function edgeDepths(edges: DetectorInput['edges'], entry: string | undefined): Map<string, number> {
  const depth = new Map<string, number>();
  if (!entry) return depth;
  const agentDepth = new Map<string, number>([[entry, 0]]);
  const queue = [entry];
  while (queue.length > 0) {
    const a = queue.shift()!;
    for (const e of edges.filter((x) => x.from === a)) {
      if (!depth.has(e.id)) depth.set(e.id, agentDepth.get(a)! + 1);
      if (!agentDepth.has(e.to)) {
        agentDepth.set(e.to, agentDepth.get(a)! + 1);
        queue.push(e.to);
      }
    }
  }
  return depth;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The retry-amplification detector. */
export function amplificationDetector(options: AmplificationOptions = {}): Detector {
  const limit = options.limit ?? 3;
  const detector: Detector = {
    name: 'retry amplification',
    detect(input) {
      const results: CheckResult[] = [];
      const depths = edgeDepths(input.edges, input.entry);
      const deepest = Math.max(0, ...depths.values());
      const phaseNames = [...new Set(input.hops.map((h) => h.phase))];
      for (const edge of input.edges) {
        const onEdge = input.hops.filter((h) => h.edge === edge.id);
        if (onEdge.filter((h) => !h.ourCopy).length === 0) continue;
        const given = options.edgeLimits?.get(edge.id);
        const edgeLimit = typeof given === 'number' ? given : (given?.limit ?? limit);
        const strict = typeof given === 'object' && given.strict === true;
        const budget = typeof given === 'object' ? given.budget : undefined;
        if (!Number.isFinite(edgeLimit)) continue;
        const perPhase = phaseNames
          .map((phase) => ({ phase, ...amplificationOf(onEdge.filter((h) => h.phase === phase)) }))
          .filter((p) => p.attempts > 0)
          .map((p) => ({ ...p, factor: round(p.factor) }));
        const worst = perPhase.reduce((a, b) => (b.factor > a.factor ? b : a));
        // The logical requests with the most attempts: where to look first.
        const byKey = new Map<string, { attempts: number; traceId: string | null; phase: string }>();
        for (const h of onEdge) {
          const k = logicalKey(h);
          if (h.ourCopy || k === null) continue;
          const e = byKey.get(k) ?? { attempts: 0, traceId: h.traceId, phase: h.phase };
          e.attempts++;
          byKey.set(k, e);
        }
        const top = [...byKey.entries()].sort((a, b) => b[1].attempts - a[1].attempts).slice(0, 5).filter(([, v]) => v.attempts > 1).map(([k, v]) => ({ request: k, ...v }));
        const chain = depths.get(edge.id) === deepest && deepest > 0 ? chainFigures(input, onEdge) : undefined;
        const failed = strict ? worst.factor >= edgeLimit : worst.factor > edgeLimit;
        results.push({
          suite: suiteOf(detector),
          name: edge.id,
          status: failed ? 'fail' : 'pass',
          message: `${worst.factor}× attempts per logical request at most (phase ${worst.phase}: ${worst.attempts} attempts for ${worst.logical} requests; ${budget ? `budget ${budget}` : `limit ${edgeLimit}×`})`,
          details: { limit: edgeLimit, ...(budget ? { budget } : {}), perPhase, top, ...(chain ? { chain } : {}) },
        });
      }
      return results;
    },
  };
  return detector;
}

/** Attempts at a deepest edge ÷ workflows the load started, per phase. */
function chainFigures(input: DetectorInput, hops: readonly Hop[]): Array<{ phase: string; attempts: number; workflows: number; factor: number }> {
  const phases = [...new Set(input.workflows.map((w) => w.phase))];
  return phases.map((phase) => {
    const workflows = input.workflows.filter((w) => w.phase === phase).length;
    const attempts = hops.filter((h) => !h.ourCopy && h.phase === phase).length;
    return { phase, attempts, workflows, factor: workflows === 0 ? 0 : round(attempts / workflows) };
  });
}
