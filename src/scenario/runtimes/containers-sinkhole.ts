/**
 * Network isolation of a container run, and what its sinkhole saw. Each agent joins only its own
 * network; the proxy container joins all of them (callers reach their edges' proxies there, and
 * the proxy reaches each callee by its container name, which no sinkhole claims); the sinkhole
 * container (src/images/sinkhole.ts) joins all of them too, and on agent X's network answers to
 * every other agent's alias on every agent's container port. So a call from X to a peer's own
 * address cannot reach the peer: it reaches the sinkhole, is answered 403 and recorded, and
 * {@link directCallsFrom} maps the records to caller (source address → the agent with that
 * address on its network) and peer (Host header → alias → agent).
 */
import type { DirectCallObservation, DirectCalls } from '../../detect/sinkhole.js';
import type { SinkholeRecord, SinkholeRecords } from '../../images/sinkhole.js';

/** The sinkhole container's name suffix and log name. */
export const SINKHOLE_NAME = 'agentcheck-sinkhole';
/** The records API port inside the sinkhole container, unless an agent uses it (then the next free one). */
export const SINKHOLE_API_PORT = 8475;

/** One agent as the network plan sees it. */
export interface IsolatedAgent {
  name: string;
  /** Its DNS alias (on its own network; the sinkhole's alias for it on the others). */
  alias: string;
  /** Its port inside its container. */
  port: number;
  /** Its network. */
  network: string;
}

/** Where the sinkhole listens and which aliases it has on each agent's network. */
export interface SinkholePlan {
  ports: number[];
  apiPort: number;
  /** Per agent network: the other agents' aliases. */
  networks: Array<{ network: string; aliases: string[] }>;
}

/** The sinkhole's listen ports and aliases for a team (of two or more agents). */
export function sinkholePlan(agents: readonly IsolatedAgent[]): SinkholePlan {
  const ports = [...new Set(agents.map((a) => a.port))].sort((a, b) => a - b);
  let apiPort = SINKHOLE_API_PORT;
  while (ports.includes(apiPort)) apiPort++;
  return {
    ports,
    apiPort,
    networks: agents.map((a) => ({ network: a.network, aliases: agents.filter((b) => b !== a).map((b) => b.alias) })),
  };
}

/** What is needed to name the caller and the peer of a sinkhole record. */
export interface DirectCallMaps {
  /** Each agent's address on its own network → agent name. */
  addresses: ReadonlyMap<string, string>;
  agents: readonly IsolatedAgent[];
  /** Epoch ms → ms on the run's (load) clock. */
  toRunMs: (epochMs: number) => number;
}

/** The peer a record meant: the Host header's name when it is an agent's alias, else the only other agent on that port. */
function peerOf(r: SinkholeRecord, caller: string | undefined, agents: readonly IsolatedAgent[]): IsolatedAgent | undefined {
  if (r.host !== undefined) {
    const name = r.host.replace(/:\d+$/, '').toLowerCase();
    const byAlias = agents.find((a) => a.alias === name);
    if (byAlias) return byAlias;
  }
  const onPort = agents.filter((a) => a.port === r.port && a.name !== caller);
  return onPort.length === 1 ? onPort[0] : undefined;
}

/** Groups the sinkhole's records by caller, peer, target and request line. */
export function directCallsFrom(answer: SinkholeRecords, maps: DirectCallMaps): DirectCalls {
  const grouped = new Map<string, DirectCallObservation>();
  for (const r of answer.records) {
    const caller = maps.addresses.get(r.source);
    const peer = peerOf(r, caller, maps.agents);
    const target = r.host ?? (peer ? `${peer.alias}:${r.port}` : `port ${r.port}`);
    const key = JSON.stringify([r.source, peer?.name, target, r.request]);
    const firstMs = Math.max(0, maps.toRunMs(r.atMs));
    const seen = grouped.get(key);
    if (seen) {
      seen.count++;
      seen.firstMs = Math.min(seen.firstMs, firstMs);
    } else {
      grouped.set(key, {
        ...(caller !== undefined ? { caller } : {}),
        source: r.source,
        ...(peer ? { peer: peer.name } : {}),
        target,
        ...(r.request !== undefined ? { request: r.request } : {}),
        firstMs,
        count: 1,
      });
    }
  }
  const observations = [...grouped.values()];
  // Records beyond the sinkhole's cap were counted, not kept: they are direct calls all the same.
  if (answer.dropped > 0) observations.push({ source: '?', target: `${answer.dropped} more connections (not kept: the sinkhole's record limit)`, firstMs: 0, count: answer.dropped });
  return { observations, agents: maps.agents.map((a) => a.name) };
}

/** Reads the sinkhole's records API; a failure becomes {@link DirectCalls.failure} (the check then says it could not judge). */
export async function readDirectCalls(apiUrl: string, maps: DirectCallMaps): Promise<DirectCalls> {
  try {
    const res = await fetch(`${apiUrl}/records`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    const answer = (await res.json()) as SinkholeRecords;
    if (!Array.isArray(answer.records) || typeof answer.dropped !== 'number') throw new Error('an answer without records');
    return directCallsFrom(answer, maps);
  } catch (err) {
    return { observations: [], agents: maps.agents.map((a) => a.name), failure: `the network sinkhole's records could not be read (${(err as Error).message})` };
  }
}
