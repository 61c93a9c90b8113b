/**
 * Trace continuity. Propagating W3C trace context means an agent's outbound request carries the
 * trace id of a request the agent received (a new parent span id is expected); a fresh trace id,
 * or none, breaks the trace even when a `traceparent` header is present. Per edge: the share of
 * the caller's outbound requests whose trace id is one the caller received (for the entry agent:
 * one the load driver sent). Below 100 % fails by default, naming the first agent in the chain
 * (nearest the entry) that broke it. An agent that never received a traced request cannot
 * propagate one: its edges are reported as not judged, and the break is blamed upstream.
 *
 * What it sees: HTTP `traceparent` headers on proxied edges. MCP's `params._meta.traceparent`
 * counts where the proxy records it.
 */
import type { CheckResult } from '../report/model.js';
import { edgeDepths } from './amplification.js';
import { suiteOf, type Detector } from './detector.js';

/** Options of {@link traceContinuityDetector}. */
export interface TraceContinuityOptions {
  /** Smallest share (0..1) of propagated outbound requests that passes (default 1). */
  minShare?: number;
}

/** The trace-continuity detector. */
export function traceContinuityDetector(options: TraceContinuityOptions = {}): Detector {
  const minShare = options.minShare ?? 1;
  const detector: Detector = {
    name: 'trace continuity',
    detect({ hops, edges, entry, workflows }) {
      const received = new Map<string, Set<string>>();
      const receivedBy = (agent: string) => {
        let s = received.get(agent);
        if (!s) received.set(agent, (s = new Set()));
        return s;
      };
      if (entry) for (const w of workflows) if (w.traceId) receivedBy(entry).add(w.traceId);
      for (const h of hops) if (h.traceId) receivedBy(h.to).add(h.traceId);

      const depth = edgeDepths(edges, entry);
      const rows = edges
        .map((e) => {
          const out = hops.filter((h) => h.edge === e.id && !h.ourCopy);
          const inbound = received.get(e.from);
          const propagated = inbound ? out.filter((h) => h.traceId !== null && inbound.has(h.traceId)).length : 0;
          const missing = out.filter((h) => h.traceId === null).length;
          return { edge: e.id, caller: e.from, depth: depth.get(e.id) ?? Infinity, outbound: out.length, propagated, missing, fresh: out.length - propagated - missing, judged: inbound !== undefined && inbound.size > 0 };
        })
        .filter((r) => r.outbound > 0);
      const results: CheckResult[] = [];
      const broken = rows.filter((r) => r.judged && r.propagated / r.outbound < minShare).sort((a, b) => a.depth - b.depth);
      const firstBreaker = broken[0]?.caller;
      for (const r of rows) {
        const share = r.outbound === 0 ? 1 : r.propagated / r.outbound;
        const pct = `${Math.round(share * 1000) / 10} %`;
        const status = !r.judged ? 'skipped' : share < minShare ? 'fail' : 'pass';
        const how = [r.fresh > 0 ? `${r.fresh} with a trace id ${r.caller} never received` : '', r.missing > 0 ? `${r.missing} without traceparent` : ''].filter(Boolean).join(', ');
        results.push({
          suite: suiteOf(detector),
          name: r.edge,
          status,
          message: !r.judged
            ? `${r.caller} received no traced request, so it could not propagate one (the trace broke upstream)`
            : `${pct} of ${r.outbound} outbound requests carried ${r.caller}'s inbound trace id${how ? ` (${how})` : ''}${status === 'fail' && r.caller === firstBreaker ? `; ${r.caller} is the first agent in the chain that breaks the trace` : ''}`,
          details: { share, outbound: r.outbound, propagated: r.propagated, fresh: r.fresh, missing: r.missing, ...(firstBreaker ? { firstBreaker } : {}) },
        });
      }
      return results;
    },
  };
  return detector;
}
