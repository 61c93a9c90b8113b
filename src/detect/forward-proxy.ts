/**
 * The process runtime's forward proxy: every agent agentcheck starts is given its own listener on
 * 127.0.0.1 in `HTTP_PROXY`/`HTTPS_PROXY`, so the caller is known by the listener a request came
 * in on (headers are the caller's to forge, the listener is not). A request to one of the caller's
 * declared edges' proxies is forwarded (absolute-form → origin-form; `CONNECT` → a tunnel), so a
 * client that sends everything to the proxy keeps working. Anything else, another agent's own port
 * or any other host, is refused with 403 without being contacted (no traffic leaves loopback) and
 * recorded as a violation, unless the scenario declares it an outside dependency
 * (`detectors.topology.allow`, `topology-allow.ts`): then it is forwarded for real and counted. It sees only clients that honour `HTTP_PROXY`; Node 20's `fetch` and raw
 * sockets do not, which is what the socket view (`socket-view.ts`) is for.
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { allowedBy, type AllowRule } from './topology-allow.js';

/** Where a proxy request goes. */
export interface ProxyTarget {
  /** Host name (lower case) or IP literal, IPv6 without brackets. */
  host: string;
  port: number;
  /** `host:port`, IPv6 in brackets: how targets are compared and reported. */
  authority: string;
  /** The origin-form (`/path?query`) to send upstream; absent for `CONNECT`. */
  path?: string;
}

const AUTHORITY = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+):(\d{1,5})$/;

/**
 * Parses a proxy request's target: absolute-form (`http://host[:port]/path`, default ports 80 and
 * 443) for every method but `CONNECT`, authority-form (`host:port`, port required) for `CONNECT`.
 * Returns null for anything else (origin-form `/path` is a request to a server, not to a proxy).
 */
export function parseProxyTarget(method: string, target: string): ProxyTarget | null {
  if (method.toUpperCase() === 'CONNECT') {
    const m = AUTHORITY.exec(target);
    if (!m) return null;
    const port = Number(m[2]);
    const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
    if (port < 1 || port > 65535 || (m[1]!.startsWith('[') && !net.isIPv6(host))) return null;
    // Through the URL parser, so that both forms name one host alike (case, IPv6 compression).
    return canonical(`http://${target}/`, port);
  }
  if (!/^https?:\/\/[^/?#\s]/i.test(target) || /\s/.test(target)) return null;
  const t = canonical(target);
  return t ? { ...t, path: originForm(target) } : null;
}

function canonical(text: string, explicitPort?: number): ProxyTarget | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username || url.password || url.hostname === '') return null;
  const port = explicitPort ?? (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
  if (port < 1 || port > 65535) return null;
  const bracketed = url.hostname.startsWith('[');
  const host = bracketed ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port, authority: `${bracketed ? `[${host}]` : host}:${port}` };
}

/** The path and query of an absolute-form target exactly as sent (`/` when it has none). */
function originForm(target: string): string {
  const afterScheme = target.indexOf('//') + 2;
  const start = target.slice(afterScheme).search(/[/?]/);
  if (start < 0) return '/';
  const rest = target.slice(afterScheme + start).replace(/#.*$/, '');
  return rest.startsWith('?') ? `/${rest}` : rest;
}

/** `localhost` and `127.0.0.1` are one address for the allow list (the edge proxies listen on 127.0.0.1). */
export function normalizeAuthority(authority: string): string {
  const t = parseProxyTarget('CONNECT', authority);
  if (!t) return authority;
  return t.host === 'localhost' ? `127.0.0.1:${t.port}` : t.authority;
}

/** A call an agent sent to its forward proxy that is not one of its declared edges. */
export interface ForwardViolation {
  caller: string;
  /** `host:port` it asked for. */
  target: string;
  /** Times asked. */
  count: number;
  /** First time, on the proxy's clock (see {@link ForwardProxyOptions.now}). */
  firstAtMs: number;
}

/** Distinct (caller, target) pairs kept per kind (refused, allowed) between two takes. */
export const MAX_DISTINCT_TARGETS = 1000;

/** The `target` of the entry that counts a caller's calls to targets past {@link MAX_DISTINCT_TARGETS}. */
export const OTHER_TARGETS = `other targets (past the first ${MAX_DISTINCT_TARGETS} distinct ones)`;

/** Options of {@link ForwardProxy}. */
export interface ForwardProxyOptions {
  /** The clock of `firstAtMs`; default `Date.now`. */
  now?: () => number;
  /** Largest request head accepted, bytes (default 16 KiB; larger gets 431). */
  maxHeaderSize?: number;
  /** A connection or tunnel with no traffic for this long is closed (default 60 s). */
  idleMs?: number;
  /** Time to receive a request head (default 10 s). */
  headersTimeoutMs?: number;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

interface Caller {
  name: string;
  server: http.Server;
  listen: string;
  allowed: Set<string>;
  /** Declared outside dependencies (`detectors.topology.allow`): forwarded, and counted in {@link ForwardProxy.seenAllowed}. */
  outside: readonly AllowRule[];
  forwarded: number;
}

/** Calls to declared outside dependencies, one per (caller, target). */
export interface AllowedCall extends ForwardViolation {
  /** The allow entry that matched, as written. */
  entry: string;
}

/** One forward-proxy listener per caller; {@link close} ends every listener, connection and tunnel. */
export class ForwardProxy {
  private readonly callers = new Map<string, Caller>();
  private readonly seen = new Map<string, ForwardViolation>();
  private readonly seenAllowed = new Map<string, AllowedCall>();
  private readonly sockets = new Set<Duplex>();
  private readonly upstream = new http.Agent({ keepAlive: true, maxSockets: 64, noDelay: true });
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: ForwardProxyOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Opens `caller`'s listener on 127.0.0.1 (a free port) and returns its URL (`http://127.0.0.1:port`).
   * `allowed` are the `host:port` addresses it may reach (its declared edges' proxies); `outside`
   * the declared outside dependencies (each rule's `from` is honoured: one for another caller is ignored).
   */
  async addCaller(caller: string, allowed: Iterable<string>, outside: readonly AllowRule[] = []): Promise<string> {
    if (this.closed) throw new Error('the forward proxy is closed');
    if (this.callers.has(caller)) throw new Error(`the forward proxy already has a listener for ${caller}`);
    const server = http.createServer({ maxHeaderSize: this.options.maxHeaderSize ?? 16 * 1024, requestTimeout: 0 });
    server.headersTimeout = this.options.headersTimeoutMs ?? 10_000;
    server.keepAliveTimeout = 5000;
    server.timeout = this.options.idleMs ?? 60_000;
    const entry: Caller = { name: caller, server, listen: '', allowed: new Set([...allowed].map(normalizeAuthority)), outside, forwarded: 0 };
    server.on('connection', (socket) => this.track(socket));
    server.on('request', (req, res) => this.onRequest(entry, req, res));
    server.on('connect', (req, socket, head) => this.onConnect(entry, req, socket, head));
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
      endRaw(socket, tooLarge ? 431 : 400, tooLarge ? 'Request Header Fields Too Large' : 'Bad Request', `agentcheck: malformed proxy request (${err.code ?? err.message})`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (this.closed) {
      // close() ran while this listener was opening: it must not outlive the proxy.
      server.close();
      throw new Error('the forward proxy is closed');
    }
    const { port } = server.address() as net.AddressInfo;
    entry.listen = `127.0.0.1:${port}`;
    this.callers.set(caller, entry);
    return `http://${entry.listen}`;
  }

  /** `caller`'s listener address (`127.0.0.1:port`), if it has one. */
  listenOf(caller: string): string | undefined {
    return this.callers.get(caller)?.listen;
  }

  /** The callers with a listener. */
  callerNames(): string[] {
    return [...this.callers.keys()];
  }

  /** Requests and tunnels forwarded to a declared edge, per caller. */
  forwardedCounts(): Map<string, number> {
    return new Map([...this.callers.values()].map((c) => [c.name, c.forwarded]));
  }

  /** The refused calls so far, one per (caller, target). */
  violations(): ForwardViolation[] {
    return [...this.seen.values()].map((v) => ({ ...v }));
  }

  /** The calls forwarded to declared outside dependencies so far, one per (caller, target). */
  allowedCalls(): AllowedCall[] {
    return [...this.seenAllowed.values()].map((v) => ({ ...v }));
  }

  /**
   * What was refused and forwarded since the last take, and starts counting afresh: a team shared
   * by several runs (game-day experiments with `restart: false`) reports each run's own calls.
   */
  take(): { violations: ForwardViolation[]; forwarded: Map<string, number>; allowed: AllowedCall[] } {
    const taken = { violations: this.violations(), forwarded: this.forwardedCounts(), allowed: this.allowedCalls() };
    this.seen.clear();
    this.seenAllowed.clear();
    for (const c of this.callers.values()) c.forwarded = 0;
    return taken;
  }

  /** Closes every listener and destroys every connection and tunnel; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const servers = [...this.callers.values()].map((c) => new Promise<void>((resolve) => c.server.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.upstream.destroy();
    await Promise.all(servers);
  }

  private track(socket: Duplex): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** True when `target` is one of the caller's edges or a declared outside dependency (recorded); otherwise records the violation. */
  private permit(caller: Caller, target: ProxyTarget): boolean {
    if (caller.allowed.has(normalizeAuthority(target.authority))) {
      caller.forwarded++;
      return true;
    }
    const rule = allowedBy(caller.outside, caller.name, target.host, target.port);
    const seen: Map<string, ForwardViolation> = rule ? this.seenAllowed : this.seen;
    // One entry per (caller, target), up to a bound: an agent that scans hosts must not grow the
    // proxy's memory without end. Targets past the bound are counted together, still as calls.
    let key = `${caller.name} ${target.authority}`;
    let authority = target.authority;
    if (!seen.has(key) && seen.size >= MAX_DISTINCT_TARGETS) {
      key = `${caller.name} *`;
      authority = OTHER_TARGETS;
    }
    const v = seen.get(key);
    if (v) v.count++;
    else if (rule) this.seenAllowed.set(key, { caller: caller.name, target: authority, count: 1, firstAtMs: this.now(), entry: rule.text });
    else this.seen.set(key, { caller: caller.name, target: authority, count: 1, firstAtMs: this.now() });
    return rule !== undefined;
  }

  private refusal(caller: Caller, target: ProxyTarget): string {
    return `agentcheck: ${caller.name} may call only its declared edges; ${target.authority} is not one\n`;
  }

  private onRequest(caller: Caller, req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = parseProxyTarget(req.method ?? '', req.url ?? '');
    if (!target) {
      res.shouldKeepAlive = false;
      return plain(res, 400, `agentcheck: a proxy request needs an absolute URL (http://host:port/path); got ${JSON.stringify(req.url)}\n`);
    }
    if (!this.permit(caller, target)) return plain(res, 403, this.refusal(caller, target));
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!HOP_BY_HOP.has(req.rawHeaders[i]!.toLowerCase())) headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    let up: http.ClientRequest;
    try {
      up = http.request({ host: target.host, port: target.port, method: req.method, path: target.path, headers, agent: this.upstream, setHost: false });
    } catch (err) {
      // Node refuses some paths and header values its own parser let through: the request's fault.
      return plain(res, 400, `agentcheck: malformed proxy request (${(err as Error).message})\n`);
    }
    up.on('response', (upRes) => {
      const back: string[] = [];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(upRes.rawHeaders[i]!.toLowerCase())) back.push(upRes.rawHeaders[i]!, upRes.rawHeaders[i + 1]!);
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, back);
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    });
    up.on('error', (err) => {
      if (!res.headersSent) plain(res, 502, `agentcheck: the forward proxy could not reach ${target.authority}: ${err.message}\n`);
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  private onConnect(caller: Caller, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = parseProxyTarget('CONNECT', req.url ?? '');
    if (!target) return endRaw(socket, 400, 'Bad Request', `agentcheck: CONNECT needs host:port; got ${JSON.stringify(req.url)}\n`);
    if (!this.permit(caller, target)) return endRaw(socket, 403, 'Forbidden', this.refusal(caller, target));
    const up = net.connect({ port: target.port, host: target.host, noDelay: true });
    this.track(up);
    const idle = this.options.idleMs ?? 60_000;
    up.setTimeout(idle, () => up.destroy());
    if (socket instanceof net.Socket) socket.setTimeout(idle, () => socket.destroy());
    up.once('connect', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.once('error', (err) => {
      if (up.connecting) endRaw(socket, 502, 'Bad Gateway', `agentcheck: the forward proxy could not reach ${target.authority}: ${err.message}\n`);
      else socket.destroy();
    });
    socket.once('error', () => up.destroy());
    socket.once('close', () => up.destroy());
    up.once('close', () => socket.destroy());
  }
}

function plain(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** An answer written straight to the socket (a CONNECT or a request Node's parser refused), then close. */
function endRaw(socket: Duplex, status: number, reason: string, body: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** The proxy variables a started agent gets, in both spellings clients read. */
export const PROXY_ENV_KEYS = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy'] as const;

/**
 * The environment that sends an agent's HTTP(S) through `proxyUrl`, with `direct` (its declared
 * edges' proxies, `host:port`) in `NO_PROXY`. Keys the scenario's own `env` sets are left to it and
 * named in `kept`.
 */
export function proxyEnv(proxyUrl: string, direct: readonly string[], userEnv: Readonly<Record<string, string>> = {}): { env: Record<string, string>; kept: string[] } {
  const values: Record<(typeof PROXY_ENV_KEYS)[number], string> = {
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    NO_PROXY: direct.join(','),
    no_proxy: direct.join(','),
  };
  const env: Record<string, string> = {};
  const kept: string[] = [];
  for (const key of PROXY_ENV_KEYS) {
    if (key in userEnv) kept.push(key);
    else env[key] = values[key];
  }
  return { env, kept };
}
