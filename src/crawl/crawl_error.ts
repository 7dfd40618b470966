/**
 * The error type of the crawl layer; its `code` is what an `error` event carries.
 *
 * @example
 * ```ts
 * import { CrawlError } from "./crawl_error.ts";
 * const e = new CrawlError("too_large", "Body exceeds 5242880 bytes");
 * e.code; // "too_large"
 * ```
 * @module
 */
import type { CrawlErrorCode } from "./events.ts";

/** A failure to get a usable response for one URL. */
export class CrawlError extends Error {
  readonly code: CrawlErrorCode;
  constructor(code: CrawlErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CrawlError";
    this.code = code;
  }
}
