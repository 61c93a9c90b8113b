/**
 * Declared outside dependencies of the topology check (`detectors: { topology: { allow: [...] } }`):
 * hosts outside the team an agent calls on purpose (an LLM API, a registry, a database). Each entry
 * names a target — `host:port`, `host` (any port), `*.example.com[:port]` (its subdomains), an IP
 * or CIDR with an optional port (IPv6 in brackets when a port follows: `[::1]:443`,
 * `[fd00::/8]:443`) — and optionally the one caller it is allowed for (`{ from, to }`). The forward
 * proxy matches the name a client asked for; the socket view, which sees only addresses, matches
 * IP/CIDR entries and the addresses host-name entries resolved to when the run started.
 */
import dns from 'node:dns/promises';
import net from 'node:net';

/** One parsed allow entry. */
export interface AllowRule {
  /** The entry as written (`to` of a per-caller entry), for messages. */
  text: string;
  /** The one caller it is for; absent: every agent. */
  from?: string;
  /** The target port; absent: any port. */
  port?: number;
  /** An exact host name (lower case, no trailing dot). */
  host?: string;
  /** `*.example.com`: any name ending in `.example.com` (lower case). */
  suffix?: string;
  /** An IP or CIDR: its network address, prefix length and family. */
  net?: { address: string; prefix: number; family: 'ipv4' | 'ipv6' };
}

/** An allow entry as a scenario gives it. */
export type AllowInput = string | { from: string; to: string };

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Parses a port, or says what is wrong with it. */
function parsePort(text: string): number | string {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) return `bad port "${text}", expected 1 to 65535`;
  return Number(text);
}

/** Parses `address[/prefix]` into a network, or says what is wrong. */
function parseNet(text: string): AllowRule['net'] | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = net.isIP(address);
  if (version === 0) return `bad IP address "${address}", expected an IPv4 or IPv6 address`;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `bad CIDR prefix "/${prefixText}" in "${text}", expected /0 to /${max}`;
  return { address, prefix: Number(prefixText), family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Parses one allow target (`to`), returning the rule or a message (`<what is wrong>, expected …`).
 * IPv6 needs brackets when a port follows; `host`, `*.domain`, `a.b.c.d[/n]` take `:port` plainly.
 */
export function parseAllowTarget(text: string, from?: string): AllowRule | string {
  const raw = text.trim();
  if (raw === '') return 'empty allow entry, expected host[:port], *.domain[:port] or an IP/CIDR[:port]';
  const base = { text: raw, ...(from !== undefined ? { from } : {}) };
  let hostPart = raw;
  let portPart: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(raw);
  if (bracket) {
    hostPart = bracket[1]!;
    portPart = bracket[2];
    if (!hostPart.includes(':')) return `bad target "${raw}", expected an IPv6 address in the brackets`;
  } else if ((raw.match(/:/g) ?? []).length === 1) {
    [hostPart, portPart] = raw.split(':') as [string, string];
  }
  let port: number | undefined;
  if (portPart !== undefined) {
    const p = parsePort(portPart);
    if (typeof p === 'string') return p;
    port = p;
  }
  const withPort = port !== undefined ? { ...base, port } : base;
  // An IP or CIDR (IPv6 without a port needs no brackets: it has more than one colon).
  if (hostPart.includes(':') || hostPart.includes('/') || /^[\d.]+$/.test(hostPart)) {
    const n = parseNet(hostPart);
    return typeof n === 'string' ? n : { ...withPort, net: n };
  }
  const wildcard = hostPart.startsWith('*.');
  const name = hostPart.toLowerCase().replace(/(?<=.)\.$/, '');
  if (wildcard) {
    if (!HOST_NAME.test(name.slice(2))) return `bad domain "${hostPart}", expected *.example.com`;
    return { ...withPort, suffix: name.slice(1) };
  }
  if (!HOST_NAME.test(name)) return `bad host name "${hostPart}", expected host[:port], *.domain[:port] or an IP/CIDR[:port]`;
  return { ...withPort, host: name };
}

/** Parses a scenario's allow list; throws on the first bad entry (load-time validation reports them first). */
export function parseAllowList(entries: readonly AllowInput[]): AllowRule[] {
  return entries.map((e) => {
    const r = typeof e === 'string' ? parseAllowTarget(e) : parseAllowTarget(e.to, e.from);
    if (typeof r === 'string') throw new Error(r);
    return r;
  });
}

/** True when the IP literal `ip` is in the rule's network. */
function inNet(rule: NonNullable<AllowRule['net']>, ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 0) return false;
  const list = new net.BlockList();
  list.addSubnet(rule.address, rule.prefix, rule.family);
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** Lower case, without IPv6 brackets or a trailing dot: how a target's host is compared. */
function canonicalHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
}

/** True when `rule` allows `caller` to reach `host:port` by that name or IP literal. */
export function ruleMatches(rule: AllowRule, caller: string, host: string, port: number): boolean {
  if (rule.from !== undefined && rule.from !== caller) return false;
  if (rule.port !== undefined && rule.port !== port) return false;
  const h = canonicalHost(host);
  if (rule.host !== undefined) return rule.host === h;
  if (rule.suffix !== undefined) return h.endsWith(rule.suffix) && h.length > rule.suffix.length;
  return rule.net !== undefined && inNet(rule.net, h);
}

/** The first rule that allows `caller` to reach `host:port`, if any. */
export function allowedBy(rules: readonly AllowRule[], caller: string, host: string, port: number): AllowRule | undefined {
  return rules.find((r) => ruleMatches(r, caller, host, port));
}

/** An allow list with the addresses its host-name entries resolved to (for the socket view). */
export interface ResolvedAllow {
  rules: readonly AllowRule[];
  /** Per rule index: the addresses of an exact host-name entry. */
  addresses: ReadonlyMap<number, readonly string[]>;
  /** Host-name entries that did not resolve (they allow nothing by address), with why. */
  unresolved: ReadonlyArray<{ text: string; reason: string }>;
}

/** How names are resolved: `dns.lookup` with `all` (the system resolver, /etc/hosts included). */
export type LookupAll = (host: string) => Promise<Array<{ address: string }>>;

const systemLookup: LookupAll = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Resolves the exact host-name entries once, at the start of a run. A name that does not resolve
 * allows nothing by address (never anything else); `*.domain` entries cannot be resolved and match
 * only by name (the forward proxy).
 */
export async function resolveAllow(rules: readonly AllowRule[], lookup: LookupAll = systemLookup): Promise<ResolvedAllow> {
  const addresses = new Map<number, string[]>();
  const unresolved: Array<{ text: string; reason: string }> = [];
  await Promise.all(
    rules.map(async (r, i) => {
      if (r.host === undefined) return;
      try {
        addresses.set(i, (await lookup(r.host)).map((a) => a.address));
      } catch (err) {
        unresolved.push({ text: r.text, reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
      }
    }),
  );
  return { rules, addresses, unresolved };
}

/** Splits `host:port` / `[v6]:port` as the socket view writes them. */
function splitAddress(remote: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(remote);
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

/** The rule that allows `caller`'s connection to the address `remote` (`ip:port`), by IP/CIDR or a resolved name. */
export function allowedAddress(allow: ResolvedAllow, caller: string, remote: string): AllowRule | undefined {
  const a = splitAddress(remote);
  if (!a) return undefined;
  return allow.rules.find((r, i) => {
    if ((r.from !== undefined && r.from !== caller) || (r.port !== undefined && r.port !== a.port)) return false;
    if (r.net !== undefined) return inNet(r.net, a.host);
    return (allow.addresses.get(i) ?? []).some((ip) => inNet({ address: ip, prefix: net.isIPv6(ip) ? 128 : 32, family: net.isIPv6(ip) ? 'ipv6' : 'ipv4' }, a.host));
  });
}
