/**
 * The events a crawl yields, one JSON object per NDJSON line.
 *
 * @example
 * ```ts
 * import type { CrawlEvent } from "./events.ts";
 * const e: CrawlEvent = {
 *   type: "skipped",
 *   url: "http://a.test/private/",
 *   reason: "robots",
 *   depth: 1,
 *   parent: "http://a.test/",
 * };
 * ```
 * @module
 */
import type { PageMeta } from "../html/page_meta.ts";

/** A response was received (whatever its status). */
export interface PageEvent {
  /** Always `page`. */
  type: "page";
  /** The normalized URL that was requested. */
  url: string;
  /** The URL of the last redirect hop (equal to `url` without redirects). */
  finalUrl: string;
  /** The HTTP status of the last response. */
  status: number;
  /** Link hops from the seeds (seeds are 0). */
  depth: number;
  /** The page whose link led here; `null` for seeds. */
  parent: string | null;
  /** The `Content-Type` header, as sent (`""` when none). */
  contentType: string;
  /** The first `<title>`, whitespace collapsed; `null` when none. */
  title: string | null;
  /** Normalized http(s) links found on the page, de-duplicated, in document order. */
  links: string[];
  /** Decoded body bytes read. */
  bytes: number;
  /** Time from the request to the end of the body, in ms. */
  ms: number;
  /** Requests made for this URL (1 without retries). */
  attempts: number;
  /** Metadata of an HTML page whose body was read (2xx); `null` otherwise. */
  meta: PageMeta | null;
  /** Hex SHA-256 of the decoded body; `null` when the body was not read. */
  contentHash: string | null;
  /**
   * The page's content in the crawl's `content` mode (`text`, `markdown`,
   * `html`); `null` when the mode is `none`, the page is not HTML or its body
   * was not read.
   */
  content: string | null;
  /** True when `content` was cut at the stored-content cap. Present only when `content` is not `null`. */
  contentTruncated?: boolean;
  /** `"sitemap"` when the URL came from a sitemap; absent otherwise. */
  source?: "sitemap";
  /** The sitemap's `<lastmod>` for this URL (as written), when it came from a sitemap. */
  lastmod?: string | null;
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
  | "dns"
  | "tls"
  | "sitemap_invalid";

/** No response could be had for a URL. */
export interface ErrorEvent {
  /** Always `error`. */
  type: "error";
  /** The normalized URL. */
  url: string;
  /** Link hops from the seeds (seeds are 0). */
  depth: number;
  /** The page whose link led here; `null` for seeds. */
  parent: string | null;
  /** Why, as a stable code. */
  code: CrawlErrorCode;
  /** What happened, for people. */
  message: string;
  /** Requests made for this URL (1 without retries). */
  attempts: number;
  /** `"sitemap"` when the URL came from a sitemap; absent otherwise. */
  source?: "sitemap";
  /** True when the URL that failed is a sitemap file (not a page); absent otherwise. */
  sitemap?: true;
}

/** Why a URL was left out. */
export type SkipReason = "robots";

/** A URL left out on purpose (robots.txt). */
export interface SkippedEvent {
  /** Always `skipped`. */
  type: "skipped";
  /** The normalized URL. */
  url: string;
  /** Why it was left out. */
  reason: SkipReason;
  /** Link hops from the seeds (seeds are 0). */
  depth: number;
  /** The page whose link led here; `null` for seeds. */
  parent: string | null;
  /** `"sitemap"` when the URL came from a sitemap; absent otherwise. */
  source?: "sitemap";
}

/** Totals of a crawl. */
export interface CrawlStats {
  /** `page` events. */
  pages: number;
  /** `error` events. */
  errors: number;
  /** `skipped` events. */
  skipped: number;
  /** Decoded body bytes read. */
  bytes: number;
  /** Wall-clock time of the crawl. */
  durationMs: number;
}

/** Always the last event of a crawl, exactly once. */
export interface DoneEvent {
  /** Always `done`. */
  type: "done";
  /** Totals of the crawl. */
  stats: CrawlStats;
  /**
   * Why the crawl ended: the frontier ran dry, `maxPages` was reached, it was
   * aborted, or admission stopped at the memory limit (`heapLimitBytes`).
   */
  reason: "complete" | "max_pages" | "aborted" | "memory_limit";
}

/** A sitemap (or sitemap index) was read. */
export interface SitemapEvent {
  /** Always `sitemap`. */
  type: "sitemap";
  /** The sitemap's normalized URL. */
  url: string;
  /** The sitemap index it was listed in; `null` for robots.txt and `/sitemap.xml`. */
  parent: string | null;
  /** `urlset`, `sitemapindex` or `text` (one URL a line). */
  kind: "urlset" | "sitemapindex" | "text";
  /** `<loc>` entries read (URLs, or sitemaps for an index), admitted or not. */
  urls: number;
  /** Of those, URLs queued for fetching (after scope, robots, include/exclude, maxPages and dedupe). */
  admitted: number;
  /** True when reading stopped at a limit (50,000 entries, 50 MB or `maxBytes`). */
  truncated: boolean;
  /** Decoded bytes read. */
  bytes: number;
  /** Time from the request to the end of the body, in ms. */
  ms: number;
}

/** Any event of a crawl. */
export type CrawlEvent = PageEvent | ErrorEvent | SkippedEvent | SitemapEvent | DoneEvent;
