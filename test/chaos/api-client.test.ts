/**
 * The whole API driven through toxiproxy-node-client, exactly as a user drives Toxiproxy.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Toxiproxy, type ICreateToxicBody, type Latency } from 'toxiproxy-node-client';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { dial, portOf, readAll, startEcho } from './helpers.js';

let server: ProxyServer;
let echo: Awaited<ReturnType<typeof startEcho>>;
let client: Toxiproxy;

beforeEach(async () => {
  server = await startProxyServer({ port: 0 });
  echo = await startEcho();
  client = new Toxiproxy(server.url);
});
afterEach(async () => {
  await server.close();
  await echo.close();
});

async function roundTrip(listen: string, text: string): Promise<string> {
  const socket = await dial(portOf(listen));
  const got = readAll(socket);
  socket.end(text);
  return (await got).data.toString();
}

describe('toxiproxy-node-client against agentcheck proxy', () => {
  it('reports version 2.7.0', async () => {
    expect(await client.getVersion()).toBe('{"version": "2.7.0"}\n');
  });

  it('creates, lists, gets, updates and removes proxies', async () => {
    const proxy = await client.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: echo.address });
    expect(proxy.name).toBe('echo');
    expect(proxy.enabled).toBe(true);
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(portOf(proxy.listen)).toBeGreaterThan(0);
    expect(await roundTrip(proxy.listen, 'hello through the proxy')).toBe('hello through the proxy');

    const all = await client.getAll();
    expect(Object.keys(all)).toEqual(['echo']);
    const fetched = await client.get('echo');
    expect(fetched.listen).toBe(proxy.listen);
    expect(fetched.upstream).toBe(echo.address);

    const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(down.enabled).toBe(false);
    await expect(dial(portOf(proxy.listen))).rejects.toThrow(/ECONNREFUSED/);
    const up = await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    expect(up.enabled).toBe(true);
    expect(await roundTrip(up.listen, 'back up')).toBe('back up');

    await proxy.remove();
    expect(await client.getAll()).toEqual({});
    await expect(client.get('echo')).rejects.toThrow(/404/);
  });

  it('populates proxies and resets state', async () => {
    const proxies = await client.populate([
      { name: 'one', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'two', listen: '127.0.0.1:0', upstream: echo.address, enabled: false },
    ]);
    expect(Object.keys(proxies).sort()).toEqual(['one', 'two']);
    expect(proxies.two!.enabled).toBe(false);
    await proxies.one!.addToxic<Latency>({
      name: 'slow',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 10, jitter: 0 },
    });
    await client.reset();
    const after = await client.getAll();
    expect(after.two!.enabled).toBe(true);
    expect((await after.one!.getToxiproxy().get('one')).toJson()).toMatchObject({ name: 'one', enabled: true });
    await expect(after.one!.getToxic('slow')).rejects.toThrow(/404/);
  });

  it('adds, reads, updates and removes toxics', async () => {
    const proxy = await client.createProxy({ name: 'tox', listen: '127.0.0.1:0', upstream: echo.address });
    const body: ICreateToxicBody<Latency> = {
      name: 'lag',
      type: 'latency',
      stream: 'upstream',
      toxicity: 0.5,
      attributes: { latency: 25, jitter: 5 },
    };
    const toxic = await proxy.addToxic(body);
    expect(toxic.toJson()).toEqual({ ...body, attributes: { latency: 25, jitter: 5 } });
    const read = await proxy.getToxic<Latency>('lag');
    expect(read.attributes).toEqual({ latency: 25, jitter: 5 });
    expect(read.toxicity).toBe(0.5);
    const updated = await read.update({ toxicity: 1, attributes: { latency: 40, jitter: 0 } } as never);
    expect(updated.attributes).toEqual({ latency: 40, jitter: 0 });
    expect(updated.toxicity).toBe(1);
    await updated.remove();
    await expect(proxy.getToxic('lag')).rejects.toThrow(/404/);
    await expect(proxy.addToxic({ ...body, type: 'nope' as never })).rejects.toThrow(/400/);
  });

  it('rejects a duplicate proxy with an error the client surfaces', async () => {
    await client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: echo.address });
    await expect(client.createProxy({ name: 'dup', listen: '127.0.0.1:0', upstream: echo.address })).rejects.toThrow(/409/);
  });
});
