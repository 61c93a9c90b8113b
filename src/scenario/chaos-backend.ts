/**
 * The chaos backend of a run: agentcheck's embedded Toxiproxy-compatible server (default), or a
 * real Toxiproxy given by URL. Either way the runner drives faults only through the Toxiproxy
 * HTTP API (with `toxiproxy-node-client`), so both are interchangeable for stream toxics.
 */
import { Toxiproxy } from 'toxiproxy-node-client';
import { AgentcheckError } from '../errors.js';
import { startProxyServer } from '../chaos/server.js';
import type { ProxyCollection } from '../chaos/proxy-collection.js';
import type { Scenario } from './types.js';

/** An open chaos backend; disposing it stops the embedded server (a remote one is left running). */
export interface ChaosBackend extends AsyncDisposable {
  /** Toxiproxy API base URL. */
  readonly url: string;
  readonly client: Toxiproxy;
  /** True for agentcheck's own server, which also serves message-level faults, journals and hop records. */
  readonly embedded: boolean;
  /** The embedded server's proxies, for in-process reads (the evidence store's records sink); absent for a remote API. */
  readonly proxies?: ProxyCollection;
  close(): Promise<void>;
}

/** Options for {@link openChaosBackend}. */
export interface ChaosBackendOptions {
  /** A real Toxiproxy's API URL; overrides the scenario's `chaos.url`. */
  toxiproxyUrl?: string;
  /** Seed for the embedded server's fault decisions. */
  seed?: string;
}

/**
 * Starts the embedded proxy server on a free loopback port, or checks that the given Toxiproxy
 * answers. A real Toxiproxy cannot serve message-level faults: that is a configuration error
 * (exit 2) found before anything starts.
 */
export async function openChaosBackend(scenario: Scenario, options: ChaosBackendOptions = {}): Promise<ChaosBackend> {
  const remoteUrl = options.toxiproxyUrl ?? (scenario.chaos.backend === 'toxiproxy' ? scenario.chaos.url : undefined);
  if (remoteUrl) {
    const messageFaults = scenario.phases.flatMap((p) => p.faults.filter((f) => f.messageLevel).map((f) => `${p.name}: ${f.type} on ${f.edge}`));
    if (messageFaults.length > 0) {
      throw new AgentcheckError(
        'config',
        `message-level faults need agentcheck's own proxy; a real Toxiproxy answers 400 "invalid toxic type" for them (${messageFaults.join(', ')})`,
        'drop --toxiproxy-url / chaos.url to use the embedded proxy, or use stream toxics (latency, timeout, reset_peer, …) only',
      );
    }
    const client = new Toxiproxy(remoteUrl.replace(/\/+$/, ''));
    try {
      await client.getVersion();
    } catch (err) {
      throw new AgentcheckError('environment', `the Toxiproxy API at ${remoteUrl} does not answer: ${(err as Error).message}`,
        'start Toxiproxy (toxiproxy-server) or run without --toxiproxy-url to use the embedded proxy');
    }
    const close = async () => {
      // Leave the user's server running, but leave nothing of ours on it.
      await client.reset().catch(() => undefined);
    };
    return { url: remoteUrl, client, embedded: false, close, [Symbol.asyncDispose]: close };
  }
  const server = await startProxyServer({ host: '127.0.0.1', port: 0, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const client = new Toxiproxy(server.url);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  return { url: server.url, client, embedded: true, proxies: server.proxies, close, [Symbol.asyncDispose]: close };
}
