import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/chaos/rng.js';
import { Decider } from '../../../src/chaos/http/decision.js';
import { AttemptCounter, attemptKey, requestIdentity, traceIdOf } from '../../../src/chaos/http/identity.js';
import { drawLatency, type LatencySpec } from '../../../src/chaos/http/distribution.js';
import { jsonRpcMethods } from '../../../src/chaos/http/jsonrpc.js';
import { compileMatch, parseMatch, targetPath } from '../../../src/chaos/http/match.js';
import { AttributeError } from '../../../src/chaos/http/attributes.js';
import { SseEventCounter, isEventStream } from '../../../src/chaos/http/sse.js';
import { BoundedLog, parseNdjson, toNdjson } from '../../../src/chaos/http/bounded-log.js';
import { FaultJournal } from '../../../src/chaos/journal.js';

describe('jsonRpcMethods', () => {
  it('reads the method of a request and of every batch member', () => {
    expect(jsonRpcMethods('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}')).toEqual(['tools/call']);
    expect(jsonRpcMethods(Buffer.from('[{"method":"a"},{"id":2,"result":1},{"method":"b"}]'))).toEqual(['a', 'b']);
  });
  it('returns [] for anything else', () => {
    expect(jsonRpcMethods('not json "method"')).toEqual([]);
    expect(jsonRpcMethods('{"method": 3}')).toEqual([]);
    expect(jsonRpcMethods('')).toEqual([]);
  });
});

describe('match', () => {
  const facts = (over: Partial<Parameters<ReturnType<typeof compileMatch>>[0]> = {}) => ({
    method: 'POST',
    path: '/a2a',
    headers: [['X-Tenant', 'acme-eu'] as [string, string]],
    jsonrpcMethods: ['SendMessage'],
    ...over,
  });

  it('matches everything when empty', () => {
    expect(compileMatch(parseMatch(null))(facts())).toBe(true);
    expect(compileMatch(parseMatch({}))(facts({ method: 'GET', jsonrpcMethods: null }))).toBe(true);
  });

  it('requires every given filter', () => {
    const m = compileMatch(parseMatch({ method: 'post', path: '/a2a/**', header: { 'x-tenant': 'acme-*' }, jsonrpc_method: ['SendMessage', 'message/send'] }));
    expect(m.needsBody).toBe(true);
    expect(m(facts())).toBe(true);
    expect(m(facts({ path: '/a2a/sub/x' }))).toBe(true);
    expect(m(facts({ method: 'GET' }))).toBe(false);
    expect(m(facts({ path: '/mcp' }))).toBe(false);
    expect(m(facts({ headers: [['x-tenant', 'other']] }))).toBe(false);
    expect(m(facts({ headers: [] }))).toBe(false);
    expect(m(facts({ jsonrpcMethods: ['tasks/get'] }))).toBe(false);
    expect(m(facts({ jsonrpcMethods: null }))).toBe(false);
  });

  it('rejects wrongly typed filters with a message naming the attribute', () => {
    expect(() => parseMatch('POST')).toThrow(AttributeError);
    expect(() => parseMatch({ method: 3 })).toThrow(/match.method/);
    expect(() => parseMatch({ header: { a: 1 } })).toThrow(/match.header/);
  });

  it('reduces request targets to their path', () => {
    expect(targetPath('/a/b?x=1')).toBe('/a/b');
    expect(targetPath('http://h:1/p?q')).toBe('/p');
    expect(targetPath('http://h:1')).toBe('/');
    expect(targetPath('*')).toBe('*');
  });
});

describe('request identity', () => {
  const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
  it('joins by trace id whatever the span id; null without traceparent and Idempotency-Key', () => {
    fc.assert(
      fc.property(hex(32), hex(16), hex(16), fc.option(fc.string({ minLength: 1 }).filter((k) => k.trim() === k && k.length > 0)), (trace, spanA, spanB, key) => {
        fc.pre(!/^0+$/.test(trace));
        const headers = (span: string): Array<[string, string]> => [['Traceparent', `00-${trace}-${span}-01`], ...(key ? [['idempotency-key', key] as [string, string]] : [])];
        const a = requestIdentity('post', '/charges', headers(spanA), ['tools/call']);
        const b = requestIdentity('POST', '/charges', headers(spanB), ['tools/call']);
        expect(a).toEqual(b);
        expect(a.traceId).toBe(trace);
        expect(a.key).toContain('rpc=tools/call');
        expect(requestIdentity('POST', '/other', headers(spanA), null).key).not.toBe(a.key);
        expect(attemptKey('POST', '/charges', headers(spanA))).toBe(attemptKey('POST', '/charges', headers(spanB)));
      }),
    );
    expect(requestIdentity('GET', '/', [['traceparent', 'garbage']], null)).toEqual({ key: null, traceId: null, idempotencyKey: null });
    expect(traceIdOf(`00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`)).toBeNull();
    expect(requestIdentity('POST', '/x', [['Idempotency-Key', 'k1']], null).key).toBe('- POST /x key=k1');
  });
});

describe('Decider', () => {
  const spec = (over = {}) => ({ probability: 1, first: 0, every: 0, ...over });

  it('first N and every N-th count matching requests only', () => {
    const first = new Decider(createRng(1));
    const fired = [true, false, true, true, false, true, true].map((m) => first.decide(null, 0, m, spec({ first: 3 }), 1).fired);
    expect(fired).toEqual([true, false, true, true, false, false, false]);
    const every = new Decider(createRng(1));
    const e = Array.from({ length: 9 }, () => every.decide(null, 0, true, spec({ every: 3 }), 1));
    expect(e.map((d) => d.fired)).toEqual([false, false, true, false, false, true, false, false, true]);
    expect(e.map((d) => d.reason ?? 'fired')[0]).toBe('not-every');
  });

  it('fires at the toxicity rate, identically for the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (seed, p) => {
        const run = () => {
          const d = new Decider(createRng(seed).fork('toxic:drop'));
          return Array.from({ length: 2000 }, () => d.decide(null, 0, true, spec(), p).fired);
        };
        const a = run();
        expect(run()).toEqual(a);
        const rate = a.filter(Boolean).length / a.length;
        expect(Math.abs(rate - p)).toBeLessThan(0.06);
      }),
      { numRuns: 20 },
    );
  });

  it('keys rolls and draws by identity and attempt: any arrival order gives each request the same decision', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 60 }), fc.nat(), (seed, ids, shuffleSeed) => {
        const decideAll = (order: number[]) => {
          const d = new Decider(createRng(seed).fork('toxic:lat'));
          const out = new Map<string, [boolean, number]>();
          const attempts = new AttemptCounter();
          for (const i of order) {
            const r = d.decide(`trace-${i} POST /x`, attempts.next(`trace-${i}`), true, spec(), 0.5);
            out.set(`${i}#${r.attempt}`, [r.fired, r.random.next()]);
          }
          return out;
        };
        // Another arrival order of the same requests (retries of an identity stay in their order).
        const shuffled = [...ids].sort((a, b) => ((a * 7919 + shuffleSeed) % 97) - ((b * 7919 + shuffleSeed) % 97));
        expect(decideAll(shuffled)).toEqual(decideAll(ids));
      }),
      { numRuns: 50 },
    );
  });

  it('counts attempts per identity: first delivery 0, each retry one more', () => {
    const counter = new AttemptCounter();
    expect(['a', 'b', 'a', 'a', 'b', null].map((id) => counter.next(id))).toEqual([0, 0, 1, 2, 1, 0]);
  });

  it('replay fires exactly the listed identity+attempt pairs (or ordinals without identity), with their values', () => {
    const d = new Decider(createRng(3));
    const replay = [
      { id: 'a', attempt: 1, value: { delayMs: 42 } },
      { id: null, attempt: 0, ordinal: 3 },
    ];
    const s = spec({ replay, first: 1 });
    const out = ([['a', 0], ['a', 1], [null, 0], ['b', 0]] as const).map(([id, attempt]) => d.decide(id, attempt, true, s, 0));
    expect(out.map((o) => o.fired)).toEqual([false, true, true, false]);
    expect(out[1]!.value).toEqual({ delayMs: 42 });
    expect(out[0]!.reason).toBe('not-scheduled');
    // An empty schedule fires nothing, whatever the toxicity.
    const none = new Decider(createRng(3));
    expect(none.decide('a', 0, true, spec({ replay: [] }), 1).fired).toBe(false);
  });
});

describe('drawLatency', () => {
  const base: LatencySpec = { distribution: 'uniform', latency: 100, jitter: 20, shape: 2, sigma: 0.5, max: 0 };
  const sample = (spec: LatencySpec, n = 4000) => {
    const rng = createRng('lat');
    return Array.from({ length: n }, () => drawLatency(spec, rng));
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

  it('uniform stays within latency ± jitter', () => {
    const xs = sample(base);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...xs)).toBeLessThanOrEqual(120);
    expect(mean(xs)).toBeGreaterThan(97);
    expect(mean(xs)).toBeLessThan(103);
  });

  it('normal has the given mean and deviation, never negative', () => {
    const xs = sample({ ...base, distribution: 'normal' });
    const m = mean(xs);
    const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    expect(m).toBeGreaterThan(98);
    expect(m).toBeLessThan(102);
    expect(sd).toBeGreaterThan(18);
    expect(sd).toBeLessThan(22);
    expect(Math.min(...sample({ ...base, distribution: 'normal', jitter: 200 }))).toBeGreaterThanOrEqual(0);
  });

  it('pareto never goes below its scale and has a heavy tail; max caps it', () => {
    const xs = sample({ ...base, distribution: 'pareto', shape: 1.5 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...xs)).toBeGreaterThan(1000);
    expect(Math.max(...sample({ ...base, distribution: 'pareto', shape: 1.5, max: 500 }))).toBeLessThanOrEqual(500);
  });

  it('lognormal has the given median', () => {
    const xs = sample({ ...base, distribution: 'lognormal', sigma: 0.5 });
    expect(median(xs)).toBeGreaterThan(95);
    expect(median(xs)).toBeLessThan(105);
  });

  it('is reproducible for a seed', () => {
    expect(sample({ ...base, distribution: 'lognormal' }, 50)).toEqual(sample({ ...base, distribution: 'lognormal' }, 50));
  });
});

describe('SseEventCounter', () => {
  const stream = 'data: a\n\n: comment only\n\nevent: x\ndata: b\r\n\r\nid: 3\n\ndata\n\ndata: c\rdata: d\r\r';

  it('counts events the way EventSource dispatches them (blocks with data)', () => {
    const c = new SseEventCounter();
    expect(c.feed(Buffer.from(stream))).toBe(-1);
    expect(c.count).toBe(4);
  });

  it('returns the offset right after the N-th event, however the stream is split', () => {
    const bytes = Buffer.from(stream);
    for (let n = 1; n <= 4; n++) {
      const whole = new SseEventCounter().feed(bytes, n);
      fc.assert(
        fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 6 }), (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const c = new SseEventCounter();
          let prev = 0;
          for (const p of [...points, bytes.length]) {
            const at = c.feed(bytes.subarray(prev, p), n);
            if (at >= 0) {
              // A CRLF split right after its CR: the CR alone already ends the line for EventSource.
              const splitCrlf = prev + at === whole - 1 && p === whole - 1 && bytes[whole - 2] === 13;
              expect(splitCrlf ? whole : prev + at).toBe(whole);
              return;
            }
            prev = p;
          }
          throw new Error('limit not reached');
        }),
        { numRuns: 100 },
      );
    }
    expect(bytes.subarray(0, new SseEventCounter().feed(bytes, 2)).toString()).toBe('data: a\n\n: comment only\n\nevent: x\ndata: b\r\n\r\n');
  });

  it('recognises event-stream content types', () => {
    expect(isEventStream('text/event-stream; charset=utf-8')).toBe(true);
    expect(isEventStream('application/json')).toBe(false);
    expect(isEventStream(undefined)).toBe(false);
  });
});

describe('BoundedLog and FaultJournal', () => {
  it('keeps the newest entries, numbered, and counts evictions', () => {
    const log = new BoundedLog<{ v: number }>(3);
    for (let v = 1; v <= 5; v++) log.append({ v });
    expect(log.list().map((e) => [e.seq, e.v])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(log.evicted).toBe(2);
    expect(log.list(4).map((e) => e.v)).toEqual([5]);
  });

  it('round-trips the journal through NDJSON', () => {
    const j = new FaultJournal();
    j.append({ proxy: 'p', toxic: 't', type: 'drop', requestId: '1.1', method: 'POST', path: '/', jsonrpcMethod: null, traceparent: null, identity: null, traceId: null, idempotencyKey: null, attempt: 0, ordinal: 1, fired: true, value: {}, outcome: 'drop:hang' });
    const text = j.toNdjson();
    expect(text.endsWith('\n')).toBe(true);
    expect(parseNdjson(text)).toEqual(j.entries());
    expect(toNdjson([])).toBe('');
  });
});
