/**
 * The one toxic plugin interface. A toxic type is a {@link ToxicDefinition}: its name, its kind, its
 * attributes (Go types, output order, zero defaults) and, for byte-stream toxics, a factory for the
 * per-connection {@link StreamStage}. Adding a toxic is one file in `toxics/` and one line in
 * `toxics/registry.ts`.
 *
 * Two kinds share the registry and the API:
 * - `stream` toxics act on the raw byte stream of one direction of a TCP connection (Toxiproxy's toxics);
 * - `message` toxics act on whole HTTP messages; the proxy only stores them (they show up in the API
 *   like any toxic) and an `http` protocol handler (src/chaos/http/) reads them from
 *   {@link ToxicSet} and applies them.
 */
import type { Rng } from './rng.js';

/** Which way data flows: `upstream` is client → server, `downstream` is server → client. */
export type StreamDirection = 'upstream' | 'downstream';

/**
 * Go type of an attribute: decides how a request body is decoded, the 400 wording, and JSON output.
 * `json` (an agentcheck extension for message toxics) takes any JSON value as plain data; zero is `null`.
 */
export type AttributeType = 'int' | 'int64' | 'float32' | 'float64' | 'bool' | 'string' | 'json';

/** One attribute of a toxic type. Its zero value (0, false, '') is the default. */
export interface AttributeSpec {
  /** JSON key, e.g. `latency`. */
  readonly name: string;
  /** Go type, e.g. `int64`. */
  readonly type: AttributeType;
}

/** Plain JSON data, the value of a `json` attribute. */
export type JsonAttribute = null | boolean | number | string | JsonAttribute[] | { [key: string]: JsonAttribute };

/** An attribute value: integers beyond 2^53 stay exact as `bigint`. */
export type AttributeValue = number | bigint | boolean | string | JsonAttribute;

/** A toxic's attributes, keys in the definition's order. */
export type ToxicAttributes = Record<string, AttributeValue>;

/** Where a {@link StreamStage} sends its output (the next stage, or the destination socket). */
export interface StageOutput {
  /** Passes bytes on. */
  push(chunk: Buffer): void;
  /** Ends this direction after everything pushed so far (a FIN after the data). */
  end(): void;
  /** Ends this direction after everything pushed so far, then closes the whole connection. */
  close(): void;
  /** Resets the whole connection now (TCP RST), dropping anything in flight. */
  reset(): void;
}

/** What a stream toxic gets for one connection and one direction. */
export interface StageContext {
  /** Random source for this toxic on this connection only (forked from the connection's). */
  readonly rng: Rng;
  /** The direction this stage runs in. */
  readonly direction: StreamDirection;
  /** The downstream side of this stage. */
  readonly out: StageOutput;
  /** Call after releasing held bytes from a timer, so the link can resume reading its source. */
  readonly released: () => void;
}

/**
 * One stream toxic live on one connection and direction. Every method is called on the event loop;
 * a stage keeps the order of bytes and must never lose bytes unless dropping is its purpose.
 */
export interface StreamStage {
  /** Bytes held back now; counted against the link's high-water mark (backpressure). */
  readonly queuedBytes: number;
  /** New bytes from upstream in the chain. */
  write(chunk: Buffer): void;
  /** The input ended: forward what is held on the toxic's schedule, then `out.end()` (or close). */
  end(): void;
  /** The toxic's attributes changed while the connection is open. */
  update(attributes: ToxicAttributes): void;
  /** The toxic is being removed: push everything held now, cancel timers; end now if the input ended. */
  flush(): void;
  /**
   * The toxic was deleted from the proxy while this connection is open (Toxiproxy's `CleanupToxic`
   * hook); called instead of `flush` then. Absent: `flush`.
   */
  removed?(): void;
  /** The connection is gone: cancel timers and drop what is held. */
  destroy(): void;
}

/** Fields shared by every toxic definition. */
export interface ToxicDefinitionBase {
  /** The `type` name in the API, e.g. `latency`. */
  readonly type: string;
  /** Go struct name used in decode errors, e.g. `LatencyToxic`. */
  readonly goName: string;
  /** Attributes in JSON output order; missing ones read back as zero values. */
  readonly attributes: readonly AttributeSpec[];
  /** Extra checks after decoding; a returned message becomes 400 `bad request body: <message>`. */
  validate?(attributes: ToxicAttributes): string | undefined;
}

/** A byte-stream toxic (Toxiproxy's kind). */
export interface StreamToxicDefinition extends ToxicDefinitionBase {
  readonly kind: 'stream';
  /** A stage for one connection and direction; `null` means "pass bytes through untouched" (noop). */
  createStage(attributes: ToxicAttributes, context: StageContext): StreamStage | null;
}

/**
 * A per-HTTP-message toxic. The proxy stores it and serves it through the API; the `http` protocol
 * handler applies it. Extend this interface with whatever the http layer needs.
 */
export interface MessageToxicDefinition extends ToxicDefinitionBase {
  readonly kind: 'message';
}

/** Any registered toxic type. */
export type ToxicDefinition = StreamToxicDefinition | MessageToxicDefinition;

/** A toxic as it exists on a proxy (the API object). Mutated in place by updates. */
export interface Toxic {
  /** Unique across both streams of a proxy; defaults to `<type>_<stream>`. */
  readonly name: string;
  /** Registered type name. */
  readonly type: string;
  /** Direction it applies to. */
  readonly stream: StreamDirection;
  /** Probability (0..1) that it applies to a given connection (or message, for message toxics). */
  toxicity: number;
  /** Attribute values, keys in the definition's order. */
  attributes: ToxicAttributes;
  /** The registered definition. */
  readonly definition: ToxicDefinition;
}

/** What happened to a proxy's toxics; `updated` covers attribute and toxicity changes. */
export type ToxicEvent =
  | { readonly kind: 'added'; readonly toxic: Toxic }
  | { readonly kind: 'updated'; readonly toxic: Toxic }
  | { readonly kind: 'removed'; readonly toxic: Toxic };

/** A proxy's toxics, readable and observable by protocol handlers. */
export interface ToxicSet {
  /** Every toxic: upstream ones first, then downstream, each in the order added. */
  list(): readonly Toxic[];
  /** Toxics of one direction, in chain order. */
  chain(direction: StreamDirection): readonly Toxic[];
  /** One toxic by name. */
  get(name: string): Toxic | undefined;
  /** Calls `listener` on every add/update/remove until the returned function is called. */
  subscribe(listener: (event: ToxicEvent) => void): () => void;
}
