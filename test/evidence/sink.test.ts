/**
 * The records sink against real components: the embedded proxy server with a real upstream (read in
 * process and through its API with a cursor), bare record buffers far smaller than the traffic (no
 * record lost once attached; evictions before attaching are counted, not hidden), and an API that
 * serves no records (a real Toxiproxy: figures unknown, not zero).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeRecords } from '../../src/chaos/http/records.js';
import { FaultJournal } from '../../src/chaos/journal.js';
import type { ProxyServer } from '../../src/chaos/server.js';
import { openEvidenceStore, type EvidenceStore } from '../../src/evidence/store.js';
import { addToxic, countingUpstream, createProxy, send, startServer, type CountingUpstream } from '../chaos/http/helpers.js';
import { hopRecord, tempDir, traceparent } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function store(): EvidenceStore {
  const { dir, cleanup } = tempDir();
  const s = openEvidenceStore(dir);
  cleanups.push(cleanup, () => s.close());
  return s;
}

const count = (s: EvidenceStore, sql: string) => (s.db.prepare(sql).get() as { n: number }).n;

describe('records sink', () => {
  let server: ProxyServer;
  let upstream: CountingUpstream;

  async function team(): Promise<{ port: number; edges: Map<string, { proxyName: string; edge: { protocol: 'http' | 'tcp' } }> }> {
    server = await startServer('sink');
    upstream = await countingUpstream();
    cleanups.push(() => server.close(), () => upstream.close());
    const port = await createProxy(server, 'a_to_b', upstream.port);
    return { port, edges: new Map([['a->b', { proxyName: 'a_to_b', edge: { protocol: 'http' } }]]) };
  }

  for (const mode of ['in-process', 'http'] as const) {
    it(`streams every hop and decision of the embedded proxy into the store (${mode})`, async () => {
      const { port, edges } = await team();
      const s = store();
      s.attachSink({ url: server.url, embedded: true, ...(mode === 'in-process' ? { proxies: server.proxies } : {}) }, edges, { pollMs: 20 });
      await addToxic(server, 'a_to_b', { type: 'duplicate', attributes: { copies: 1, match: { path: '/dup' } } });
      const sentAt = performance.timeOrigin + performance.now();
      for (let i = 0; i < 30; i++) {
        const r = await send(port, { path: i < 3 ? '/dup' : '/x', body: '{}', headers: { traceparent: traceparent(i + 1, 9) } });
        expect('status' in r && r.status).toBe(200);
      }
      // Copies are delivered on side connections and recorded when their answer is read.
      for (let t = 0; s.stats().hops < 33 && t < 300; t++) await new Promise((r) => setTimeout(r, 10));
      await s.finish();
      expect(count(s, 'SELECT count(*) AS n FROM hops WHERE copy_of IS NULL')).toBe(30);
      expect(count(s, 'SELECT count(*) AS n FROM hops WHERE copy_of IS NOT NULL')).toBe(3);
      expect(count(s, "SELECT count(*) AS n FROM hops WHERE trace_id IS NOT NULL AND parent_span = '0000000000000009'")).toBe(33);
      const first = s.db.prepare('SELECT start_ms FROM hops ORDER BY id LIMIT 1').get() as { start_ms: number };
      expect(first.start_ms).toBeGreaterThanOrEqual(Math.floor(sentAt) - 1);
      const figures = s.edgeFigures();
      expect(figures.reports[0]).toMatchObject({ edge: 'a->b', protocol: 'http', requests: 30, errors: 0, traceparentPropagated: 1, faultsFired: { duplicate: 3 } });
      expect(figures.duplicatesDelivered).toBe(3);
      expect(figures.copiesRecorded).toBe(3);
      expect(figures.lost).toEqual({ records: 0, decisions: 0 });
      expect(s.journal().filter((e) => e.fired)).toHaveLength(3);
      expect(s.db.prepare("SELECT source FROM edges WHERE id = 'a->b'").get()).toEqual({ source: mode });
    });
  }

  it('loses nothing to a buffer 100× smaller than the traffic once attached, and counts what was evicted before', async () => {
    const s = store();
    s.registerEdge('a->b', 'p', 'http');
    s.registerEdge('b->c', 'q', 'http');
    const small = new EdgeRecords(50);
    const journal = new FaultJournal(50);
    const early = new EdgeRecords(10);
    const unstamped = (startEpochMs: number, proxy: string) => {
      const { seq: _seq, ...r } = hopRecord({ startEpochMs, latencyMs: 1, proxy });
      return r;
    };
    for (let i = 0; i < 25; i++) early.append(unstamped(1000 + i, 'q'));
    const buffers = new Map([
      ['p', { records: small, journal }],
      ['q', { records: early }],
    ]);
    const sink = s.attachSource({ kind: 'in-process', buffersOf: (name) => buffers.get(name) }, [
      { edgeId: 'a->b', proxyName: 'p', protocol: 'http' },
      { edgeId: 'b->c', proxyName: 'q', protocol: 'http' },
    ], { pollMs: 10_000 });
    await sink.read();
    for (let i = 0; i < 5000; i++) small.append(unstamped(2000 + i, 'p'));
    expect(small.evicted).toBe(4950);
    await s.finish();
    expect(count(s, "SELECT count(*) AS n FROM hops WHERE edge = 'a->b'")).toBe(5000);
    expect(count(s, "SELECT count(DISTINCT record_seq) AS n FROM hops WHERE edge = 'a->b'")).toBe(5000);
    expect(count(s, "SELECT count(*) AS n FROM hops WHERE edge = 'b->c'")).toBe(10);
    expect(s.db.prepare('SELECT id, records_lost FROM edges ORDER BY ord').all()).toEqual([
      { id: 'a->b', records_lost: 0 },
      { id: 'b->c', records_lost: 15 },
    ]);
    expect(s.edgeFigures().lost).toEqual({ records: 15, decisions: 0 });
  });

  it('marks an API that serves no records (a real Toxiproxy) as unknown: no hops, no duplicate count', async () => {
    const api = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => api.close(() => r())));
    const s = store();
    s.attachSink({ url: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, embedded: false }, new Map([['a->b', { proxyName: 'a_to_b', edge: { protocol: 'http' } }]]), { pollMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    await s.finish();
    const figures = s.edgeFigures();
    expect(figures.reports).toEqual([{ edge: 'a->b', protocol: 'http', requests: 0, errors: 0, latency: null, traceparentPropagated: null, faultsFired: {} }]);
    expect(figures.duplicatesDelivered).toBeUndefined();
    expect(s.db.prepare('SELECT records_available, journal_available FROM edges').get()).toEqual({ records_available: 0, journal_available: 0 });
  });
});
