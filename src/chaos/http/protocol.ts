/**
 * The `http` protocol handler: proxies created with `"protocol": "http"` run each connection
 * through an {@link ExchangeEngine} that sits at the caller's edge. Stream toxics still apply,
 * between the engine and upstream: `upstream` toxics on requests on their way to upstream,
 * `downstream` toxics on upstream's responses. So an edge record's latency includes their
 * delays, and answers the proxy makes itself (http_error, a drop's status) do not pass them.
 */
import type { Connection } from '../connection.js';
import type { ProtocolHandler } from '../protocols.js';
import type { Rng } from '../rng.js';
import { ExchangeEngine, sideConnectionTo } from './exchange.js';
import { httpStateFor } from './proxy-state.js';

/** The HTTP/1.1-aware protocol: message toxics, fault journal, per-edge records. */
export const httpProtocol: ProtocolHandler = {
  name: 'http',
  messageToxics: true,
  connect(connection: Connection) {
    const owner = connection.proxy as typeof connection.proxy & { rng?: Rng };
    const state = httpStateFor(owner, connection.rng.seed.replace(/\/conn:[^/]*$/, ''));
    const { client, upstream } = connection;
    const toUpstream = connection.createLink('upstream', upstream);
    const engine = new ExchangeEngine(state, connection.id, {
      caller: {
        write: (chunk) => client.write(chunk),
        end: () => client.end(),
        onDrain: (listener) => client.once('drain', listener),
        cork: () => client.cork(),
        uncork: () => client.uncork(),
        get destroyed() {
          return client.destroyed;
        },
      },
      upstream: {
        write: (chunk) => toUpstream.write(chunk),
        end: () => toUpstream.end(),
        onDrain: (listener) => toUpstream.onDrain(listener),
        cork: () => upstream.cork(),
        uncork: () => upstream.uncork(),
        get destroyed() {
          return upstream.destroyed;
        },
      },
      resetCaller: () => connection.reset(),
      openSideConnection: sideConnectionTo(upstream),
    });
    connection.pipe(upstream, 'downstream', engine.responseSink);
    // The caller's bytes go straight to the engine (no link on this side), with backpressure.
    const resume = () => client.resume();
    client.on('data', (chunk: Buffer) => {
      if (!engine.requestSink.write(chunk)) {
        client.pause();
        engine.requestSink.once('drain', resume);
      }
    });
    client.on('end', () => engine.requestSink.end());
    connection.onClose(() => engine.teardown());
  },
};
