/**
 * The server's proxies by name, with Toxiproxy's collection semantics: add (409 on a duplicate),
 * add-or-replace for /populate (kept when listen and upstream are unchanged), remove, reset.
 * Callers serialise the calls (the API runs one state change at a time).
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
   * Toxiproxy 2.7.0's `AddOrReplace` (what `/populate` does per entry). An existing proxy of that
   * name with the same listen address, upstream (and protocol) is kept untouched and `false` is
   * returned. Otherwise the existing one is stopped, then `proxy` is started (when `start`) and takes
   * its place. If `proxy` cannot listen (500) the stopped old proxy stays in the collection, so a
   * later `/reset` starts it again, exactly as in Toxiproxy.
   */
  async addOrReplace(proxy: Proxy, start: boolean): Promise<boolean> {
    const existing = this.proxies.get(proxy.name);
    if (existing) {
      if (existing.listen === proxy.listen && existing.upstream === proxy.upstream && existing.protocol === proxy.protocol) {
        return false;
      }
      existing.stop();
    }
    if (start) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return true;
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
