/**
 * Protocol handlers: how a proxy wires each accepted connection. `tcp` (the default, exactly
 * Toxiproxy) runs each direction through its stream toxics. Another protocol (e.g. `http`, in
 * src/chaos/http/) can sit between the chains and act on whole messages: it receives the
 * {@link Connection} (upstream already connected), builds links with `connection.createLink(direction, sink)`
 * and reads message toxics from `connection.proxy.toxics`. Adding one is one line in `handlers` below.
 */
import type { Connection } from './connection.js';
import { httpProtocol } from './http/protocol.js';

/** A per-connection pipeline for one proxy protocol. */
export interface ProtocolHandler {
  /** The `protocol` value in the API, e.g. `tcp`. */
  readonly name: string;
  /** Whether proxies of this protocol accept `message` toxics (tcp: no). */
  readonly messageToxics: boolean;
  /** Wires one connection; called once its upstream socket is connected. */
  connect(connection: Connection): void;
}

/** The default protocol: both directions through their stream toxics, nothing else (Toxiproxy). */
export const tcpProtocol: ProtocolHandler = {
  name: 'tcp',
  messageToxics: false,
  connect(connection) {
    connection.pipe(connection.client, 'upstream', connection.upstream);
    connection.pipe(connection.upstream, 'downstream', connection.client);
  },
};

const handlers = new Map<string, ProtocolHandler>([
  [tcpProtocol.name, tcpProtocol],
  [httpProtocol.name, httpProtocol],
]);

/** The handler for `name`, or undefined. */
export function protocolHandler(name: string): ProtocolHandler | undefined {
  return handlers.get(name);
}

/** Names of every registered protocol. */
export function protocolNames(): string[] {
  return [...handlers.keys()];
}

/** Registers a protocol handler (replacing none: a taken name throws unless it is the same handler). */
export function registerProtocol(handler: ProtocolHandler): void {
  const existing = handlers.get(handler.name);
  if (existing && existing !== handler) throw new Error(`protocol '${handler.name}' is already registered`);
  handlers.set(handler.name, handler);
}
