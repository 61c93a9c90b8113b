/**
 * Declared outside dependencies (`detectors.topology.allow`): parsing the entries, matching a
 * target by name and by address (checked against an independent reference on random hosts, ports
 * and CIDRs), resolving names at start (a failure allows nothing), what the topology check says,
 * (the load-time validation is in test/scenario/detectors-config.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DetectorInput } from '../../src/detect/detector.js';
import { policyDetector } from '../../src/detect/policy.js';
import { allowedAddress, allowedBy, parseAllowList, parseAllowTarget, resolveAllow, ruleMatches, type AllowRule } from '../../src/detect/topology-allow.js';

const rule = (text: string, from?: string): AllowRule => {
  const r = parseAllowTarget(text, from);
  if (typeof r === 'string') throw new Error(r);
  return r;
};

describe('allow entries', () => {
  it('parse every form: host[:port], *.domain[:port], IPv4/IPv6 and CIDR with or without a port, per caller', () => {
    expect(rule('API.OpenAI.com:443')).toEqual({ text: 'API.OpenAI.com:443', host: 'api.openai.com', port: 443 });
    expect(rule('registry.npmjs.org')).toEqual({ text: 'registry.npmjs.org', host: 'registry.npmjs.org' });
    expect(rule('*.example.com:8443')).toEqual({ text: '*.example.com:8443', suffix: '.example.com', port: 8443 });
    expect(rule('10.0.0.0/8')).toEqual({ text: '10.0.0.0/8', net: { address: '10.0.0.0', prefix: 8, family: 'ipv4' } });
    expect(rule('10.1.2.3:5432')).toEqual({ text: '10.1.2.3:5432', net: { address: '10.1.2.3', prefix: 32, family: 'ipv4' }, port: 5432 });
    expect(rule('192.168.0.0/16:5432')).toMatchObject({ net: { prefix: 16 }, port: 5432 });
    expect(rule('::1/128')).toEqual({ text: '::1/128', net: { address: '::1', prefix: 128, family: 'ipv6' } });
    expect(rule('[fd00::/8]:443')).toMatchObject({ net: { address: 'fd00::', prefix: 8, family: 'ipv6' }, port: 443 });
    expect(rule('[::1]')).toMatchObject({ net: { address: '::1', prefix: 128 } });
    expect(rule('hooks.example.com:443', 'notifier')).toEqual({ text: 'hooks.example.com:443', from: 'notifier', host: 'hooks.example.com', port: 443 });
  });

  it('say what is wrong with a bad entry', () => {
    expect(parseAllowTarget('10.0.0.0/33')).toBe('bad CIDR prefix "/33" in "10.0.0.0/33", expected /0 to /32');
    expect(parseAllowTarget('fd00::/129')).toMatch(/^bad CIDR prefix "\/129".*expected \/0 to \/128$/);
    expect(parseAllowTarget('api.openai.com:0')).toBe('bad port "0", expected 1 to 65535');
    expect(parseAllowTarget('api.openai.com:65536')).toBe('bad port "65536", expected 1 to 65535');
    expect(parseAllowTarget('api.openai.com:')).toMatch(/^bad port ""/);
    expect(parseAllowTarget('300.1.1.1')).toMatch(/^bad IP address "300\.1\.1\.1"/);
    expect(parseAllowTarget('fd00::/8:443')).toMatch(/^bad CIDR prefix/);
    expect(parseAllowTarget('[example.com]:80')).toMatch(/expected an IPv6 address in the brackets/);
    expect(parseAllowTarget('*.')).toMatch(/^bad domain/);
    expect(parseAllowTarget('http://api.openai.com')).toMatch(/^bad /);
    expect(parseAllowTarget(' ')).toMatch(/^empty allow entry/);
    expect(() => parseAllowList(['ok.example', { from: 'a', to: 'bad host!' }])).toThrow(/bad host name "bad host!"/);
  });

  it('match by name, subdomain, address and port, for the caller named', () => {
    const rules = parseAllowList(['api.openai.com:443', '*.example.com', '10.0.0.0/8:5432', '::1/128', { from: 'notifier', to: 'hooks.slack.com' }]);
    const ok = (caller: string, host: string, port: number) => allowedBy(rules, caller, host, port)?.text;
    expect(ok('planner', 'api.openai.com', 443)).toBe('api.openai.com:443');
    expect(ok('planner', 'API.OPENAI.COM.', 443)).toBe('api.openai.com:443');
    expect(ok('planner', 'api.openai.com', 80)).toBeUndefined();
    expect(ok('planner', 'a.b.example.com', 1)).toBe('*.example.com');
    expect(ok('planner', 'example.com', 443)).toBeUndefined();
    expect(ok('planner', 'badexample.com', 443)).toBeUndefined();
    expect(ok('planner', '10.200.3.4', 5432)).toBe('10.0.0.0/8:5432');
    expect(ok('planner', '11.0.0.1', 5432)).toBeUndefined();
    expect(ok('planner', '[::1]', 8080)).toBe('::1/128');
    expect(ok('notifier', 'hooks.slack.com', 443)).toBe('hooks.slack.com');
    expect(ok('planner', 'hooks.slack.com', 443)).toBeUndefined();
    // A name is never matched to an address entry by the proxy, nor an address to a name.
    expect(ok('planner', 'db.internal', 5432)).toBeUndefined();
  });

  it('a target is allowed iff some entry matches it (against a reference, on random hosts, ports and CIDRs)', () => {
    const labels = fc.constantFrom('api', 'a', 'b', 'example', 'com', 'io');
    const name = fc.array(labels, { minLength: 1, maxLength: 3 }).map((l) => l.join('.'));
    const octet = fc.oneof(fc.constantFrom(0, 1, 10, 127, 255), fc.integer({ min: 0, max: 255 }));
    const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    const port = fc.oneof(fc.constantFrom(80, 443), fc.integer({ min: 1, max: 65535 }));
    const caller = fc.constantFrom('planner', 'notifier');
    type Spec = { kind: 'host' | 'suffix'; name: string; port?: number; from?: string } | { kind: 'net'; ip: string; prefix: number; port?: number; from?: string };
    const spec: fc.Arbitrary<Spec> = fc.record(
      {
        target: fc.oneof(
          fc.record({ kind: fc.constant<'host' | 'suffix'>('host'), name }),
          fc.record({ kind: fc.constant<'host' | 'suffix'>('suffix'), name }),
          fc.record({ kind: fc.constant<'net'>('net'), ip, prefix: fc.integer({ min: 0, max: 32 }) }),
        ),
        port,
        from: caller,
      },
      { requiredKeys: ['target'] },
    ).map(({ target, port: p, from }) => ({ ...target, ...(p !== undefined ? { port: p } : {}), ...(from !== undefined ? { from } : {}) }) as Spec);
    const text = (s: Spec) => (s.kind === 'net' ? `${s.ip}/${s.prefix}` : s.kind === 'suffix' ? `*.${s.name}` : s.name) + (s.port !== undefined ? `:${s.port}` : '');
    const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const reference = (s: Spec, who: string, host: string, p: number): boolean => {
      if ((s.from !== undefined && s.from !== who) || (s.port !== undefined && s.port !== p)) return false;
      if (s.kind !== 'net') return s.kind === 'host' ? host === s.name : host.endsWith(`.${s.name}`);
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(host)) return false;
      const size = 2 ** (32 - s.prefix);
      return Math.floor(toInt(host) / size) === Math.floor(toInt(s.ip) / size);
    };
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 5 }), caller, fc.oneof(name, ip), port, (specs, who, host, p) => {
        const rules = specs.map((s) => rule(text(s), s.from));
        const expected = specs.some((s) => reference(s, who, host, p));
        expect(allowedBy(rules, who, host, p) !== undefined).toBe(expected);
        expect(rules.some((r) => ruleMatches(r, who, host, p))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('allow entries by address (the socket view)', () => {
  it('allows the IPs of IP/CIDR entries and the addresses names resolved to; an unresolved name allows nothing', async () => {
    const rules = parseAllowList(['127.0.0.0/8:5432', 'llm.test:443', 'gone.test', '*.wild.test', { from: 'notifier', to: 'hooks.test:443' }]);
    const table: Record<string, string[]> = { 'llm.test': ['127.0.0.9', '::1'], 'hooks.test': ['127.0.0.7'] };
    const resolved = await resolveAllow(rules, async (host) => {
      if (!table[host]) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return table[host]!.map((address) => ({ address }));
    });
    expect(resolved.unresolved).toEqual([{ text: 'gone.test', reason: 'ENOTFOUND' }]);
    const at = (caller: string, remote: string) => allowedAddress(resolved, caller, remote)?.text;
    expect(at('planner', '127.0.0.3:5432')).toBe('127.0.0.0/8:5432');
    expect(at('planner', '127.0.0.3:5433')).toBeUndefined();
    expect(at('planner', '127.0.0.9:443')).toBe('llm.test:443');
    expect(at('planner', '[::1]:443')).toBe('llm.test:443');
    expect(at('planner', '127.0.0.9:80')).toBeUndefined();
    expect(at('notifier', '127.0.0.7:443')).toBe('hooks.test:443');
    expect(at('planner', '127.0.0.7:443')).toBeUndefined();
    expect(at('planner', '10.9.9.9:443')).toBeUndefined();
  });

  it('resolves a name with the system resolver (localhost, from /etc/hosts)', async () => {
    const resolved = await resolveAllow(parseAllowList(['localhost:8080']));
    expect(resolved.unresolved).toEqual([]);
    expect(resolved.addresses.get(0)!.length).toBeGreaterThan(0);
  });
});

describe('the topology check with declared outside dependencies', () => {
  const base: DetectorInput = { hops: [], edges: [{ id: 'planner->notifier', from: 'planner', to: 'notifier' }], workflows: [], phases: [] };
  const outside = { rules: parseAllowList(['10.0.0.0/8:5432', 'gone.test']), addresses: new Map(), unresolved: [{ text: 'gone.test', reason: 'ENOTFOUND' }] };
  const sockets = (observations: NonNullable<DetectorInput['sockets']>['observations']): DetectorInput['sockets'] => ({
    observations,
    allowed: new Map([['planner', new Set(['127.0.0.1:9001'])], ['notifier', new Set<string>()]]),
    peers: new Map(),
    outside,
  });
  const forwardProxy: DetectorInput['forwardProxy'] = {
    callers: new Map([['planner', []], ['notifier', []]]),
    forwarded: new Map([['planner', 3], ['notifier', 0]]),
    violations: [],
    allowed: [{ caller: 'notifier', target: 'api.openai.com:443', count: 2, firstMs: 10, entry: 'api.openai.com:443' }],
    peers: new Map(),
  };

  it('passes an allowed call and names it, in either view, and notes a name that did not resolve', () => {
    const checks = policyDetector().detect({ ...base, forwardProxy, sockets: sockets([{ agent: 'planner', remote: '10.1.2.3:5432', count: 4, firstMs: 0 }]) });
    expect(checks.map((c) => [c.name, c.status])).toEqual([['planner', 'pass'], ['notifier', 'pass']]);
    expect(checks[1]!.message).toBe(
      'notifier called only its declared edges and declared outside dependencies (forward proxy: 0 forwarded, sockets sampled); declared outside dependencies: 2 allowed calls to api.openai.com:443 (forward proxy, "api.openai.com:443"); allow entry "gone.test" did not resolve (ENOTFOUND), so the socket view allows nothing by its address',
    );
    expect(checks[0]!.message).toMatch(/declared outside dependencies: connected to 10\.1\.2\.3:5432, allowed by "10\.0\.0\.0\/8:5432" \(seen in the sockets 4×\)/);
  });

  it('still fails a connection no entry allows', () => {
    const checks = policyDetector().detect({ ...base, forwardProxy, sockets: sockets([{ agent: 'planner', remote: '10.1.2.3:5433', count: 1, firstMs: 0 }]) });
    expect(checks[0]).toMatchObject({ name: 'planner', status: 'fail', message: expect.stringMatching(/^planner connected to 10\.1\.2\.3:5433, which is not a declared edge of planner/) });
  });
});
