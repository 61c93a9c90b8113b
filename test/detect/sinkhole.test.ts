/**
 * The containers runtime's network sinkhole without Docker: the server itself on 127.0.0.1 (what
 * it records and answers for HTTP, for bytes that are not HTTP and for a silent connection;
 * property: any byte stream is recorded once and closed, and the server keeps answering), the
 * mapping of its records to caller and peer, and the topology checks made of them (a case each
 * must catch and one each must pass).
 */
import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { policyDetector } from '../../src/detect/policy.js';
import { directCallResults, type DirectCalls } from '../../src/detect/sinkhole.js';
import { MAX_RECORDS, parseSinkholeArgs, startSinkhole, type Sinkhole, type SinkholeRecords } from '../../src/images/sinkhole.js';
import { directCallsFrom, readDirectCalls, sinkholePlan, type IsolatedAgent } from '../../src/scenario/runtimes/containers-sinkhole.js';

const started: Sinkhole[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});
async function sinkhole(ports = [0, 0]): Promise<Sinkhole> {
  const s = await startSinkhole({ ports, apiPort: 0, host: '127.0.0.1' });
  started.push(s);
  return s;
}
const records = async (s: Sinkhole): Promise<SinkholeRecords> => (await fetch(`http://127.0.0.1:${s.apiPort}/records`)).json() as Promise<SinkholeRecords>;

/** Sends raw bytes, then waits for the sinkhole to close the connection (or gives up after 1 s); returns what came back. */
function raw(port: number, bytes: Uint8Array, endAfterWrite = true): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let back = '';
    const timer = setTimeout(() => socket.destroy(), 1000);
    socket.on('data', (b) => (back += b.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(back);
    });
    socket.on('connect', () => {
      socket.write(bytes);
      if (endAfterWrite) socket.end();
    });
  });
}

/** GET with a chosen Host header (fetch does not let one set it). */
function get(port: number, path: string, host: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res);
    }).on('error', reject);
  });
}

describe('the sinkhole server', () => {
  it('answers an HTTP request 403 and records source, port, Host and request line', async () => {
    const s = await sinkhole();
    const res = await get(s.ports[1]!, '/healthz?x=1', 'inventory:8080');
    expect(res.statusCode).toBe(403);
    expect(res.headers['x-agentcheck-sinkhole']).toBe('1');
    const r = await records(s);
    expect(r.dropped).toBe(0);
    expect(r.records).toEqual([{ source: '127.0.0.1', port: s.ports[1], atMs: expect.any(Number), request: 'GET /healthz?x=1 HTTP/1.1', host: 'inventory:8080' }]);
  });

  it('records a connection that sends no HTTP (and one that sends nothing) and closes it', async () => {
    const s = await sinkhole();
    const back = await raw(s.ports[0]!, new TextEncoder().encode('CONNECT {"verbose":false}\r\nPING\r\n\x00\x01'));
    expect(back).not.toContain('HTTP/1.1 200');
    await raw(s.ports[0]!, new Uint8Array(0));
    const r = await records(s);
    expect(r.records).toHaveLength(2);
    for (const rec of r.records) {
      expect(rec).toMatchObject({ source: '127.0.0.1', port: s.ports[0] });
      expect(rec.host).toBeUndefined();
    }
  });

  it('keeps at most MAX_RECORDS and counts the rest', async () => {
    const s = await sinkhole([0]);
    // Connections in parallel batches: enough to pass the limit without one socket per record at once.
    for (let sent = 0; sent < MAX_RECORDS + 20; sent += 250) {
      await Promise.all(Array.from({ length: Math.min(250, MAX_RECORDS + 20 - sent) }, () => raw(s.ports[0]!, new Uint8Array([1]))));
    }
    const r = await records(s);
    expect(r.records).toHaveLength(MAX_RECORDS);
    expect(r.dropped).toBe(20);
  }, 60_000);

  it('property: any byte stream (ended or left open) is recorded once, and the sinkhole keeps answering', async () => {
    const s = await sinkhole([0]);
    let expected = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, end) => {
        await raw(s.ports[0]!, bytes, end);
        expected++;
        const r = await records(s);
        expect(r.records).toHaveLength(expected);
        expect(r.records.at(-1)).toMatchObject({ source: '127.0.0.1', port: s.ports[0] });
      }),
      { numRuns: 30 },
    );
    expect((await get(s.ports[0]!, '/after', 'peer:1')).statusCode).toBe(403);
  }, 60_000);

  it('parses its arguments, refusing what is not a port', () => {
    expect(parseSinkholeArgs(['--ports', '8080,47311', '--api', '8475'])).toEqual({ ports: [8080, 47311], apiPort: 8475 });
    expect(() => parseSinkholeArgs(['--ports', '8080,x', '--api', '8475'])).toThrow(/'x' is not a port/);
    expect(() => parseSinkholeArgs(['--ports', '8080'])).toThrow(/missing --api/);
  });
});

const agents: IsolatedAgent[] = [
  { name: 'planner', alias: 'planner', port: 8080, network: 'n-planner' },
  { name: 'inventory', alias: 'inventory', port: 8080, network: 'n-inventory' },
  { name: 'notifier', alias: 'notifier', port: 8080, network: 'n-notifier' },
  { name: 'ledger_db', alias: 'ledger-db', port: 5432, network: 'n-ledger' },
];
const addresses = new Map([['10.0.1.2', 'planner'], ['10.0.2.2', 'inventory'], ['10.0.3.2', 'notifier'], ['10.0.4.2', 'ledger_db']]);
const maps = { addresses, agents, toRunMs: (epochMs: number) => epochMs - 1_000_000 };

describe('sinkhole records → direct calls', () => {
  it('plans one listener per distinct port, an API port no agent uses, and the other agents\' aliases per network', () => {
    const plan = sinkholePlan([...agents, { name: 'odd', alias: 'odd', port: 8475, network: 'n-odd' }]);
    expect(plan.ports).toEqual([5432, 8080, 8475]);
    expect(plan.apiPort).toBe(8476);
    expect(plan.networks.find((n) => n.network === 'n-notifier')!.aliases).toEqual(['planner', 'inventory', 'ledger-db', 'odd']);
  });

  it('names the caller by its address and the peer by the Host header; groups repeats with the first time', () => {
    const direct = directCallsFrom({
      dropped: 0,
      records: [
        { source: '10.0.3.2', port: 8080, atMs: 1_002_500, request: 'GET /healthz HTTP/1.1', host: 'inventory:8080' },
        { source: '10.0.3.2', port: 8080, atMs: 1_001_200, request: 'GET /healthz HTTP/1.1', host: 'inventory:8080' },
        // No HTTP, on a port only one other agent has: that agent is the peer.
        { source: '10.0.1.2', port: 5432, atMs: 1_003_000 },
        // No HTTP on a port three agents share: the peer is not guessed.
        { source: '10.0.1.2', port: 8080, atMs: 1_003_000 },
      ],
    }, maps);
    expect(direct.agents).toEqual(['planner', 'inventory', 'notifier', 'ledger_db']);
    expect(direct.observations).toEqual([
      { caller: 'notifier', source: '10.0.3.2', peer: 'inventory', target: 'inventory:8080', request: 'GET /healthz HTTP/1.1', firstMs: 1200, count: 2 },
      { caller: 'planner', source: '10.0.1.2', peer: 'ledger_db', target: 'ledger-db:5432', firstMs: 3000, count: 1 },
      { caller: 'planner', source: '10.0.1.2', target: 'port 8080', firstMs: 3000, count: 1 },
    ]);
  });

  it('a source no agent has, and records beyond the cap, are still direct calls', () => {
    const direct = directCallsFrom({ dropped: 7, records: [{ source: '10.9.9.9', port: 8080, atMs: 1_000_000, host: 'planner' }] }, maps);
    expect(direct.observations).toHaveLength(2);
    const results = directCallResults('detector: topology', direct, []);
    const unknown = results.find((r) => r.name === 'network sinkhole')!;
    expect(unknown.status).toBe('fail');
    expect(unknown.message).toMatch(/a container at 10\.9\.9\.9 called planner's own address planner directly/);
    expect(unknown.message).toMatch(/7 more connections/);
  });

  it('an unreadable sinkhole makes the run not judged (invalid), never a pass', async () => {
    const closed = await sinkhole([0]);
    const url = `http://127.0.0.1:${closed.apiPort}`;
    await closed.close();
    started.length = 0;
    const direct = await readDirectCalls(url, maps);
    expect(direct.failure).toMatch(/could not be read/);
    const results = policyDetector().detect({ hops: [], edges: [], workflows: [], phases: [], direct });
    expect(results).toEqual([expect.objectContaining({ name: 'network sinkhole', status: 'invalid' })]);
  });

  it('reads a live sinkhole\'s records over its API', async () => {
    const s = await sinkhole([0]);
    await get(s.ports[0]!, '/x', 'inventory:8080');
    const direct = await readDirectCalls(`http://127.0.0.1:${s.apiPort}`, { ...maps, addresses: new Map([['127.0.0.1', 'notifier']]) });
    expect(direct.failure).toBeUndefined();
    expect(direct.observations).toMatchObject([{ caller: 'notifier', peer: 'inventory', target: 'inventory:8080', request: 'GET /x HTTP/1.1', count: 1 }]);
  });
});

describe('topology checks from the sinkhole', () => {
  const edges = [{ id: 'planner->inventory', from: 'planner', to: 'inventory' }];
  const detect = (direct: DirectCalls) => policyDetector().detect({ hops: [], edges, workflows: [], phases: [], direct });

  it('catches a caller that bypasses its edge proxy, and one that calls a peer it has no edge to', () => {
    const results = detect({
      agents: ['planner', 'inventory', 'notifier'],
      observations: [
        { caller: 'planner', source: '10.0.1.2', peer: 'inventory', target: 'inventory:8080', request: 'POST /mcp HTTP/1.1', firstMs: 1500, count: 4 },
        { caller: 'notifier', source: '10.0.3.2', peer: 'inventory', target: 'inventory:8080', firstMs: 900, count: 1 },
      ],
    });
    expect(results.map((r) => [r.suite, r.name, r.status])).toEqual([
      ['detector: topology', 'planner', 'fail'],
      ['detector: topology', 'inventory', 'pass'],
      ['detector: topology', 'notifier', 'fail'],
    ]);
    expect(results[0]!.message).toBe("planner called inventory's own address inventory:8080 directly, bypassing the edge proxy (seen by the network sinkhole 4×, first at 1.5 s; POST /mcp HTTP/1.1)");
    expect(results[2]!.message).toMatch(/^notifier called inventory's own address inventory:8080 directly, which is not a declared edge of notifier \(seen by the network sinkhole 1×, first at 0\.9 s\)$/);
  });

  it('passes a team whose sinkhole answered nothing', () => {
    const results = detect({ agents: ['planner', 'inventory'], observations: [] });
    expect(results.map((r) => [r.name, r.status])).toEqual([['planner', 'pass'], ['inventory', 'pass']]);
  });
});
