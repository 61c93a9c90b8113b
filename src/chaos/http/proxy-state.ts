/**
 * What an HTTP-aware proxy keeps across its connections: the fault journal, the edge records,
 * one {@link Decider} per message toxic (so `first`/`every` count proxy-wide and each toxic has
 * its own seeded stream), the compiled form of each toxic's attributes, and the side
 * connections that carry duplicate deliveries (they outlive the caller's connection).
 */
import type { Socket } from 'node:net';
import { FaultJournal } from '../journal.js';
import { createRng, type Rng } from '../rng.js';
import type { Toxic, ToxicSet } from '../toxic.js';
import { Decider } from './decision.js';
import { isHttpMessageToxic, type CompiledMessageToxic, type HttpMessageToxicDefinition } from './message-toxic.js';
import { EdgeRecords } from './records.js';
import { AttemptCounter } from './identity.js';

/** A message toxic ready to apply: the toxic, its definition, compiled attributes and decider. */
export interface ActiveMessageToxic {
  readonly toxic: Toxic;
  readonly definition: HttpMessageToxicDefinition;
  readonly compiled: CompiledMessageToxic;
  readonly decider: Decider;
}

/** Limits of an HTTP-aware proxy. */
export interface HttpProxyLimits {
  /** Largest request body held for matching or duplicating (default 1 MiB); larger bodies stream unmatched. */
  bodyCap?: number;
  /** Journal entries kept (default 100,000: a scenario run drains them as it goes). */
  journalCapacity?: number;
  /** Edge records kept (default 10,000). */
  recordCapacity?: number;
}

/** The journal, records and decision state of one HTTP-aware proxy. */
export class HttpProxyState {
  readonly journal: FaultJournal;
  readonly records: EdgeRecords;
  readonly bodyCap: number;
  /** Hop attempts per request identity, over every request this proxy carried (identity.ts). */
  readonly attempts = new AttemptCounter();
  /** Open side connections (duplicate deliveries). */
  readonly sideSockets = new Set<Socket>();
  /** Connections reset because of a bug in the http layer (should stay 0), and the last such error. */
  internalErrors = 0;
  lastInternalError: unknown = undefined;
  private readonly deciders = new WeakMap<Toxic, Decider>();
  private readonly compiled = new WeakMap<Toxic, { attributes: object; stream: string; value: CompiledMessageToxic }>();

  constructor(
    readonly name: string,
    private readonly toxics: ToxicSet,
    private readonly rng: Rng,
    limits: HttpProxyLimits = {},
  ) {
    this.journal = new FaultJournal(limits.journalCapacity);
    this.records = new EdgeRecords(limits.recordCapacity);
    this.bodyCap = limits.bodyCap ?? 1024 * 1024;
  }

  /** The proxy's message toxics of `phase`, in API order (upstream first, then downstream). */
  messageToxics(phase: 'request' | 'response'): ActiveMessageToxic[] {
    const out: ActiveMessageToxic[] = [];
    for (const toxic of this.toxics.list()) {
      const definition = toxic.definition;
      if (!isHttpMessageToxic(definition) || definition.phase !== phase) continue;
      out.push({ toxic, definition, compiled: this.compile(toxic, definition), decider: this.deciderFor(toxic) });
    }
    return out;
  }

  /** True when the proxy has any message toxic (the fast path skips all per-request work otherwise). */
  hasMessageToxics(): boolean {
    for (const toxic of this.toxics.list()) if (toxic.definition.kind === 'message') return true;
    return false;
  }

  /** Records a bug that cost one connection (the engine reset it instead of crashing the proxy). */
  noteInternalError(err: unknown): void {
    this.internalErrors++;
    this.lastInternalError = err;
  }

  /** Destroys every side connection (proxy deleted or stopped). */
  closeSideConnections(): void {
    for (const s of this.sideSockets) s.destroy();
    this.sideSockets.clear();
  }

  private compile(toxic: Toxic, definition: HttpMessageToxicDefinition): CompiledMessageToxic {
    // Updates replace `toxic.attributes` with a new object, so identity tells when to recompile.
    const cached = this.compiled.get(toxic);
    if (cached && cached.attributes === toxic.attributes && cached.stream === toxic.stream) return cached.value;
    const value = definition.compile(toxic.attributes, toxic.stream);
    this.compiled.set(toxic, { attributes: toxic.attributes, stream: toxic.stream, value });
    return value;
  }

  private deciderFor(toxic: Toxic): Decider {
    let d = this.deciders.get(toxic);
    if (!d) {
      d = new Decider(this.rng.fork(`toxic:${toxic.name}`));
      this.deciders.set(toxic, d);
    }
    return d;
  }
}

/** The owner (proxy) fields the http layer reads. */
export interface HttpStateOwner {
  readonly name: string;
  readonly toxics: ToxicSet;
  readonly rng?: Rng;
}

const states = new WeakMap<object, HttpProxyState>();

/**
 * The {@link HttpProxyState} of a proxy, created on first use. Decisions use the proxy's own RNG
 * (`serverRng.fork('proxy:<name>')`) when it has one, else one seeded from `fallbackSeed`.
 */
export function httpStateFor(owner: HttpStateOwner, fallbackSeed?: string, limits?: HttpProxyLimits): HttpProxyState {
  let state = states.get(owner);
  if (!state) {
    state = new HttpProxyState(owner.name, owner.toxics, owner.rng ?? createRng(fallbackSeed ?? `proxy:${owner.name}`), limits);
    states.set(owner, state);
  }
  return state;
}

/** The {@link HttpProxyState} of a proxy if it ever carried HTTP traffic, else undefined. */
export function existingHttpState(owner: object): HttpProxyState | undefined {
  return states.get(owner);
}
