/**
 * One accepted client connection and its upstream connection. A protocol handler wires the two
 * sockets together through {@link ToxicLink}s; this class owns their lifetime: graceful close
 * (FIN both ways) when a toxic closes it, RST when a toxic resets it, full teardown on errors.
 */
import type { Socket } from 'node:net';
import { ToxicLink, type LinkSink, type LinkSource } from './link.js';
import type { Rng } from './rng.js';
import type { StreamDirection, ToxicSet } from './toxic.js';

/** What a connection needs to know about its proxy. */
export interface ConnectionOwner {
  /** Proxy name. */
  readonly name: string;
  /** The proxy's toxics (followed live by links). */
  readonly toxics: ToxicSet;
}

// A peer that never reads must not keep a closing connection alive forever.
const CLOSE_GRACE_MS = 5_000;

/** A client ↔ upstream pair, with its own random source and links. */
export class Connection {
  private readonly links: ToxicLink[] = [];
  private endedDirections = 0;
  private torn = false;
  private closing = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    /** Per-proxy sequence number, from 1. */
    readonly id: number,
    /** The proxy this connection belongs to. */
    readonly proxy: ConnectionOwner,
    /** `rng.fork('proxy:<name>').fork('conn:<id>')` of the server's seed. */
    readonly rng: Rng,
    /** The accepted client socket. */
    readonly client: Socket,
    /** The connected upstream socket. */
    readonly upstream: Socket,
  ) {
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => this.destroy());
      // A clean close of one socket may leave bytes for the other still inside toxics (a latency
      // toxic holding the last response): tear down only on errors or once both sockets are gone.
      socket.on('close', (hadError: boolean) => {
        if (hadError || (client.destroyed && upstream.destroyed)) this.destroy();
      });
    }
  }

  /** True once the connection is torn down. */
  get closed(): boolean {
    return this.torn;
  }

  /**
   * A link carrying `direction`'s stream toxics into `sink`. Toxic close/reset act on this whole
   * connection; when both directions created through this method have ended, the sockets are released.
   */
  createLink(direction: StreamDirection, sink: LinkSink): ToxicLink {
    const link = new ToxicLink({
      direction,
      toxics: this.proxy.toxics,
      rng: this.rng,
      sink,
      onClose: () => this.close(),
      onReset: () => this.reset(),
      onEnd: () => {
        if (++this.endedDirections >= 2) this.close();
      },
    });
    this.links.push(link);
    return link;
  }

  /** Reads `source` through `direction`'s toxics into `sink` (the plain TCP wiring of one direction). */
  pipe(source: LinkSource, direction: StreamDirection, sink: LinkSink): ToxicLink {
    return this.createLink(direction, sink).pipeFrom(source);
  }

  /** Ends both sockets after their pending data (FIN both ways), then releases them. */
  close(): void {
    if (this.torn || this.closing) return;
    this.closing = true;
    for (const socket of [this.client, this.upstream]) {
      if (socket.destroyed) continue;
      if (socket.writableFinished) {
        socket.destroy();
        continue;
      }
      socket.end();
      const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      socket.once('finish', () => socket.destroy());
    }
  }

  /** Resets both sockets now (TCP RST), dropping anything in flight. */
  reset(): void {
    if (this.torn) return;
    for (const socket of [this.client, this.upstream]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
    this.destroy();
  }

  /** Tears the connection down at once. */
  destroy(): void {
    if (this.torn) return;
    this.torn = true;
    for (const link of this.links) link.dispose();
    this.client.destroy();
    this.upstream.destroy();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  /** Calls `listener` once when the connection is torn down. */
  onClose(listener: () => void): void {
    if (this.torn) listener();
    else this.closeListeners.push(listener);
  }
}
