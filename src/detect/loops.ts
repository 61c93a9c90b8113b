/**
 * Loops and repetition within one trace. A cycle in a trace's call graph (A → B → A: agents
 * delegating back and forth) fails by default. The same call repeated within one trace (same
 * edge, same JSON-RPC method or MCP tool, same arguments) 3 or more times is reported as step
 * repetition (a warning unless the scenario makes it gate): the MAST taxonomy's "step
 * repetition", with openlit's threshold of 3. Copies our own `duplicate` toxic made do not count,
 * and neither does an attempt right after a failed identical one (a retry: see amplification).
 */
import type { CheckResult } from '../report/model.js';
import { suiteOf, type Detector } from './detector.js';
import type { Hop } from './hops.js';

/** Options of {@link loopDetector}. */
export interface LoopOptions {
  /** Identical calls in one trace from which repetition is reported (default 3). */
  repeatThreshold?: number;
  /** Edges whose reverse call is expected (a callback, an A2A push notification), `from->to`. */
  allowCycles?: readonly string[];
  /** Make step repetition fail the run (default: a warning). */
  repetitionGates?: boolean;
}

/** A cycle of agents in a call graph (first agent repeated at the end), or null. */
export function findCycle(calls: Iterable<[from: string, to: string]>): string[] | null {
  const out = new Map<string, Set<string>>();
  for (const [a, b] of calls) {
    if (!out.has(a)) out.set(a, new Set());
    out.get(a)!.add(b);
  }
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (a: string): string[] | null => {
    state.set(a, 'open');
    stack.push(a);
    for (const b of out.get(a) ?? []) {
      if (state.get(b) === 'open') return [...stack.slice(stack.indexOf(b)), b];
      if (!state.has(b)) {
        const found = visit(b);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(a, 'done');
    return null;
  };
  for (const a of out.keys()) {
    if (!state.has(a)) {
      const found = visit(a);
      if (found) return found;
    }
  }
  return null;
}

/** The loop and repetition detector. */
export function loopDetector(options: LoopOptions = {}): Detector {
  const threshold = options.repeatThreshold ?? 3;
  const allowed = new Set(options.allowCycles ?? []);
  const detector: Detector = {
    name: 'loops',
    detect({ hops }) {
      const byTrace = new Map<string, Hop[]>();
      for (const h of hops) {
        if (h.ourCopy || !h.traceId) continue;
        const list = byTrace.get(h.traceId) ?? [];
        list.push(h);
        byTrace.set(h.traceId, list);
      }
      const cycles = new Map<string, { traces: number; example: string }>();
      const repeats: Array<{ traceId: string; call: string; times: number }> = [];
      let hashed = 0;
      for (const [traceId, list] of byTrace) {
        const calls = list.filter((h) => !allowed.has(h.edge)).map((h): [string, string] => [h.from, h.to]);
        const cycle = findCycle(calls);
        if (cycle) {
          const key = cycle.join(' → ');
          const c = cycles.get(key) ?? { traces: 0, example: traceId };
          c.traces++;
          cycles.set(key, c);
        }
        const same = new Map<string, number>();
        const lastFailed = new Map<string, boolean>();
        for (const h of list) {
          // Without the arguments (a body hash), different calls to one endpoint look identical.
          if (h.bodyHash === null) continue;
          hashed++;
          // Without a JSON-RPC method or tool, a plain HTTP call is identified by method and path.
          const what = h.tool ? `tool ${h.tool}` : h.jsonrpcMethod ? `${h.jsonrpcMethod}` : `${h.method} ${h.path}`;
          const call = `${h.edge} ${what}${h.bodyHash ? ` args ${h.bodyHash.slice(0, 12)}` : ''}`;
          // A retry after a failed attempt is the amplification detector's business; repetition is
          // asking again for what was already answered.
          if (lastFailed.get(call) !== true) same.set(call, (same.get(call) ?? 0) + 1);
          lastFailed.set(call, h.status === null || h.status >= 500 || h.status === 429);
        }
        for (const [call, times] of same) if (times >= threshold) repeats.push({ traceId, call, times });
      }
      const results: CheckResult[] = [];
      const cycleList = [...cycles.entries()].map(([cycle, v]) => ({ cycle, ...v }));
      results.push({
        suite: suiteOf(detector),
        name: 'call cycles',
        status: cycleList.length > 0 ? 'fail' : 'pass',
        message: cycleList.length > 0
          ? `${cycleList.map((c) => `${c.cycle} in ${c.traces} trace${c.traces === 1 ? '' : 's'} (e.g. ${c.example})`).join('; ')}`
          : `no cycle in ${byTrace.size} traces`,
        details: { cycles: cycleList, traces: byTrace.size, allowed: [...allowed] },
      });
      repeats.sort((a, b) => b.times - a.times);
      if (hashed === 0) {
        results.push({ suite: suiteOf(detector), name: 'step repetition', status: 'skipped', message: 'the proxies recorded no request body hashes, so identical calls cannot be told from different calls to one endpoint' });
        return results;
      }
      results.push({
        suite: suiteOf(detector),
        name: 'step repetition',
        status: repeats.length === 0 ? 'pass' : options.repetitionGates ? 'fail' : 'warn',
        message: repeats.length > 0
          ? `${repeats.length} trace${repeats.length === 1 ? '' : 's'} repeated one call ${threshold}+ times; most: ${repeats[0]!.call} ×${repeats[0]!.times} (trace ${repeats[0]!.traceId})`
          : `no call repeated ${threshold}+ times within a trace`,
        details: { threshold, repeats: repeats.slice(0, 20), tracesWithRepetition: repeats.length },
      });
      return results;
    },
  };
  return detector;
}
