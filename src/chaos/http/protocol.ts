/**
 * The `http` protocol handler: proxies created with `"protocol": "http"` run each connection
 * through an {@link ExchangeEngine}. Stream toxics still apply, on the caller's side of the
 * engine: upstream toxics act on the caller's bytes before they are framed, downstream toxics on
 * everything the caller receives (upstream responses and the proxy's own answers alike).
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
    const toCaller = connection.createLink('downstream', connection.client);
    const engine = new ExchangeEngine(state, connection.id, {
      caller: {
        write: (chunk) => toCaller.write(chunk),
        end: () => toCaller.end(),
        onDrain: (listener) => toCaller.onDrain(listener),
        cork: () => connection.client.cork(),
        uncork: () => connection.client.uncork(),
      },
      upstream: connection.upstream,
      resetCaller: () => connection.reset(),
      openSideConnection: sideConnectionTo(connection.upstream),
    });
    connection.pipe(connection.client, 'upstream', engine.requestSink);
    connection.onClose(() => engine.teardown());
  },
};
