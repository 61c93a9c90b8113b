/**
 * The fault timeline: a phase's faults are created as toxics through the Toxiproxy API when the
 * phase starts and removed when it ends. A fault that continues unchanged into the next phase
 * (same name, edge and toxic body) is left in place, so there is no gap between the phases in
 * which requests pass unfaulted: a replayed schedule (replay.ts) is in every phase. Removal is
 * best-effort and idempotent, so teardown after an interrupted phase can call it again.
 */
import type { Toxiproxy } from 'toxiproxy-node-client';
import { AgentcheckError } from '../errors.js';
import { trackToxic, untrackToxic } from '../reaper/watchdog.js';
import type { RemoteProxy } from './attach.js';
import { toxicRequestBody } from './fault-toxic.js';
import type { EdgeProxy } from './team.js';
import type { ScenarioFault, ScenarioPhase } from './types.js';

/** A fault that is currently applied: where, and under which toxic name. */
export interface AppliedFault {
  fault: ScenarioFault;
  proxyName: string;
  /** Attach mode: the remote API the toxic is on (registered with the reaper while applied). */
  remote?: RemoteProxy;
}

/**
 * Creates every fault of `phase` as a toxic on its edge's proxy. A toxic the backend refuses
 * (bad attribute, unknown type) is a configuration error naming the phase, edge and reason; the
 * faults already applied are removed before it is thrown.
 */
export async function applyFaultPhase(
  client: Toxiproxy,
  proxies: Map<string, EdgeProxy>,
  phase: ScenarioPhase,
  alreadyApplied: readonly AppliedFault[] = [],
): Promise<AppliedFault[]> {
  const applied: AppliedFault[] = [];
  for (const fault of phase.faults) {
    // Kept from the previous phase by removeFaults(…, next): still applied.
    if (alreadyApplied.some((a) => sameFault(a.fault, fault))) continue;
    const proxy = proxies.get(fault.edge);
    if (!proxy) throw new AgentcheckError('config', `phase '${phase.name}': fault on unknown edge ${fault.edge}`);
    // A toxic on a remote API outlives this process: registered first, so a CLI killed while the
    // request is in flight still has it removed by the reaper (a DELETE of a missing toxic is fine).
    if (proxy.remote) trackToxic(proxy.remote.api, proxy.proxyName, fault.name);
    try {
      const remote = await (proxy.remote?.client ?? client).get(proxy.proxyName);
      await remote.addToxic(toxicRequestBody(fault) as never);
    } catch (err) {
      if (proxy.remote) untrackToxic(proxy.remote.api, proxy.proxyName, fault.name);
      await removeFaults(client, applied);
      const body = (err as { response?: { data?: unknown } }).response?.data;
      const detail = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : (err as Error).message;
      throw new AgentcheckError('config', `phase '${phase.name}': the ${fault.type} fault on ${fault.edge} was refused by the proxy: ${detail}`);
    }
    applied.push({ fault, proxyName: proxy.proxyName, ...(proxy.remote ? { remote: proxy.remote } : {}) });
  }
  return applied;
}

/** True when `a` and `b` make the same toxic on the same edge. */
function sameFault(a: ScenarioFault, b: ScenarioFault): boolean {
  return a.name === b.name && a.edge === b.edge && JSON.stringify(toxicRequestBody(a)) === JSON.stringify(toxicRequestBody(b));
}

/**
 * Removes applied faults; a toxic or proxy already gone is fine. With `next` (the phase that
 * follows), the faults it has unchanged stay applied and stay in `applied`.
 */
export async function removeFaults(client: Toxiproxy, applied: AppliedFault[], next?: ScenarioPhase): Promise<void> {
  const staying = next ? applied.filter((a) => next.faults.some((f) => sameFault(a.fault, f))) : [];
  const leaving = applied.filter((a) => !staying.includes(a));
  await Promise.allSettled(
    leaving.map(async ({ fault, proxyName, remote }) => {
      const proxy = await (remote?.client ?? client).get(proxyName);
      const toxic = await proxy.getToxic(fault.name);
      await toxic.remove();
      // Only once it is gone: a removal that failed stays with the reaper.
      if (remote) untrackToxic(remote.api, proxyName, fault.name);
    }),
  );
  applied.length = 0;
  applied.push(...staying);
}
