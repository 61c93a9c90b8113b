/**
 * Agent ports (src/scenario/runtimes/ports.ts): chosen below the kernel's ephemeral range, where
 * no outgoing connection takes a local port, free when handed out, and not handed out twice.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { allocatePort, ephemeralRange } from '../../src/scenario/runtimes/ports.js';

const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

describe('allocatePort', () => {
  it('hands out distinct free ports below the ephemeral range', async () => {
    const { low } = ephemeralRange();
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await allocatePort());
    expect(new Set(ports).size).toBe(50);
    if (low - 1 - 10_000 >= 1_000) for (const p of ports) expect(p, `port ${p}, ephemeral range from ${low}`).toBeLessThan(low);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(1024);
    // Each one can be listened on (nothing holds it).
    const servers = await Promise.all(ports.slice(0, 10).map(listen));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('never hands out a port something already listens on', { timeout: 30_000 }, async () => {
    // Hold 2,000 random ports of the range (about 1 in 11), chosen here, not by allocatePort: with
    // 100 allocations some picks land on them, and none of those may be handed out.
    const { low } = ephemeralRange();
    const held: net.Server[] = [];
    while (held.length < 2_000) {
      const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
      const s = await listen(port).catch(() => undefined);
      if (s) held.push(s);
    }
    const taken = new Set(held.map((s) => (s.address() as net.AddressInfo).port));
    try {
      for (let i = 0; i < 100; i++) expect(taken.has(await allocatePort())).toBe(false);
    } finally {
      await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('reads the ephemeral range the kernel uses', () => {
    const { low, high } = ephemeralRange();
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThanOrEqual(low);
    expect(high).toBeLessThanOrEqual(65_535);
  });
});
