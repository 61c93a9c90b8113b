/**
 * The fault timeline on a real embedded proxy: a fault the next phase has unchanged stays applied
 * across the boundary (no unfaulted gap), one it does not have is removed, and teardown removes all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { applyFaultPhase, removeFaults, type AppliedFault } from '../../src/scenario/timeline.js';
import type { EdgeProxy } from '../../src/scenario/team.js';
import type { ScenarioFault, ScenarioPhase } from '../../src/scenario/types.js';

const servers: ProxyServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const fault = (name: string, latency: number): ScenarioFault => ({ edge: 'a->b', from: 'a', to: 'b', type: 'http_latency', name, toxicity: 1, attributes: { latency }, messageLevel: true });
const phase = (name: string, faults: ScenarioFault[]): ScenarioPhase => ({ name, durationMs: 1000, startMs: 0, faults });

describe('fault timeline', () => {
  it('keeps a fault that continues unchanged into the next phase, removes the others', async () => {
    const server = await startProxyServer({ host: '127.0.0.1', port: 0, seed: 1 });
    servers.push(server);
    const client = new Toxiproxy(server.url);
    await client.createProxy({ name: 'a_to_b', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', protocol: 'http' } as never);
    const proxies = new Map<string, EdgeProxy>([['a->b', { edge: { id: 'a->b', from: 'a', to: 'b', env: 'B_URL', protocol: 'http' }, proxyName: 'a_to_b', listen: '' }]]);
    const names = async () => {
      const toxics = (await (await fetch(`${server.url}/proxies/a_to_b/toxics`)).json()) as Array<{ name: string; attributes: { latency: number } }>;
      return toxics.map((t) => `${t.name}:${t.attributes.latency}`).sort();
    };

    const keep = fault('replayed', 5);
    const first = phase('one', [keep, fault('only-one', 7)]);
    // The next phase has `replayed` unchanged and `only-one` with another latency (a different toxic).
    const second = phase('two', [keep, fault('only-one', 9)]);
    const applied: AppliedFault[] = [];
    applied.push(...(await applyFaultPhase(client, proxies, first, applied)));
    expect(await names()).toEqual(['only-one:7', 'replayed:5']);
    await removeFaults(client, applied, second);
    expect(await names()).toEqual(['replayed:5']);
    expect(applied.map((a) => a.fault.name)).toEqual(['replayed']);
    applied.push(...(await applyFaultPhase(client, proxies, second, applied)));
    expect(await names()).toEqual(['only-one:9', 'replayed:5']);
    await removeFaults(client, applied);
    expect(await names()).toEqual([]);
    expect(applied).toEqual([]);
  });
});
