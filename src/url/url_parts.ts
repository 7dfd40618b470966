/**
 * Cheap accessors for parts of a URL already produced by `normalizeUrl`
 * (lower-case scheme and host, no default port), with no re-parsing.
 *
 * @example
 * ```ts
 * import { originOf, hostnameOf } from "./url_parts.ts";
 * originOf("http://u@a.test:8080/x?y"); // "http://a.test:8080"
 * hostnameOf("http://[::1]:8080/"); // "[::1]"
 * ```
 * @module
 */

function authorityBounds(href: string): [number, number] {
  const start = href.indexOf("//") + 2;
  let end = href.indexOf("/", start);
  if (end === -1) end = href.length;
  const at = href.lastIndexOf("@", end);
  return [at >= start ? at + 1 : start, end];
}

/** `scheme://host[:port]` of a normalized URL. */
export function originOf(href: string): string {
  const [h, end] = authorityBounds(href);
  return href.slice(0, href.indexOf("//") + 2) + href.slice(h, end);
}

/** `host[:port]` of a normalized URL. */
export function hostOf(href: string): string {
  const [h, end] = authorityBounds(href);
  return href.slice(h, end);
}

/** The host name (IPv6 keeps its brackets) of a normalized URL, without port. */
export function hostnameOf(href: string): string {
  const host = hostOf(href);
  if (host.charCodeAt(0) === 91 /* [ */) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}
