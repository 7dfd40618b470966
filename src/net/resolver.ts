/**
 * How host names become addresses: the {@linkcode Resolver} type the pinned
 * fetcher, the cached resolver and the service's seed check share, and
 * {@linkcode systemResolver}, the one that asks the operating system.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemResolver } from "./resolver.ts";
 * const addresses = await systemResolver("localhost", new AbortController().signal);
 * assert.ok(addresses.some((a) => a.address === "127.0.0.1" || a.address === "::1"));
 * ```
 * @module
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { abortable } from "../async/abortable.ts";

/** One address a host resolved to. */
export interface ResolvedAddress {
  /** The address, e.g. `93.184.215.14` or `2606:4700::1111`. */
  address: string;
  /** `4` or `6`. */
  family: 4 | 6;
}

/**
 * Resolves a hostname to all its addresses; rejects with an error carrying a
 * `code` such as `ENOTFOUND` when it cannot.
 */
export type Resolver = (hostname: string, signal: AbortSignal) => Promise<ResolvedAddress[]>;

/**
 * Resolves with the system resolver (`getaddrinfo`, so /etc/hosts counts).
 * The lookup itself cannot be cancelled; an abort rejects at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemResolver } from "./resolver.ts";
 * const [first] = await systemResolver("localhost", new AbortController().signal);
 * assert.ok(first.family === 4 || first.family === 6);
 * ```
 */
export function systemResolver(hostname: string, signal: AbortSignal): Promise<ResolvedAddress[]> {
  const lookup = new Promise<ResolvedAddress[]>((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (err, addresses: LookupAddress[]) => {
      if (err) reject(err);
      else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });
  return abortable(lookup, signal);
}
