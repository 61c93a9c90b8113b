/**
 * One proxy: a TCP listener, its upstream address, its toxics, and the open connections. Each
 * accepted client gets an upstream connection, a random source forked from the proxy's
 * (`conn:<n>`), and is wired by the proxy's protocol handler (`tcp` by default).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { bindErrorText, joinHostPort, parseUpstream, resolveListen } from './address.js';
import { ApiError } from './api-error.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { protocolHandler, tcpProtocol } from './protocols.js';
import type { Rng } from './rng.js';
import { ToxicCollection } from './toxic-set.js';

// Socket buffers big enough for a whole 64 KiB read, so relaying a large body does not pause and
// resume the source on every chunk (measured: +40 % throughput on 64 KiB responses).
const SOCKET_HWM = 256 * 1024;

/** What a proxy is made from (the body of `POST /proxies`). */
export interface ProxyConfig {
  /** Unique name. */
  readonly name: string;
  /** `host:port` to listen on; port 0 picks a free port. */
  readonly listen: string;
  /** `host:port` to connect each client to. */
  readonly upstream: string;
  /** Start listening at once (default true). */
  readonly enabled?: boolean;
  /** Connection pipeline, default `tcp` (plain Toxiproxy). */
  readonly protocol?: string;
}

/** The fields `POST /proxies/{p}` may change. */
export interface ProxyUpdate {
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly protocol: string;
}

/** A running (or stopped) proxy. */
export class Proxy implements ConnectionOwner {
  /** Listen address: the bound `host:port` once started, the configured one before. */
  listen: string;
  /** Upstream `host:port`. */
  upstream: string;
  /** True while listening (false = "down"). */
  enabled = false;
  /** Protocol handler name (`tcp` unless configured). */
  protocol: string;
  /** The proxy's toxics; links of open connections follow changes live. */
  readonly toxics = new ToxicCollection();
  /** This proxy's random source: `serverRng.fork('proxy:<name>')`. */
  readonly rng: Rng;
  private server: Server | null = null;
  private readonly open = new Set<Connection>();
  private readonly pending = new Set<Socket>();
  private accepted = 0;

  constructor(
    /** Unique name. */
    readonly name: string,
    config: Omit<ProxyConfig, 'name'>,
    serverRng: Rng,
  ) {
    this.listen = config.listen;
    this.upstream = config.upstream;
    this.protocol = config.protocol ?? tcpProtocol.name;
    this.rng = serverRng.fork(`proxy:${name}`);
  }

  /** Connections open now. */
  connections(): readonly Connection[] {
    return [...this.open];
  }

  /** How many clients this proxy has accepted since it was created. */
  get acceptedCount(): number {
    return this.accepted;
  }

  /** Starts listening; a listen failure is a 500 ApiError with Go's wording. No-op when enabled. */
  async start(): Promise<void> {
    if (this.enabled) return;
    const resolved = await resolveListen(this.listen);
    if ('error' in resolved) throw new ApiError(resolved.error, 500);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, highWaterMark: SOCKET_HWM }, (socket) =>
      this.accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new ApiError(bindErrorText(resolved.host, resolved.port, err), 500)),
      );
      server.listen({ host: resolved.host, port: resolved.port }, () => resolve());
    });
    server.on('error', () => {});
    const bound = server.address();
    if (bound && typeof bound === 'object') this.listen = joinHostPort(bound.address, bound.port);
    this.server = server;
    this.enabled = true;
  }

  /** Stops listening and drops every connection ("down"). No-op when disabled. */
  stop(): void {
    if (!this.enabled) return;
    this.enabled = false;
    this.server?.close();
    this.server = null;
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    for (const connection of this.open) connection.destroy();
    this.open.clear();
  }

  /** Toxiproxy's update: a changed listen/upstream/protocol restarts; `enabled` starts or stops. */
  async update(input: ProxyUpdate): Promise<void> {
    if (input.listen !== this.listen || input.upstream !== this.upstream || input.protocol !== this.protocol) {
      const wasEnabled = this.enabled;
      this.stop();
      this.listen = input.listen;
      this.upstream = input.upstream;
      this.protocol = input.protocol;
      if (wasEnabled && input.enabled) {
        await this.start();
        return;
      }
    }
    if (input.enabled !== this.enabled) {
      if (input.enabled) await this.start();
      else this.stop();
    }
  }

  private accept(client: Socket): void {
    const id = ++this.accepted;
    const target = parseUpstream(this.upstream);
    const handler = protocolHandler(this.protocol) ?? tcpProtocol;
    if (!this.enabled || !target) {
      client.destroy();
      return;
    }
    this.pending.add(client);
    client.on('error', () => {});
    // Node 20 honours highWaterMark here (it reaches the Duplex), though @types/node omits it.
    const dialOptions = { host: target.host, port: target.port, allowHalfOpen: true, highWaterMark: SOCKET_HWM };
    const upstream = connect(dialOptions);
    this.pending.add(upstream);
    const fail = () => {
      this.pending.delete(client);
      this.pending.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.once('error', fail);
    client.once('close', fail);
    upstream.once('connect', () => {
      upstream.off('error', fail);
      client.off('close', fail);
      this.pending.delete(client);
      this.pending.delete(upstream);
      if (!this.enabled || client.destroyed) {
        fail();
        return;
      }
      const connection = new Connection(id, this, this.rng.fork(`conn:${id}`), client, upstream);
      this.open.add(connection);
      connection.onClose(() => this.open.delete(connection));
      handler.connect(connection);
      client.resume();
    });
  }
}
