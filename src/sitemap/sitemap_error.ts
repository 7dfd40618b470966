/**
 * The one error type of the sitemap layer, with a stable `code` that the
 * crawl reports in its `error` event.
 *
 * @example
 * ```ts
 * import { SitemapError } from "./sitemap_error.ts";
 * const e = new SitemapError("sitemap_invalid", "Not a sitemap: root element <html>");
 * e.code; // "sitemap_invalid"
 * ```
 * @module
 */

/** Stable codes of {@linkcode SitemapError}. */
export type SitemapErrorCode = "sitemap_invalid" | "invalid_url" | "too_many_redirects";

/** A sitemap that could not be read: not a sitemap, corrupt gzip, bad redirect. */
export class SitemapError extends Error {
  readonly code: SitemapErrorCode;
  constructor(code: SitemapErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SitemapError";
    this.code = code;
  }
}
