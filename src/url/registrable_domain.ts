/**
 * The registrable domain of a host name ("eTLD+1", by the public suffix
 * list, private suffixes included), for the `domain` scope kind. Its own
 * module because the list (`tldts`) costs 25-35 ms of start-up: it is
 * loaded only by a crawl that uses that kind (see `loadScopeKind` in
 * `scope.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registrableDomain } from "./registrable_domain.ts";
 * assert.equal(registrableDomain("www.example.co.uk"), "example.co.uk");
 * assert.equal(registrableDomain("alice.github.io"), "alice.github.io");
 * assert.equal(registrableDomain("127.0.0.1"), "127.0.0.1");
 * ```
 * @module
 */
import { getDomain } from "tldts";

/** The registrable domain of a host name (the host itself for IPs and unknown suffixes). */
export function registrableDomain(hostname: string): string {
  return getDomain(hostname, { allowPrivateDomains: true }) ?? hostname;
}
