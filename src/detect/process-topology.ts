/**
 * Topology findings from the process runtime: what the forward proxy refused (`forward-proxy.ts`:
 * clients that honour `HTTP_PROXY`) and what the socket view saw (`socket-view.ts`: every client,
 * sampled), one check per agent. A socket view that failed where /proc exists makes the run
 * not judged (an `invalid` check), since empty observations would read as "only declared edges";
 * where there is no /proc at all it is `skipped`, said in one line, and the forward proxy still judges.
 */
import type { CheckResult } from '../report/model.js';
import type { DetectorInput } from './detector.js';
import { normalizeAuthority } from './forward-proxy.js';

/** One finding, from either view. */
interface Finding {
  agent: string;
  what: string;
  by: 'seen in the sockets' | 'seen by the forward proxy';
  /** The peer agent whose own port was the target. */
  peer?: string;
  count: number;
  firstMs: number;
}

/** `first at 1.2 s`, or before the load clock started (an agent calling out while it starts). */
function firstAt(ms: number): string {
  return ms < 0 ? 'first before the load started' : `first at ${(ms / 1000).toFixed(1)} s`;
}

function describeTarget(agent: string, target: string, peers: ReadonlyMap<string, string> | undefined): { what: string; peer?: string } {
  const peer = peers?.get(normalizeAuthority(target));
  return peer ? { what: `${peer}'s own port ${target}, bypassing the edge proxy`, peer } : { what: `${target}, which is not a declared edge of ${agent}` };
}

/** The process runtime's topology checks: a `socket view` check when it could not look, then one per agent. */
export function processTopologyResults(suite: string, sockets: DetectorInput['sockets'], forward: DetectorInput['forwardProxy']): CheckResult[] {
  const results: CheckResult[] = [];
  if (sockets?.failure) {
    results.push({ suite, name: 'socket view', status: 'invalid', message: `${sockets.failure}, so calls that ignore HTTP_PROXY could not be looked for` });
  } else if (sockets?.unavailable) {
    results.push({ suite, name: 'socket view', status: 'skipped', message: `${sockets.unavailable}; only calls sent to the forward proxy were judged` });
  }
  const findings: Finding[] = [];
  const lookedAtSockets = sockets !== undefined && !sockets.failure && !sockets.unavailable;
  if (lookedAtSockets) {
    for (const o of sockets.observations) {
      if (sockets.allowed.get(o.agent)?.has(o.remote) ?? false) continue;
      const { what, peer } = describeTarget(o.agent, o.remote, sockets.peers);
      findings.push({ agent: o.agent, what: `connected to ${what}`, by: 'seen in the sockets', count: o.count, firstMs: o.firstMs, ...(peer ? { peer } : {}) });
    }
  }
  for (const v of forward?.violations ?? []) {
    const { what, peer } = describeTarget(v.caller, v.target, forward?.peers);
    findings.push({ agent: v.caller, what: `asked for ${what}`, by: 'seen by the forward proxy', count: v.count, firstMs: v.firstMs, ...(peer ? { peer } : {}) });
  }
  const agents = new Set([...(lookedAtSockets ? sockets.allowed.keys() : []), ...(forward?.callers.keys() ?? [])]);
  for (const agent of agents) {
    const mine = findings.filter((f) => f.agent === agent);
    const kept = forward?.callers.get(agent) ?? [];
    const keptNote = kept.length > 0 ? `; its scenario env sets ${kept.join(', ')}, kept as given, so the forward proxy sees only what is still sent to it` : '';
    const views = [...(forward?.callers.has(agent) ? [`forward proxy: ${forward.forwarded.get(agent) ?? 0} forwarded`] : []), ...(lookedAtSockets ? ['sockets sampled'] : [])].join(', ');
    results.push({
      suite,
      name: agent,
      status: mine.length > 0 ? 'fail' : 'pass',
      message: mine.length > 0
        ? mine.map((f) => `${agent} ${f.what} (${f.by} ${f.count}×, ${firstAt(f.firstMs)}${f.by === 'seen by the forward proxy' ? '; refused with 403' : ''})`).join('; ') + keptNote
        : `${agent} called only its declared edges (${views})${keptNote}`,
      details: { violations: mine, ...(kept.length > 0 ? { keptEnv: kept } : {}) },
    });
  }
  return results;
}
