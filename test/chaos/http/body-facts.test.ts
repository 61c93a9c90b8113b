/** The proxy's per-request body facts: hash, JSON-RPC method, MCP tool and `_meta.traceparent`. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodySniffer, SNIFF_BYTES } from '../../../src/chaos/http/body-facts.js';

const factsOf = (...chunks: string[]) => {
  const s = new BodySniffer();
  for (const c of chunks) s.add(Buffer.from(c));
  return s.facts();
};

describe('body facts', () => {
  it('reads an MCP tools/call: method, tool, and trace context in _meta', () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'reserve', arguments: { sku: 'a' }, _meta: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } } });
    expect(factsOf(body.slice(0, 10), body.slice(10))).toEqual({
      bodyHash: expect.stringMatching(/^[0-9a-f]{16}$/),
      jsonrpcMethods: ['tools/call'],
      tool: 'reserve',
      metaTraceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
  });
  it('hashes any body, however split, and the same bytes the same way; an empty body has no hash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.integer({ min: 0, max: 2000 }), (bytes, cut) => {
        const a = new BodySniffer();
        a.add(Buffer.from(bytes));
        const b = new BodySniffer();
        const k = Math.min(cut, bytes.length);
        b.add(Buffer.from(bytes.subarray(0, k)));
        b.add(Buffer.from(bytes.subarray(k)));
        expect(b.facts().bodyHash).toBe(a.facts().bodyHash);
      }),
    );
    expect(factsOf().bodyHash).toBeNull();
    expect(factsOf('{"a":1}').bodyHash).not.toBe(factsOf('{"a":2}').bodyHash);
  });
  it('keeps only a bounded prefix: a huge body gets a hash and no JSON look', () => {
    const huge = JSON.stringify({ method: 'tools/call', params: { name: 'x', pad: 'y'.repeat(SNIFF_BYTES) } });
    expect(factsOf(huge)).toMatchObject({ bodyHash: expect.any(String), jsonrpcMethods: [], tool: null });
  });
});

describe('edge records through a live proxy, with no toxic at all', () => {
  it('carry the body hash, JSON-RPC method, MCP tool, Idempotency-Key and Retry-After', async () => {
    const { countingUpstream, startServer, createProxy, send, api, rpc } = await import('./helpers.js');
    const upstream = await countingUpstream((_req, res) => {
      res.writeHead(429, { 'retry-after': '2', 'content-length': '0' });
      res.end();
    });
    const server = await startServer();
    try {
      const port = await createProxy(server, 'mcp', upstream.port);
      const body = rpc('tools/call', 1, { name: 'reserve', arguments: { sku: 'a' } });
      const reply = await send(port, { path: '/mcp', body, headers: { 'Idempotency-Key': 'k-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
      expect(reply).toMatchObject({ status: 429 });
      let records: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 50 && records.length === 0; i++) {
        const r = await api(server, 'GET', '/proxies/mcp/records');
        records = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        if (records.length === 0) await new Promise((res) => setTimeout(res, 20));
      }
      expect(records[0]).toMatchObject({ jsonrpcMethod: 'tools/call', tool: 'reserve', idempotencyKey: 'k-1', retryAfter: '2', status: 429, bodyHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    } finally {
      await server.close();
      await upstream.close();
    }
  });
});
