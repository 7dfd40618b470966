/**
 * Where a URL says to connect, read from the URL alone (no DNS, no policy):
 * its scheme, host name and port, and the addresses when none need DNS (IP
 * literals, and `localhost` names, which resolve to loopback by RFC 6761).
 * `checkUrlTarget` in address_policy.ts adds the SSRF policy on top; a
 * fetcher with the guard off uses this alone, so that it needs neither
 * ipaddr.js nor the npm loader before its first request (25-35 ms of
 * start-up).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { urlTarget } from "./url_target.ts";
 * assert.deepEqual(urlTarget(new URL("http://0x7f.1:8080/x")), {
 *   protocol: "http:",
 *   hostname: "127.0.0.1",
 *   port: 8080,
 *   addresses: ["127.0.0.1"],
 * });
 * assert.equal(urlTarget(new URL("https://example.com/")).addresses, null);
 * ```
 * @module
 */
import { NetError } from "./net_error.ts";

/** Where a URL says to connect. */
export interface UrlTarget {
  /** `http:` or `https:`. */
  protocol: "http:" | "https:";
  /** The hostname as the URL has it, IPv6 brackets removed, e.g. `example.com`. */
  hostname: string;
  /** The port, the scheme's default when the URL has none. */
  port: number;
  /**
   * The addresses when no DNS is needed (IP literals and `localhost` names);
   * `null` when the hostname must be resolved. (After `checkUrlTarget`, these
   * addresses have been checked too.)
   */
  addresses: string[] | null;
}

const LOOPBACK_ADDRESSES = ["127.0.0.1", "::1"];

/** A canonical IPv4 literal: what the WHATWG URL parser makes of every IPv4 form. */
const IPV4_LITERAL = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Reads the target of a WHATWG `URL`, whose parser has already turned forms
 * like `http://2130706433/`, `http://0x7f.1/` or `http://0177.0.0.1/` into
 * `127.0.0.1` and left IPv6 literals only in brackets.
 *
 * @throws {NetError} `blocked_scheme` for a scheme other than http and https
 */
export function urlTarget(url: URL): UrlTarget {
  const protocol = url.protocol;
  if (protocol !== "http:" && protocol !== "https:") {
    throw new NetError("blocked_scheme", `Scheme ${protocol} is not allowed in ${url.href}`);
  }
  const port = url.port === "" ? (protocol === "https:" ? 443 : 80) : Number(url.port);
  let hostname = url.hostname;
  const bracketed = hostname.startsWith("[") && hostname.endsWith("]");
  if (bracketed) hostname = hostname.slice(1, -1);
  const name = hostname.toLowerCase().replace(/\.+$/, "");
  let addresses: string[] | null = null;
  if (bracketed || IPV4_LITERAL.test(name)) addresses = [name];
  else if (name === "localhost" || name.endsWith(".localhost")) addresses = LOOPBACK_ADDRESSES;
  return { protocol, hostname, port, addresses };
}
