/**
 * The chaos proxy server: the Toxiproxy-compatible API on one port plus one TCP listener per proxy.
 * `startProxyServer()` is what `agentcheck proxy` runs and what the scenario runner embeds.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { AgentcheckError } from '../errors.js';
import { joinHostPort } from './address.js';
import { createApiHandler, decodePopulate, DEFAULT_BODY_TIMEOUT_MS, encodeProxy } from './api.js';
import { GO_BAD_REQUEST } from './go-http.js';
// Registers GET /proxies/{p}/journal and /records (message-level faults, src/chaos/http/).
import './http/routes.js';
import { ApiError } from './api-error.js';
import { Proxy, type ProxyConfig } from './proxy.js';
import { ProxyCollection } from './proxy-collection.js';
import { createRng, type Rng } from './rng.js';

/** Options of {@link startProxyServer}. */
export interface ProxyServerOptions {
  /** API host (default `127.0.0.1`). */
  readonly host?: string;
  /** API port (default 8474; 0 picks a free port). */
  readonly port?: number;
  /** Seed for every random decision (toxicity, jitter, slicer sizes); random when omitted. */
  readonly seed?: number | string;
  /** Proxies to create at start: a `/populate`-style array, or the path of a JSON file holding one. */
  readonly config?: readonly ProxyConfig[] | string;
  /**
   * An API client that has not sent a request's complete headers this many ms after it connected
   * (on a kept-alive connection: after the request's first byte; idle connections close after 60 s)
   * has its connection closed, without an answer. Default 10 000.
   */
  readonly headersTimeoutMs?: number;
  /** A request body not complete this many ms after its headers: connection closed. Default 30 000. */
  readonly bodyTimeoutMs?: number;
}

/** Default of {@link ProxyServerOptions.headersTimeoutMs}. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export { DEFAULT_BODY_TIMEOUT_MS };

/** A running proxy server. `await using` it, or call `close()`. */
export interface ProxyServer extends AsyncDisposable {
  /** API base URL, e.g. `http://127.0.0.1:8474`. */
  readonly url: string;
  /** Host the API is bound to. */
  readonly host: string;
  /** Port the API is bound to. */
  readonly port: number;
  /** The seed in use (given or drawn). */
  readonly seed: string;
  /** The proxies, for in-process reads (same objects the API serves). */
  readonly proxies: ProxyCollection;
  /** A proxy as the API would show it (`GET /proxies/{name}` body), or undefined. */
  describe(name: string): string | undefined;
  /** Stops every proxy, ends every connection and closes the API. Idempotent. */
  close(): Promise<void>;
}

async function loadConfig(config: readonly ProxyConfig[] | string): Promise<{ source: string; body: Buffer }> {
  if (typeof config !== 'string') return { source: 'config', body: Buffer.from(JSON.stringify(config)) };
  try {
    return { source: config, body: await readFile(config) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new AgentcheckError('config', `cannot read proxy config ${config}: ${why}`);
  }
}

async function populateFromConfig(proxies: ProxyCollection, rng: Rng, config: readonly ProxyConfig[] | string): Promise<void> {
  const { source, body } = await loadConfig(config);
  let entries: ReturnType<typeof decodePopulate>;
  try {
    entries = decodePopulate(body);
  } catch (err) {
    if (err instanceof ApiError) {
      throw new AgentcheckError(
        'config',
        `invalid proxy config ${source}: ${err.message}`,
        'expected a JSON array like [{"name":"api","listen":"127.0.0.1:20000","upstream":"127.0.0.1:8080"}]',
      );
    }
    throw err;
  }
  for (const entry of entries) {
    try {
      await proxies.addOrReplace(new Proxy(entry.name, entry, rng), entry.enabled);
    } catch (err) {
      if (err instanceof ApiError) {
        throw new AgentcheckError('environment', `proxy '${entry.name}' from ${source} cannot start: ${err.message}`);
      }
      throw err;
    }
  }
}

function positiveMs(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new AgentcheckError('config', `${name} must be a whole number of ms ≥ 1, got ${value}`);
  return value;
}

/** Starts the API (and the configured proxies). Port in use → AgentcheckError 'environment'. */
export async function startProxyServer(options: ProxyServerOptions = {}): Promise<ProxyServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8474;
  const rng = createRng(options.seed);
  const proxies = new ProxyCollection();
  const headersTimeout = positiveMs('headersTimeoutMs', options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS);
  const bodyTimeoutMs = positiveMs('bodyTimeoutMs', options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
  const api = createApiHandler({ proxies, rng }, { bodyTimeoutMs });
  const server: Server = createServer(
    {
      // Go's IdleTimeout in Toxiproxy: 60 s between requests on a kept-alive connection.
      keepAliveTimeout: 60_000,
      headersTimeout,
      // The body has its own limit (api.ts), counted from the end of the headers.
      requestTimeout: 0,
      // Node checks the header deadline on this interval; a short one keeps the limit sharp.
      connectionsCheckingInterval: Math.max(20, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    api,
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A stalled client is closed silently, as Go does when its read deadline passes.
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
      socket.destroy();
      return;
    }
    // Malformed HTTP gets Go's raw answer instead of a dropped socket.
    socket.end(GO_BAD_REQUEST);
  });

  try {
    if (options.config !== undefined) await populateFromConfig(proxies, rng, options.config);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    proxies.closeAll();
    server.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new AgentcheckError('environment', `cannot listen on ${joinHostPort(host, port)}: address already in use`, 'pick another --port (0 picks a free one)');
    }
    if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
      throw new AgentcheckError('environment', `cannot listen on ${joinHostPort(host, port)}: ${e.code}`);
    }
    throw err;
  }
  server.on('error', () => {});
  const address = server.address();
  const boundPort = address && typeof address === 'object' ? address.port : port;
  const boundHost = address && typeof address === 'object' ? address.address : host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      proxies.closeAll();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };

  return {
    url: `http://${joinHostPort(boundHost, boundPort)}`,
    host: boundHost,
    port: boundPort,
    seed: rng.seed,
    proxies,
    describe: (name) => {
      const proxy = proxies.find(name);
      return proxy ? encodeProxy(proxy) : undefined;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
