/**
 * The server's proxies by name, with Toxiproxy's collection semantics: add (409 on a duplicate),
 * add-or-replace for /populate (kept when listen and upstream are unchanged), remove, reset.
 */
import { ApiErrors } from './api-error.js';
import type { Proxy } from './proxy.js';

/** Every proxy of one server, by name. */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();

  /** The proxy called `name`, or undefined. */
  find(name: string): Proxy | undefined {
    return this.proxies.get(name);
  }

  /** The proxy called `name`; 404 `proxy not found`. */
  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw ApiErrors.proxyNotFound();
    return proxy;
  }

  /** Every proxy, sorted by name (the order Go's JSON encoder gives a map). */
  list(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adds a new proxy, starting it when `start`; 409 if the name exists, 500 if it cannot listen. */
  async add(proxy: Proxy, start: boolean): Promise<Proxy> {
    if (this.proxies.has(proxy.name)) throw ApiErrors.proxyExists();
    if (start) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /**
   * Adds `proxy`, or keeps the existing one of that name when its listen address and upstream are
   * the same (returned instead); a changed one is stopped and replaced. 500 if it cannot listen.
   */
  async addOrReplace(proxy: Proxy, start: boolean): Promise<Proxy> {
    const existing = this.proxies.get(proxy.name);
    if (existing) {
      if (existing.listen === proxy.listen && existing.upstream === proxy.upstream) return existing;
      existing.stop();
      this.proxies.delete(proxy.name);
    }
    if (start) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /** Stops and removes a proxy; 404 `proxy not found`. */
  remove(name: string): void {
    const proxy = this.get(name);
    proxy.stop();
    this.proxies.delete(name);
  }

  /** Re-enables every proxy and removes every toxic (`POST /reset`); a listen failure throws (500). */
  async reset(): Promise<void> {
    for (const proxy of this.list()) {
      await proxy.start();
      proxy.toxics.clear();
    }
  }

  /** Stops every proxy and forgets them. */
  closeAll(): void {
    for (const proxy of this.proxies.values()) proxy.stop();
    this.proxies.clear();
  }
}
