/**
 * A proxy's toxics: two ordered chains (upstream, downstream) sharing one namespace, with change
 * events that live links (and the http layer) follow. Mutations are validated by the API first.
 */
import { ApiErrors } from './api-error.js';
import type { StreamDirection, Toxic, ToxicAttributes, ToxicEvent, ToxicSet } from './toxic.js';

/** The mutable {@link ToxicSet} behind a proxy. */
export class ToxicCollection implements ToxicSet {
  private readonly chains: Record<StreamDirection, Toxic[]> = { upstream: [], downstream: [] };
  private readonly listeners = new Set<(event: ToxicEvent) => void>();

  list(): readonly Toxic[] {
    return [...this.chains.upstream, ...this.chains.downstream];
  }

  chain(direction: StreamDirection): readonly Toxic[] {
    return this.chains[direction];
  }

  get(name: string): Toxic | undefined {
    return this.chains.upstream.find((t) => t.name === name) ?? this.chains.downstream.find((t) => t.name === name);
  }

  /** Number of toxics on both streams. */
  get size(): number {
    return this.chains.upstream.length + this.chains.downstream.length;
  }

  subscribe(listener: (event: ToxicEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends a toxic to its stream's chain; 409 `toxic already exists` if the name is taken on either stream. */
  add(toxic: Toxic): Toxic {
    if (this.get(toxic.name)) throw ApiErrors.toxicExists();
    this.chains[toxic.stream].push(toxic);
    this.emit({ kind: 'added', toxic });
    return toxic;
  }

  /** Replaces attributes and toxicity of a toxic in place; 404 `toxic not found`. */
  update(name: string, attributes: ToxicAttributes, toxicity: number): Toxic {
    const toxic = this.get(name);
    if (!toxic) throw ApiErrors.toxicNotFound();
    toxic.attributes = attributes;
    toxic.toxicity = toxicity;
    this.emit({ kind: 'updated', toxic });
    return toxic;
  }

  /** Removes a toxic (links drain what it holds); 404 `toxic not found`. */
  remove(name: string): void {
    const toxic = this.get(name);
    if (!toxic) throw ApiErrors.toxicNotFound();
    const chain = this.chains[toxic.stream];
    chain.splice(chain.indexOf(toxic), 1);
    this.emit({ kind: 'removed', toxic });
  }

  /** Removes every toxic. */
  clear(): void {
    for (const toxic of this.list()) this.remove(toxic.name);
  }

  private emit(event: ToxicEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
