/**
 * Protocol handlers: how a proxy wires each accepted connection. `tcp` (the default, exactly
 * Toxiproxy) runs each direction through its stream toxics. Another protocol (e.g. `http`, in
 * src/chaos/http/) can sit between the chains and act on whole messages: it receives the
 * {@link Connection} (upstream already connected), builds links with `connection.createLink(direction, sink)`
 * and reads message toxics from `connection.proxy.toxics`. Adding one is one line in `handlers` below.
 * A protocol may bring its own message toxic types (`nats`: its `drop` is not HTTP's `drop`) and
 * its own answers to the `/proxies/{p}/<name>` sub-resources (its journal and records).
 */
import type { ProxyRoute } from './api.js';
import type { Connection } from './connection.js';
import { httpProtocol } from './http/protocol.js';
import { natsProtocol } from './nats/protocol.js';
import type { MessageToxicDefinition, ToxicDefinition } from './toxic.js';
import { toxicDefinition } from './toxics/registry.js';

/** A per-connection pipeline for one proxy protocol. */
export interface ProtocolHandler {
  /** The `protocol` value in the API, e.g. `tcp`. */
  readonly name: string;
  /** Whether proxies of this protocol accept `message` toxics (tcp: no). */
  readonly messageToxics: boolean;
  /** Wires one connection; called once its upstream socket is connected. */
  connect(connection: Connection): void;
  /**
   * Message toxic types of this protocol, by `type`. When given, they are the only message toxics
   * its proxies take, and they shadow the registry's types of the same name on them. Absent: the
   * registry's message toxics (HTTP's).
   */
  readonly messageToxicTypes?: ReadonlyMap<string, MessageToxicDefinition>;
  /** Answers to `GET /proxies/{p}/<name>` for this protocol's proxies, instead of the shared routes. */
  readonly routes?: ReadonlyMap<string, ProxyRoute>;
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
  [natsProtocol.name, natsProtocol],
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

/**
 * The definition of toxic `type` for a proxy of `protocol`: the protocol's own type, else the
 * registry's, else another protocol's (so {@link misplacedToxic} can say which protocol it needs).
 */
export function toxicDefinitionFor(protocol: string, type: string): ToxicDefinition | undefined {
  const own = handlers.get(protocol)?.messageToxicTypes?.get(type);
  if (own) return own;
  const shared = toxicDefinition(type);
  if (shared) return shared;
  for (const handler of handlers.values()) {
    const other = handler.messageToxicTypes?.get(type);
    if (other) return other;
  }
  return undefined;
}

/** Why a proxy of `protocol` cannot take a toxic of `definition` (the API's 400 message), or undefined. */
export function misplacedToxic(protocol: string, definition: ToxicDefinition): string | undefined {
  if (definition.kind !== 'message') return undefined;
  const handler = handlers.get(protocol);
  const accepted = handler?.messageToxicTypes
    ? handler.messageToxicTypes.get(definition.type) === definition
    : handler?.messageToxics === true && toxicDefinition(definition.type) === definition;
  if (accepted) return undefined;
  const owner = [...handlers.values()].find((h) => h.messageToxicTypes?.get(definition.type) === definition)?.name ?? 'http';
  return `toxic type '${definition.type}' acts on ${owner.toUpperCase()} messages: it needs a proxy created with "protocol":"${owner}"`;
}

/** The route a proxy of `protocol` answers `GET /proxies/{p}/<name>` with, when the protocol has its own. */
export function protocolRoute(protocol: string, name: string): ProxyRoute | undefined {
  return handlers.get(protocol)?.routes?.get(name);
}
