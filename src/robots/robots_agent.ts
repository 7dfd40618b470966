/**
 * The product token a crawler looks for in robots.txt `User-agent` lines
 * (RFC 9309 §2.2.1: letters, `_` and `-` only, compared case-insensitively),
 * derived from a `User-Agent` header when none is given: the name in the
 * `Mozilla/5.0 (compatible; Name/1.0; +url)` shape that bots use, otherwise
 * the leading name (`skein/0.1 (+url)` is `skein`, `MyBot 1.0` is `MyBot`).
 *
 * @example
 * ```ts
 * import { productToken } from "./robots_agent.ts";
 * productToken("Mozilla/5.0 (compatible; MyBot/1.0; +https://my.bot/)"); // "MyBot"
 * productToken("skein/0.1 (+https://github.com/skein-crawler/skein)"); // "skein"
 * productToken("42"); // null
 * ```
 * @module
 */

/** A valid robots.txt product token (RFC 9309 `identifier`). */
export const PRODUCT_TOKEN = /^[A-Za-z_-]+$/;

/** The product token of a `User-Agent` value, or `null` when it has none. */
export function productToken(userAgent: string): string | null {
  const compatible = /\(\s*compatible\s*;\s*([A-Za-z_-]+)/i.exec(userAgent);
  if (compatible) return compatible[1];
  const lead = /^\s*([A-Za-z_-]+)/.exec(userAgent);
  return lead ? lead[1] : null;
}
