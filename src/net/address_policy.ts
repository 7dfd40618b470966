/**
 * Which network addresses the crawler may connect to: the SSRF policy of the
 * network layer, as pure functions (no I/O).
 *
 * An address is blocked unless ipaddr.js classifies it as plain `unicast`
 * (the approach of request-filtering-agent), plus explicit checks for what
 * that classification lets through or names too vaguely: cloud metadata
 * addresses, benchmarking and documentation ranges, and IPv6 forms that embed
 * an IPv4 address. IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated
 * (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) and NAT64 well-known
 * prefix (`64:ff9b::/96`) addresses are judged by the IPv4 address they
 * embed. The local-use NAT64 prefix `64:ff9b:1::/48`, 6to4 (`2002::/16`) and
 * Teredo (`2001::/32`) are always blocked; the reason names the embedded IPv4
 * address when that one is blocked too.
 *
 * An allow-list of CIDRs overrides the policy for exactly the addresses it
 * contains; for embedded forms the embedded IPv4 address is matched too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBlockedAddress, parseAllowNets } from "./address_policy.ts";
 * const allow = parseAllowNets("127.0.0.2/32");
 * assert.equal(isBlockedAddress("127.0.0.1", allow), "loopback");
 * assert.equal(isBlockedAddress("127.0.0.2", allow), null);
 * assert.equal(isBlockedAddress("8.8.8.8", []), null);
 * ```
 * @module
 */

import ipaddr from "ipaddr.js";
import { NetError } from "./net_error.ts";
import { type UrlTarget, urlTarget } from "./url_target.ts";

/** A parsed IPv4 or IPv6 address. */
export type IP = ipaddr.IPv4 | ipaddr.IPv6;

/** One parsed CIDR of an allow-list, e.g. `10.0.0.0/8`. */
export interface Cidr {
  /** The entry as written (trimmed), e.g. `10.0.0.0/8`. */
  readonly text: string;
  /** The network address. */
  /** The first address of the network. */
  readonly address: IP;
  /** The prefix length in bits. */
  readonly prefix: number;
}

/** The SSRF policy a guarded fetcher applies before every connection. */
export interface AddressPolicy {
  /** Networks allowed even though the policy would block them. */
  allowNets: Cidr[];
  /** Ports that may be connected to; `null` allows any port. */
  allowedPorts: Set<number> | null;
}

/**
 * Parses a comma-separated allow-list such as `127.0.0.2/32,10.0.0.0/8,::1/128`.
 *
 * Bare addresses are taken as single-host networks; blank entries are
 * skipped. IPv4 must be in four-part decimal form.
 *
 * @throws {RangeError} naming the first entry that is not a valid CIDR
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAllowNets } from "./address_policy.ts";
 * assert.deepEqual(parseAllowNets("10.0.0.0/8, ::1").map((c) => c.text), [
 *   "10.0.0.0/8",
 *   "::1/128",
 * ]);
 * assert.throws(() => parseAllowNets("10.0.0.0/33"), {
 *   name: "RangeError",
 *   message: 'Invalid allow-list entry "10.0.0.0/33"',
 * });
 * ```
 */
export function parseAllowNets(s: string): Cidr[] {
  const nets: Cidr[] = [];
  for (const raw of s.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const slash = entry.indexOf("/");
    const addressText = slash === -1 ? entry : entry.slice(0, slash);
    const prefixText = slash === -1 ? null : entry.slice(slash + 1);
    const isV4 = ipaddr.IPv4.isValidFourPartDecimal(addressText);
    if (!isV4 && !ipaddr.IPv6.isValid(addressText)) {
      throw new RangeError(`Invalid allow-list entry "${entry}"`);
    }
    const max = isV4 ? 32 : 128;
    const prefix = prefixText === null ? max : Number(prefixText);
    if (
      prefixText !== null && !/^\d{1,3}$/.test(prefixText) || !Number.isInteger(prefix) ||
      prefix < 0 || prefix > max
    ) {
      throw new RangeError(`Invalid allow-list entry "${entry}"`);
    }
    const address = parseAddress(addressText);
    if (address === null) throw new RangeError(`Invalid allow-list entry "${entry}"`);
    nets.push({ text: prefixText === null ? `${entry}/${max}` : entry, address, prefix });
  }
  return nets;
}

/**
 * Tells whether connecting to `ip` is blocked, and why.
 *
 * @param ip an IPv4 address in four-part decimal or an IPv6 address without
 *   brackets; anything else is blocked as `"invalid"`
 * @param allow networks that override the policy
 * @returns the reason, such as `"loopback"` or `"private via ipv4-mapped"`,
 *   or `null` when the address may be connected to
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBlockedAddress } from "./address_policy.ts";
 * assert.equal(isBlockedAddress("169.254.169.254", []), "metadata");
 * assert.equal(isBlockedAddress("::ffff:10.0.0.1", []), "private via ipv4-mapped");
 * assert.equal(isBlockedAddress("2606:4700::1111", []), null);
 * ```
 */
export function isBlockedAddress(ip: string, allow: Cidr[]): string | null {
  const address = parseAddress(ip);
  if (address === null) return "invalid";
  const embedded = address.kind() === "ipv6" ? embeddedIPv4(address as ipaddr.IPv6) : null;
  if (isAllowed(address, allow) || (embedded && isAllowed(embedded.v4, allow))) return null;
  if (address.kind() === "ipv4") return classifyIPv4(address as ipaddr.IPv4);
  return classifyIPv6(address as ipaddr.IPv6, embedded);
}

export type { UrlTarget };

/**
 * Checks what can be checked about a URL before DNS: its scheme, its port and,
 * when the host is an IP literal, its address. `localhost` and `*.localhost`
 * names resolve to loopback (RFC 6761) without asking DNS and are checked as
 * such. Give it a WHATWG `URL`, whose parser has already turned forms like
 * `http://2130706433/`, `http://0x7f.1/` or `http://0177.0.0.1/` into
 * `127.0.0.1`.
 *
 * @throws {NetError} `blocked_scheme`, `blocked_port` or `blocked_address`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkUrlTarget } from "./address_policy.ts";
 * const policy = { allowNets: [], allowedPorts: null };
 * assert.equal(checkUrlTarget(new URL("https://example.com/"), policy).port, 443);
 * assert.throws(() => checkUrlTarget(new URL("http://0x7f.1/"), policy), {
 *   code: "blocked_address",
 * });
 * ```
 */
export function checkUrlTarget(url: URL, policy: AddressPolicy): UrlTarget {
  const target = urlTarget(url);
  if (policy.allowedPorts !== null && !policy.allowedPorts.has(target.port)) {
    throw new NetError("blocked_port", `Port ${target.port} is not allowed in ${url.href}`);
  }
  if (target.addresses !== null) checkAddresses(target.hostname, target.addresses, policy);
  return target;
}

/**
 * Checks every address a host resolved to; one blocked address refuses the
 * host, so that a name cannot mix a public address with an internal one.
 *
 * @throws {NetError} `blocked_address`, naming the host, the address and the reason
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAddresses } from "./address_policy.ts";
 * const policy = { allowNets: [], allowedPorts: null };
 * checkAddresses("example.com", ["93.184.215.14"], policy); // passes
 * assert.throws(() => checkAddresses("evil.test", ["93.184.215.14", "127.0.0.1"], policy), {
 *   code: "blocked_address",
 *   message: "Host evil.test resolves to 127.0.0.1, which is blocked (loopback)",
 * });
 * ```
 */
export function checkAddresses(hostname: string, addresses: string[], policy: AddressPolicy): void {
  for (const address of addresses) {
    const reason = isBlockedAddress(address, policy.allowNets);
    if (reason === null) continue;
    const message = address === hostname
      ? `Address ${address} is blocked (${reason})`
      : `Host ${hostname} resolves to ${address}, which is blocked (${reason})`;
    throw new NetError("blocked_address", message);
  }
}

function isAllowed(address: IP, allow: Cidr[]): boolean {
  for (const net of allow) {
    if (net.address.kind() === address.kind() && address.match(net.address, net.prefix)) {
      return true;
    }
  }
  return false;
}

const V4_EXPLICIT: [string, [ipaddr.IPv4, number][]][] = [
  ["metadata", [cidr4("169.254.169.254/32"), cidr4("100.100.100.200/32")]],
  ["benchmarking", [cidr4("198.18.0.0/15")]],
  ["documentation", [
    cidr4("192.0.2.0/24"),
    cidr4("198.51.100.0/24"),
    cidr4("203.0.113.0/24"),
  ]],
];

const V6_EXPLICIT: [string, [ipaddr.IPv6, number][]][] = [
  ["metadata", [cidr6("fd00:ec2::254/128")]],
  ["documentation", [cidr6("2001:db8::/32"), cidr6("3fff::/20")]],
  ["nat64-local", [cidr6("64:ff9b:1::/48")]],
  ["teredo", [cidr6("2001::/32")]],
  ["6to4", [cidr6("2002::/16")]],
];

function classifyIPv4(address: ipaddr.IPv4): string | null {
  for (const [reason, nets] of V4_EXPLICIT) {
    if (nets.some((net) => address.match(net))) return reason;
  }
  const range = address.range();
  return range === "unicast" ? null : kebab(range);
}

function classifyIPv6(
  address: ipaddr.IPv6,
  embedded: { v4: ipaddr.IPv4; form: string } | null,
): string | null {
  if (embedded) {
    const inner = classifyIPv4(embedded.v4);
    if (inner !== null) return `${inner} via ${embedded.form}`;
    if (embedded.form === "nat64" || embedded.form.startsWith("ipv4-")) return null;
  }
  for (const [reason, nets] of V6_EXPLICIT) {
    if (nets.some((net) => address.match(net))) return reason;
  }
  const range = address.range();
  return range === "unicast" ? null : kebab(range);
}

const MAPPED = cidr6("::ffff:0:0/96");
const TRANSLATED = cidr6("::ffff:0:0:0/96");
const COMPATIBLE = cidr6("::/96");
const NAT64 = cidr6("64:ff9b::/96");
const SIX_TO_FOUR = cidr6("2002::/16");

/** The IPv4 address an IPv6 address embeds, with the name of the form. */
function embeddedIPv4(address: ipaddr.IPv6): { v4: ipaddr.IPv4; form: string } | null {
  const p = address.parts;
  const low = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (address.match(MAPPED)) return { v4: low(p[6], p[7]), form: "ipv4-mapped" };
  if (address.match(TRANSLATED)) return { v4: low(p[6], p[7]), form: "ipv4-translated" };
  if (address.match(NAT64)) return { v4: low(p[6], p[7]), form: "nat64" };
  if (address.match(SIX_TO_FOUR)) return { v4: low(p[1], p[2]), form: "6to4" };
  if (address.match(COMPATIBLE) && (p[6] !== 0 || p[7] > 1)) {
    return { v4: low(p[6], p[7]), form: "ipv4-compatible" };
  }
  return null;
}

/**
 * Parses an address in the strict forms a socket accepts: IPv4 only as four
 * decimal parts (no `0x7f.1`, no leading zeros), IPv6 as RFC 4291 text. A
 * dotted IPv4 tail of an IPv6 address is rewritten as hex first, because
 * ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d`.
 */
function parseAddress(ip: string): IP | null {
  if (!ip.includes(":")) {
    return ipaddr.IPv4.isValidFourPartDecimal(ip) ? ipaddr.IPv4.parse(ip) : null;
  }
  let text = ip;
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (tail) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(tail[2])) return null;
    const [a, b, c, d] = ipaddr.IPv4.parse(tail[2]).octets;
    text = `${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  try {
    return ipaddr.parse(text);
  } catch {
    return null;
  }
}

function cidr4(s: string): [ipaddr.IPv4, number] {
  return ipaddr.IPv4.parseCIDR(s);
}

function cidr6(s: string): [ipaddr.IPv6, number] {
  return ipaddr.IPv6.parseCIDR(s);
}

function kebab(name: string): string {
  if (name === "carrierGradeNat") return "shared";
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
