/**
 * Listen and upstream addresses in Go's `host:port` form, with Go's error wording (Toxiproxy returns
 * these as 500 bodies, e.g. `listen tcp 127.0.0.1:18081: bind: address already in use`).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** A `host:port` split like Go's net.SplitHostPort; `error` is Go's message for a bad address. */
export function splitHostPort(address: string): { host: string; port: string } | { error: string } {
  const missing = { error: `address ${address}: missing port in address` };
  const tooMany = { error: `address ${address}: too many colons in address` };
  const i = address.lastIndexOf(':');
  if (i < 0) return missing;
  let host: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0) return { error: `address ${address}: missing ']' in address` };
    if (end + 1 === address.length) return missing;
    if (end + 1 !== i) return address[end + 1] === ':' ? tooMany : missing;
    host = address.slice(1, end);
  } else {
    host = address.slice(0, i);
    if (host.includes(':')) return tooMany;
  }
  return { host, port: address.slice(i + 1) };
}

/** Formats a bound address as Go does: `127.0.0.1:8474`, `[::1]:8474`. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A resolved listen address, or Go's `listen tcp: …` error text. */
export async function resolveListen(listen: string): Promise<{ host: string; port: number } | { error: string }> {
  const split = splitHostPort(listen === '' ? ':0' : listen);
  if ('error' in split) return { error: `listen tcp: ${split.error}` };
  const { host, port: portText } = split;
  let port: number;
  if (portText === '') port = 0;
  else if (/^\d+$/.test(portText)) {
    port = Number(portText);
    if (port > 65535) return { error: `listen tcp: address ${portText}: invalid port` };
  } else return { error: `listen tcp: lookup tcp/${portText}: unknown port` };
  if (host === '') return { host: '::', port };
  if (host === 'localhost') return { host: '127.0.0.1', port };
  if (isIP(host)) return { host, port };
  try {
    // Go listens on the first IPv4 address of a name.
    const found = await lookup(host, { family: 4 });
    return { host: found.address, port };
  } catch {
    return { error: `listen tcp: lookup ${host}: no such host` };
  }
}

/** Go's wording for a failed bind, from a Node socket error. */
export function bindErrorText(host: string, port: number, err: NodeJS.ErrnoException): string {
  const reasons: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EACCES: 'permission denied',
    EADDRNOTAVAIL: 'cannot assign requested address',
    EAFNOSUPPORT: 'address family not supported by protocol',
  };
  const reason = (err.code && reasons[err.code]) ?? err.message;
  return `listen tcp ${joinHostPort(host, port)}: bind: ${reason}`;
}

/** Splits an upstream `host:port` for dialing; null when it cannot be dialed. */
export function parseUpstream(upstream: string): { host: string; port: number } | null {
  const split = splitHostPort(upstream);
  if ('error' in split || !/^\d+$/.test(split.port)) return null;
  const port = Number(split.port);
  if (port < 1 || port > 65535) return null;
  return { host: split.host === '' ? 'localhost' : split.host, port };
}
