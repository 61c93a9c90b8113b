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
import { allowedAddress } from './topology-allow.js';

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
  /** Declared outside dependencies reached, per agent: what the check says on top of its verdict. */
  const outside = new Map<string, string[]>();
  const note = (agent: string, text: string) => outside.set(agent, [...(outside.get(agent) ?? []), text]);
  const lookedAtSockets = sockets !== undefined && !sockets.failure && !sockets.unavailable;
  if (lookedAtSockets) {
    for (const o of sockets.observations) {
      if (sockets.allowed.get(o.agent)?.has(o.remote) ?? false) continue;
      const rule = sockets.outside ? allowedAddress(sockets.outside, o.agent, o.remote) : undefined;
      if (rule) {
        note(o.agent, `connected to ${o.remote}, allowed by "${rule.text}" (seen in the sockets ${o.count}×)`);
        continue;
      }
      const { what, peer } = describeTarget(o.agent, o.remote, sockets.peers);
      findings.push({ agent: o.agent, what: `connected to ${what}`, by: 'seen in the sockets', count: o.count, firstMs: o.firstMs, ...(peer ? { peer } : {}) });
    }
  }
  for (const v of forward?.violations ?? []) {
    const { what, peer } = describeTarget(v.caller, v.target, forward?.peers);
    findings.push({ agent: v.caller, what: `asked for ${what}`, by: 'seen by the forward proxy', count: v.count, firstMs: v.firstMs, ...(peer ? { peer } : {}) });
  }
  for (const a of forward?.allowed ?? []) note(a.caller, `${a.count} allowed call${a.count === 1 ? '' : 's'} to ${a.target} (forward proxy, "${a.entry}")`);
  const agents = new Set([...(lookedAtSockets ? sockets.allowed.keys() : []), ...(forward?.callers.keys() ?? [])]);
  for (const agent of agents) {
    const mine = findings.filter((f) => f.agent === agent);
    const kept = forward?.callers.get(agent) ?? [];
    const keptNote = kept.length > 0 ? `; its scenario env sets ${kept.join(', ')}, kept as given, so the forward proxy sees only what is still sent to it` : '';
    const unresolved = (sockets?.outside?.unresolved ?? []).filter((u) => appliesTo(sockets!.outside!, u.text, agent));
    const allowNote = [
      ...(outside.get(agent) ?? []),
      ...unresolved.map((u) => `allow entry "${u.text}" did not resolve (${u.reason}), so the socket view allows nothing by its address`),
    ];
    const allowText = allowNote.length > 0 ? `; declared outside dependencies: ${allowNote.join('; ')}` : '';
    const views = [...(forward?.callers.has(agent) ? [`forward proxy: ${forward.forwarded.get(agent) ?? 0} forwarded`] : []), ...(lookedAtSockets ? ['sockets sampled'] : [])].join(', ');
    results.push({
      suite,
      name: agent,
      status: mine.length > 0 ? 'fail' : 'pass',
      message: mine.length > 0
        ? mine.map((f) => `${agent} ${f.what} (${f.by} ${f.count}×, ${firstAt(f.firstMs)}${f.by === 'seen by the forward proxy' ? '; refused with 403' : ''})`).join('; ') + allowText + keptNote
        : `${agent} called only its declared edges${allowNote.length > 0 ? ' and declared outside dependencies' : ''} (${views})${allowText}${keptNote}`,
      details: { violations: mine, ...(allowNote.length > 0 ? { outside: allowNote } : {}), ...(kept.length > 0 ? { keptEnv: kept } : {}) },
    });
  }
  return results;
}

/** True when the allow entry written `text` is for `agent` (no `from`, or `from` is it). */
function appliesTo(allow: NonNullable<NonNullable<DetectorInput['sockets']>['outside']>, text: string, agent: string): boolean {
  return allow.rules.some((r) => r.text === text && (r.from === undefined || r.from === agent));
}
