/**
 * The events a crawl yields, one JSON object per NDJSON line.
 *
 * @example
 * ```ts
 * import type { CrawlEvent } from "./events.ts";
 * const e: CrawlEvent = { type: "skipped", url: "http://a.test/x", reason: "robots" };
 * ```
 * @module
 */

/** A response was received (whatever its status). */
export interface PageEvent {
  type: "page";
  /** The normalized URL that was requested. */
  url: string;
  /** The URL of the last redirect hop (equal to `url` without redirects). */
  finalUrl: string;
  status: number;
  depth: number;
  /** The page whose link led here; `null` for seeds. */
  parent: string | null;
  contentType: string;
  title: string | null;
  /** Normalized http(s) links found on the page, de-duplicated, in document order. */
  links: string[];
  /** Decoded body bytes read. */
  bytes: number;
  ms: number;
  attempts: number;
}

/** The stable codes of an {@linkcode ErrorEvent}. */
export type CrawlErrorCode =
  | "timeout"
  | "network"
  | "too_large"
  | "too_many_redirects"
  | "redirect_loop"
  | "robots"
  | "invalid_url"
  | "out_of_scope"
  | "blocked_address"
  | "blocked_port"
  | "dns";

/** No response could be had for a URL. */
export interface ErrorEvent {
  type: "error";
  url: string;
  depth: number;
  parent: string | null;
  code: CrawlErrorCode;
  message: string;
  attempts: number;
}

/** Why a URL was left out. */
export type SkipReason = "robots";

/** A URL left out on purpose (robots.txt). */
export interface SkippedEvent {
  type: "skipped";
  url: string;
  reason: SkipReason;
  depth: number;
  parent: string | null;
}

/** Totals of a crawl. */
export interface CrawlStats {
  pages: number;
  errors: number;
  skipped: number;
  bytes: number;
  durationMs: number;
}

/** Always the last event of a crawl, exactly once. */
export interface DoneEvent {
  type: "done";
  stats: CrawlStats;
  /**
   * Why the crawl ended: the frontier ran dry, `maxPages` was reached, it was
   * aborted, or admission stopped at the memory limit (`heapLimitBytes`).
   */
  reason: "complete" | "max_pages" | "aborted" | "memory_limit";
}

/** Any event of a crawl. */
export type CrawlEvent = PageEvent | ErrorEvent | SkippedEvent | DoneEvent;
