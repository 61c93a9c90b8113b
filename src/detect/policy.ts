/**
 * Topology conformance: an agent may call only its declared edges, through their proxies. In the
 * process runtime every TCP connection an agent's processes hold is compared with the listen
 * addresses of the proxies of that agent's declared edges (see `socket-view.ts` for what the view
 * can and cannot see): a connection to a peer's own port bypasses the edge's proxy (its faults and
 * its records), a connection anywhere else is an undeclared call. Either fails the run, naming the
 * caller, the target, how often it was seen and when first.
 */
import type { CheckResult } from '../report/model.js';
import { suiteOf, type Detector } from './detector.js';
import { directCallResults } from './sinkhole.js';

/** The topology-conformance detector. */
export function policyDetector(): Detector {
  const detector: Detector = {
    name: 'topology',
    detect({ sockets, direct, edges }) {
      // The containers runtime: its network sinkhole saw the direct calls (src/detect/sinkhole.ts).
      if (direct) return directCallResults(suiteOf(detector), direct, edges);
      if (!sockets) return [];
      // Empty observations from a sampler that failed would read as "only declared edges": a false pass.
      if (sockets.failure) return [{ suite: suiteOf(detector), name: 'socket view', status: 'skipped', message: `${sockets.failure}, so undeclared calls could not be looked for` }];
      const violations = sockets.observations
        .filter((o) => !(sockets.allowed.get(o.agent)?.has(o.remote) ?? false))
        .map((o) => {
          const peer = sockets.peers.get(o.remote);
          const what = peer ? `${peer}'s own port ${o.remote}, bypassing the edge proxy` : `${o.remote}, which is not a declared edge of ${o.agent}`;
          return { ...o, ...(peer ? { peer } : {}), what };
        });
      const byAgent = new Map<string, typeof violations>();
      for (const v of violations) byAgent.set(v.agent, [...(byAgent.get(v.agent) ?? []), v]);
      const results: CheckResult[] = [];
      for (const agent of new Set([...sockets.allowed.keys()])) {
        const mine = byAgent.get(agent) ?? [];
        results.push({
          suite: suiteOf(detector),
          name: agent,
          status: mine.length > 0 ? 'fail' : 'pass',
          message: mine.length > 0
            ? mine.map((v) => `${agent} connected to ${v.what} (seen ${v.count}×, first at ${(v.firstMs / 1000).toFixed(1)} s)`).join('; ')
            : `${agent} connected only through its declared edges`,
          details: { violations: mine },
        });
      }
      return results;
    },
  };
  return detector;
}
