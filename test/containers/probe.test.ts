// The published-port TCP probe used when no in-network probe exists (a real Toxiproxy image):
// a listener that holds the connection is ready; one that accepts and drops it at once (what
// Docker's port proxy does when nothing listens behind it) is not; a closed port is not.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probePublishedTcp } from '../../src/scenario/runtimes/containers-agent.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('probePublishedTcp', () => {
  it('is ready when the connection is held', async () => {
    const sockets: net.Socket[] = [];
    const port = await listen((s) => sockets.push(s));
    const started = Date.now();
    expect(await probePublishedTcp('127.0.0.1', port, 150)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    for (const s of sockets) s.destroy();
  });

  it('is ready at once when the server speaks first', async () => {
    const port = await listen((s) => s.end('220 hello\r\n'));
    expect(await probePublishedTcp('127.0.0.1', port, 5_000)).toBe(true);
  });

  it('is not ready when the connection is accepted and dropped, like a port proxy with nothing behind it', async () => {
    const port = await listen((s) => s.destroy());
    expect(await probePublishedTcp('127.0.0.1', port, 150)).toBe(false);
  });

  it('is not ready on a closed port', async () => {
    const port = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probePublishedTcp('127.0.0.1', port, 150)).toBe(false);
  });
});
