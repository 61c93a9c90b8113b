/**
 * The fault timeline: a phase's faults are created as toxics through the Toxiproxy API when the
 * phase starts and removed when it ends. Removal is best-effort and idempotent, so teardown after
 * an interrupted phase can call it again without failing.
 */
import type { Toxiproxy } from 'toxiproxy-node-client';
import { AgentcheckError } from '../errors.js';
import { toxicRequestBody } from './fault-toxic.js';
import type { EdgeProxy } from './team.js';
import type { ScenarioFault, ScenarioPhase } from './types.js';

/** A fault that is currently applied: where, and under which toxic name. */
export interface AppliedFault {
  fault: ScenarioFault;
  proxyName: string;
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
): Promise<AppliedFault[]> {
  const applied: AppliedFault[] = [];
  for (const fault of phase.faults) {
    const proxy = proxies.get(fault.edge);
    if (!proxy) throw new AgentcheckError('config', `phase '${phase.name}': fault on unknown edge ${fault.edge}`);
    try {
      const remote = await client.get(proxy.proxyName);
      await remote.addToxic(toxicRequestBody(fault) as never);
    } catch (err) {
      await removeFaults(client, applied);
      const body = (err as { response?: { data?: unknown } }).response?.data;
      const detail = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : (err as Error).message;
      throw new AgentcheckError('config', `phase '${phase.name}': the ${fault.type} fault on ${fault.edge} was refused by the proxy: ${detail}`);
    }
    applied.push({ fault, proxyName: proxy.proxyName });
  }
  return applied;
}

/** Removes applied faults; a toxic or proxy already gone is fine. */
export async function removeFaults(client: Toxiproxy, applied: AppliedFault[]): Promise<void> {
  await Promise.allSettled(
    applied.map(async ({ fault, proxyName }) => {
      const proxy = await client.get(proxyName);
      const toxic = await proxy.getToxic(fault.name);
      await toxic.remove();
    }),
  );
  applied.length = 0;
}
