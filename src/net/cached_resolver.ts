/**
 * A resolver that remembers each host's addresses for a while, so a crawl
 * does not ask `getaddrinfo` again for every request to the same host. The
 * SSRF guard still checks whatever it returns and connects only to those
 * addresses, so a cache cannot let a rebinding through; it only means a
 * host's new addresses are seen after `ttlMs`.
 *
 * @example
 * ```ts
 * import { cachedResolver } from "./cached_resolver.ts";
 * let calls = 0;
 * const resolve = cachedResolver(() => {
 *   calls++;
 *   return Promise.resolve([{ address: "192.0.2.1", family: 4 as const }]);
 * }, { ttlMs: 1000 });
 * const signal = new AbortController().signal;
 * await resolve("a.test", signal);
 * await resolve("a.test", signal);
 * // calls === 1
 * ```
 * @module
 */
import type { ResolvedAddress, Resolver } from "./resolver.ts";
import { abortable } from "../async/abortable.ts";

/** Settings of {@linkcode cachedResolver}. */
export interface CachedResolverOptions {
  /** How long an answer is reused, in ms. @default 30000 */
  ttlMs?: number;
  /** Hosts remembered at most (the oldest are forgotten first). @default 10000 */
  maxHosts?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/**
 * Wraps `resolve` with a cache of successful answers; failures are not
 * cached. One lookup serves every caller asking for the same host meanwhile;
 * each caller's own signal only ends its own wait.
 */
export function cachedResolver(resolve: Resolver, options: CachedResolverOptions = {}): Resolver {
  const ttlMs = options.ttlMs ?? 30_000;
  const maxHosts = options.maxHosts ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; addresses: Promise<ResolvedAddress[]> }>();
  const never = new AbortController().signal;
  return function resolveCached(hostname, signal) {
    const hit = cache.get(hostname);
    if (hit && now() - hit.at < ttlMs) return abortable(hit.addresses, signal);
    // getaddrinfo cannot be cancelled; the shared lookup runs on regardless of who gave up.
    const addresses = resolve(hostname, never);
    cache.delete(hostname);
    cache.set(hostname, { at: now(), addresses });
    if (cache.size > maxHosts) cache.delete(cache.keys().next().value!);
    addresses.catch(() => {
      if (cache.get(hostname)?.addresses === addresses) cache.delete(hostname);
    });
    return abortable(addresses, signal);
  };
}
