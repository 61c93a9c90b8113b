/**
 * Topology findings from the containers runtime's network sinkhole: each agent's network
 * resolves every other agent's name to a sinkhole container (src/images/sinkhole.ts), so a
 * call that skips the edge proxy to reach a peer's own address lands there, is answered 403 and
 * is recorded. Here those records, already mapped to caller and peer, become one check per agent.
 */
import type { CheckResult } from '../report/model.js';

/** One direct call (or a group of identical ones) the sinkhole answered. */
export interface DirectCallObservation {
  /** The calling agent, from its address on its own network; undefined when no agent had that address. */
  caller?: string;
  /** The source address the sinkhole saw. */
  source: string;
  /** The peer agent the call meant (from the Host header, else the only agent with that port). */
  peer?: string;
  /** What was called: the Host header (`inventory:8080`) or `port 8080` for a connection that sent no HTTP. */
  target: string;
  /** First request line, when the bytes were HTTP/1. */
  request?: string;
  /** First time seen, ms on the load clock. */
  firstMs: number;
  count: number;
}

/** The sinkhole's view of a container run. */
export interface DirectCalls {
  observations: readonly DirectCallObservation[];
  /** Every agent whose network had a sinkhole (one check each). */
  agents: readonly string[];
  /** Set when the records could not be read: nothing may be concluded from the (empty) observations. */
  failure?: string;
}

/** One check per agent (fail: it called a peer directly), plus one for calls from an unknown address. */
export function directCallResults(suite: string, direct: DirectCalls, edges: ReadonlyArray<{ from: string; to: string }>): CheckResult[] {
  // Empty observations from an unread sinkhole would read as "no direct call": a false pass, so the run is not judged.
  if (direct.failure) return [{ suite, name: 'network sinkhole', status: 'invalid', message: `${direct.failure}, so direct calls between agents could not be looked for` }];
  const describe = (o: DirectCallObservation): string => {
    const declared = o.caller !== undefined && o.peer !== undefined && edges.some((e) => e.from === o.caller && e.to === o.peer);
    const what = o.peer
      ? `${o.peer}'s own address ${o.target} directly, ${declared ? 'bypassing the edge proxy' : `which is not a declared edge of ${o.caller ?? 'the caller'}`}`
      : `${o.target} directly, an agent's port that only its edge proxies may call`;
    const request = o.request ? `; ${o.request}` : '';
    return `${o.caller ?? `a container at ${o.source}`} called ${what} (seen by the network sinkhole ${o.count}×, first at ${(o.firstMs / 1000).toFixed(1)} s${request})`;
  };
  const results: CheckResult[] = direct.agents.map((agent) => {
    const mine = direct.observations.filter((o) => o.caller === agent);
    return {
      suite,
      name: agent,
      status: mine.length > 0 ? 'fail' : 'pass',
      message: mine.length > 0 ? mine.map(describe).join('; ') : `${agent} called no peer directly (its network's sinkhole answered nothing from it)`,
      details: { violations: mine },
    };
  });
  const unknown = direct.observations.filter((o) => o.caller === undefined);
  if (unknown.length > 0) results.push({ suite, name: 'network sinkhole', status: 'fail', message: unknown.map(describe).join('; '), details: { violations: unknown } });
  return results;
}
