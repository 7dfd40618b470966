/**
 * The SSRF check of a job's seed URLs before the job is accepted: each seed's
 * host must be allowed by the {@linkcode AddressPolicy}, and a host name must
 * not resolve to a blocked address. A name that does not resolve now is let
 * through (the crawl reports it as a `dns` error event), so a flaky resolver
 * never refuses a job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findBlockedSeed } from "./seed_check.ts";
 * const policy = { allowNets: [], allowedPorts: null };
 * const hit = await findBlockedSeed(["https://example.com/", "http://10.0.0.1/"], policy, {
 *   resolve: () => Promise.resolve([{ address: "93.184.215.14", family: 4 }]),
 * });
 * assert.equal(hit?.index, 1);
 * assert.equal(hit?.error.code, "blocked_address");
 * ```
 * @module
 */
import { type AddressPolicy, checkAddresses, checkUrlTarget } from "./address_policy.ts";
import { type Resolver, systemResolver } from "./resolver.ts";
import { NetError } from "./net_error.ts";

/** Settings of {@linkcode findBlockedSeed}. */
export interface SeedCheckOptions {
  /** How host names are resolved. @default systemResolver */
  resolve?: Resolver;
  /** Longest one host name may take to resolve before it is let through. @default 5000 */
  resolveTimeoutMs?: number;
  signal?: AbortSignal;
}

/** The first refused seed: its index in the list and why. */
export interface BlockedSeed {
  index: number;
  error: NetError;
}

/** Checks `urls` in order; the first one the policy refuses, or `null`. */
export async function findBlockedSeed(
  urls: readonly string[],
  policy: AddressPolicy,
  options: SeedCheckOptions = {},
): Promise<BlockedSeed | null> {
  const resolve = options.resolve ?? systemResolver;
  const timeoutMs = options.resolveTimeoutMs ?? 5000;
  for (let index = 0; index < urls.length; index++) {
    options.signal?.throwIfAborted();
    try {
      const target = checkUrlTarget(new URL(urls[index]), policy);
      if (target.addresses !== null) continue;
      const signal = options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs);
      let resolved;
      try {
        resolved = await resolve(target.hostname, signal);
      } catch {
        options.signal?.throwIfAborted();
        continue; // unresolvable now: the crawl reports it as a dns error
      }
      checkAddresses(target.hostname, resolved.map((r) => r.address), policy);
    } catch (e) {
      if (e instanceof NetError) return { index, error: e };
      throw e;
    }
  }
  return null;
}
