/**
 * The one URL normalization used everywhere (frontier, dedupe, storage, scope),
 * so the same page is fetched once: lower-case scheme and host, IDN to
 * punycode, default port removed, dot segments resolved (all by the WHATWG URL
 * parser), fragment dropped, percent-encoding normalized (escapes of
 * unreserved characters decoded, hex digits upper-cased). Only http and https.
 *
 * @example
 * ```ts
 * import { normalizeUrl } from "./normalize_url.ts";
 * normalizeUrl("HTTP://Example.COM:80/a/./b/../%7euser?q=%2f#top");
 * // "http://example.com/a/~user?q=%2F"
 * normalizeUrl("mailto:x@example.com"); // null
 * ```
 * @module
 */

const HEX = "0123456789ABCDEF";

function isUnreserved(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Normalizes the percent-escapes of a URL component: `%7e` becomes `~`,
 * `%2f` becomes `%2F`. Other text is left as it is.
 */
export function normalizePercent(s: string): string {
  if (s.indexOf("%") === -1) return s;
  let out = "";
  let last = 0;
  for (let i = s.indexOf("%"); i !== -1 && i + 2 < s.length; i = s.indexOf("%", i + 1)) {
    const h = hexVal(s.charCodeAt(i + 1));
    const l = hexVal(s.charCodeAt(i + 2));
    if (h < 0 || l < 0) continue;
    const code = h * 16 + l;
    const rep = isUnreserved(code) ? String.fromCharCode(code) : "%" + HEX[h] + HEX[l];
    if (rep === s.slice(i, i + 3)) continue;
    out += s.slice(last, i) + rep;
    last = i + 3;
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * Normalizes a parsed URL in place-free fashion and returns its string, or
 * `null` for anything but http(s) with a host.
 */
export function normalizeParsed(u: URL): string | null {
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  if (u.hostname === "") return null;
  let host = u.host;
  // Trailing dots name the same host ("example.com." is "example.com"); a
  // host of dots only names none.
  if (host.endsWith(".") || host.includes(".:")) {
    host = host.replace(/\.+(?=:\d+$|$)/, "");
    if (host === "" || host.startsWith(":")) return null;
  }
  const path = normalizePercent(u.pathname);
  const search = u.search === "?" ? "" : normalizePercent(u.search);
  const auth = u.username || u.password
    ? `${u.username}${u.password ? ":" + u.password : ""}@`
    : "";
  return `${u.protocol}//${auth}${host}${path}${search}`;
}

/**
 * Resolves `input` against `base` (when given) and normalizes it; `null` when
 * it is not a valid http(s) URL.
 */
export function normalizeUrl(input: string, base?: string | URL): string | null {
  let u: URL;
  try {
    u = new URL(input, base);
  } catch {
    return null;
  }
  return normalizeParsed(u);
}
