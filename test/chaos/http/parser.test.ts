import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpParser, type HttpHead, type RequestHead, type ResponseHead } from '../../../src/chaos/http/parser.js';

interface Parsed<H extends HttpHead> {
  heads: H[];
  bodies: Buffer[];
  raw: Buffer[];
  tunnel: Buffer[];
  ends: number;
  errors: { message: string; status: number }[];
}

function collect<H extends HttpHead>(kind: H['kind'], methods: string[] = []) {
  const out: Parsed<H> = { heads: [], bodies: [], raw: [], tunnel: [], ends: 0, errors: [] };
  let current: Buffer[] = [];
  let answered = 0;
  const parser = new HttpParser<H>(
    kind,
    {
      onHead: (h) => {
        out.heads.push(h);
        out.raw.push(h.raw);
        current = [];
      },
      onBody: (raw, data) => {
        out.raw.push(raw);
        if (data) current.push(data);
      },
      onEnd: () => {
        out.ends++;
        out.bodies.push(Buffer.concat(current));
        const last = out.heads[out.heads.length - 1] as HttpHead | undefined;
        if (last?.kind === 'response' && (last.status >= 200 || last.status === 101)) answered++;
      },
      onTunnel: (raw) => out.tunnel.push(raw),
      onError: (e) => out.errors.push({ message: e.message, status: e.status }),
    },
    () => methods[answered],
  );
  return { parser, out };
}

function feed(parser: HttpParser<HttpHead>, input: Buffer, cuts: number[]): void {
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const at = Math.min(input.length, Math.max(prev, c));
    parser.push(input.subarray(prev, at));
    prev = at;
  }
  parser.push(input.subarray(prev));
}

describe('HttpParser: requests', () => {
  it('frames a keep-alive pipeline of GET, Content-Length and chunked requests', () => {
    const input = Buffer.from(
      'GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n' +
        'POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello' +
        'POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n',
    );
    const { parser, out } = collect<RequestHead>('request');
    parser.push(input);
    expect(out.errors).toEqual([]);
    expect(out.heads.map((h) => [h.method, h.target, h.framing])).toEqual([
      ['GET', '/a?x=1', 'none'],
      ['POST', '/b', 'length'],
      ['POST', '/c', 'chunked'],
    ]);
    expect(out.bodies.map((b) => b.toString())).toEqual(['', 'hello', 'abcde']);
    expect(Buffer.concat(out.raw).equals(input)).toBe(true);
    expect(parser.idle).toBe(true);
  });

  it('tolerates empty lines before a request line and keeps them in the raw bytes', () => {
    const input = Buffer.from('\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    const { parser, out } = collect<RequestHead>('request');
    parser.push(input);
    expect(out.heads).toHaveLength(1);
    expect(Buffer.concat(out.raw).equals(input)).toBe(true);
  });

  it.each([
    ['GET /\r\n\r\n', 'invalid request line'],
    ['GET / HTTP/2.0\r\n\r\n', 'invalid request line'],
    ['G(T / HTTP/1.1\r\n\r\n', 'invalid request line'],
    ['GET / HTTP/1.1\r\nBad Header: x\r\n\r\n', 'invalid header name'],
    ['GET / HTTP/1.1\r\nNoColon\r\n\r\n', 'invalid header line'],
    ['GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n', 'obsolete header line folding'],
    ['GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n', 'bare CR, LF or NUL'],
    ['POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'invalid Content-Length'],
    ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 'invalid Content-Length'],
    ['POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 'both Transfer-Encoding and Content-Length'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 'Transfer-Encoding without chunked last'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'invalid chunk size'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX', 'chunk data not followed by CRLF'],
  ])('rejects malformed request %j with 400', (text, message) => {
    const { parser, out } = collect<RequestHead>('request');
    parser.push(Buffer.from(text));
    expect(out.errors).toEqual([{ message: expect.stringContaining(message), status: 400 }]);
    expect(parser.failed).toBe(true);
    parser.push(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(out.errors).toHaveLength(1);
  });

  it('answers 431 for a header section over the limit, even without a terminator', () => {
    const { parser, out } = collect<RequestHead>('request');
    parser.push(Buffer.from('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(70_000)));
    expect(out.errors).toEqual([{ message: 'header section too large', status: 431 }]);
  });

  it('parses a head fed one byte at a time, empty lines first, in linear time', () => {
    const big = 'X-Pad: ' + 'p'.repeat(60_000) + '\r\n';
    const input = Buffer.from('\r\n\r\nPOST /slow HTTP/1.1\r\n' + big + 'Content-Length: 2\r\n\r\nok');
    const { parser, out } = collect<RequestHead>('request');
    const t = performance.now();
    for (let i = 0; i < input.length; i++) parser.push(input.subarray(i, i + 1));
    expect(performance.now() - t).toBeLessThan(5000);
    expect(out.errors).toEqual([]);
    expect(out.heads.map((h) => h.target)).toEqual(['/slow']);
    expect(out.bodies.map(String)).toEqual(['ok']);
    expect(Buffer.concat(out.raw).equals(input)).toBe(true);
  });

  it('answers 431 when a head fed in small reads grows past the limit', () => {
    const { parser, out } = collect<RequestHead>('request');
    const line = Buffer.from('X-A: ' + 'a'.repeat(995) + '\r\n');
    parser.push(Buffer.from('GET / HTTP/1.1\r\n'));
    for (let i = 0; i < 70 && out.errors.length === 0; i++) parser.push(line);
    expect(out.errors).toEqual([{ message: 'header section too large', status: 431 }]);
  });

  it('pauses after an upgrade request, then resumes or tunnels', () => {
    const tail = Buffer.from('GET /next HTTP/1.1\r\n\r\n');
    const up = Buffer.concat([Buffer.from('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), tail]);
    const a = collect<RequestHead>('request');
    a.parser.push(up);
    expect(a.out.heads.map((h) => h.upgrade)).toEqual([true]);
    expect(a.parser.paused).toBe(true);
    a.parser.resume();
    expect(a.out.heads.map((h) => h.target)).toEqual(['/ws', '/next']);

    const b = collect<RequestHead>('request');
    b.parser.push(up);
    b.parser.tunnel();
    b.parser.push(Buffer.from('frames'));
    expect(Buffer.concat(b.out.tunnel).toString()).toBe(tail.toString() + 'frames');
  });
});

describe('HttpParser: responses', () => {
  it('knows which responses have no body: HEAD, 1xx, 204, 304', () => {
    const input = Buffer.from(
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n' + // answer to HEAD: no body despite the length
        'HTTP/1.1 100 Continue\r\n\r\n' +
        'HTTP/1.1 204 No Content\r\n\r\n' +
        'HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    const { parser, out } = collect<ResponseHead>('response', ['HEAD', 'POST', 'GET', 'GET']);
    parser.push(input);
    expect(out.errors).toEqual([]);
    expect(out.heads.map((h) => [h.status, h.framing])).toEqual([
      [200, 'none'],
      [100, 'none'],
      [204, 'none'],
      [304, 'none'],
      [200, 'length'],
    ]);
    expect(out.bodies.map((b) => b.toString())).toEqual(['', '', '', '', 'ok']);
    expect(Buffer.concat(out.raw).equals(input)).toBe(true);
  });

  it('reads a body without length until the connection closes', () => {
    const { parser, out } = collect<ResponseHead>('response', ['GET']);
    parser.push(Buffer.from('HTTP/1.0 200 OK\r\n\r\npart1'));
    parser.push(Buffer.from('part2'));
    expect(out.ends).toBe(0);
    expect(parser.finish()).toBe(true);
    expect(out.bodies.map(String)).toEqual(['part1part2']);
  });

  it('reports a message cut in the middle at EOF', () => {
    const { parser } = collect<ResponseHead>('response', ['GET']);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'));
    expect(parser.finish()).toBe(false);
  });

  it('switches to a tunnel after 101 Switching Protocols', () => {
    const { parser, out } = collect<ResponseHead>('response', ['GET']);
    parser.push(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello', 'latin1'));
    expect(out.heads[0]?.status).toBe(101);
    expect(parser.tunneling).toBe(true);
    expect(Buffer.concat(out.tunnel).toString('latin1')).toBe('\x81\x05hello');
  });

  it('prefers Transfer-Encoding over Content-Length on a response', () => {
    const { parser, out } = collect<ResponseHead>('response', ['GET']);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n'));
    expect(out.bodies.map(String)).toEqual(['x']);
  });
});

// ---- property: any sequence of messages, cut anywhere, is framed exactly ------------------

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,11}$/);
const bodyArb = fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a));
const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  path: fc.stringMatching(/^\/[a-z0-9/_.-]{0,20}$/),
  headers: fc.array(fc.tuple(token, fc.stringMatching(/^[ -~]{0,30}$/)), { maxLength: 5 }),
  body: bodyArb,
  framing: fc.constantFrom('length', 'chunked', 'none'),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
  trailers: fc.boolean(),
});

type RequestSpec = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function serialise(r: RequestSpec): { bytes: Buffer; body: Buffer } {
  const extra = r.headers
    .filter(([n]) => !/^(content-length|transfer-encoding|upgrade)$/i.test(n))
    .map(([n, v]) => `${n}: ${v.trim()}\r\n`)
    .join('');
  const body = r.framing === 'none' ? Buffer.alloc(0) : r.body;
  if (r.framing === 'chunked') {
    const parts: Buffer[] = [Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${extra}Transfer-Encoding: chunked\r\n\r\n`)];
    let off = 0;
    let i = 0;
    while (off < body.length) {
      const size = Math.min(r.chunkSizes[i++ % r.chunkSizes.length] as number, body.length - off);
      parts.push(Buffer.from(`${size.toString(16)}\r\n`), body.subarray(off, off + size), Buffer.from('\r\n'));
      off += size;
    }
    parts.push(Buffer.from(r.trailers ? '0\r\nX-Sum: 1\r\n\r\n' : '0\r\n\r\n'));
    return { bytes: Buffer.concat(parts), body };
  }
  const cl = r.framing === 'length' ? `Content-Length: ${body.length}\r\n` : '';
  return { bytes: Buffer.concat([Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${extra}${cl}\r\n`), body]), body };
}

describe('HttpParser: properties', () => {
  it('hands back every input byte exactly once and each body exactly, however the input is cut', () => {
    fc.assert(
      fc.property(
        fc.array(requestArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 25 }),
        (requests, cutSeeds) => {
          const msgs = requests.map(serialise);
          const input = Buffer.concat(msgs.map((m) => m.bytes));
          const cuts = cutSeeds.map((s) => s % (input.length + 1));
          const { parser, out } = collect<RequestHead>('request');
          feed(parser as HttpParser<HttpHead>, input, cuts);
          expect(out.errors).toEqual([]);
          expect(out.heads).toHaveLength(msgs.length);
          expect(out.ends).toBe(msgs.length);
          out.bodies.forEach((b, i) => expect(b.equals(msgs[i]!.body)).toBe(true));
          expect(Buffer.concat(out.raw).equals(input)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes (it reports errors instead)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom<'request' | 'response'>('request', 'response'), (bytes, kind) => {
        const { parser, out } = collect(kind, ['GET', 'GET', 'GET']);
        parser.push(Buffer.from(bytes));
        parser.finish();
        // Whatever was handed back is a prefix of the input.
        const back = Buffer.concat([...out.raw, ...out.tunnel]);
        expect(Buffer.from(bytes).subarray(0, back.length).equals(back)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
