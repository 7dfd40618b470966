/**
 * skein: a concurrent, polite, bounded web crawler for Deno.
 *
 * `crawl()` is an async iterable of {@linkcode CrawlEvent}s: one `page`,
 * `error` or `skipped` event per URL (and a `sitemap` event per sitemap file
 * read), then exactly one `done`. The network is one seam, {@linkcode Fetcher};
 * the service stores what a crawl finds through a {@linkcode Store}.
 *
 * @example
 * ```ts ignore
 * import { crawl } from "./mod.ts";
 * for await (const event of crawl(["https://example.com/"], { maxPages: 10 })) {
 *   console.log(JSON.stringify(event));
 * }
 * ```
 * @module
 */
export { crawl } from "./src/crawl/crawl.ts";
export type {
  CrawlContext,
  CrawlProgress,
  CrawlRun,
  CrawlShard,
  ResumeEntry,
  Task,
} from "./src/crawl/crawl.ts";
export { shardedCrawl } from "./src/crawl/sharded_crawl.ts";
export type {
  FetcherSpec,
  ShardedCrawlContext,
  ShardedCrawlRun,
} from "./src/crawl/sharded_crawl.ts";
export { NdjsonText } from "./src/streams/write_ndjson.ts";
export type { RobotsLoader } from "./src/robots/robots_cache.ts";
export type { Permits } from "./src/async/semaphore.ts";
export type { RobotsRules } from "./src/robots/robots_rules.ts";
export { DEFAULT_OPTIONS, OPTION_SPECS, OptionError, resolveOptions } from "./src/crawl/options.ts";
export type { ContentMode, CrawlOptions, OptionSpec } from "./src/crawl/options.ts";
export { SCOPE_KINDS } from "./src/url/scope.ts";
export type { ScopeKind } from "./src/url/scope.ts";
export type * from "./src/crawl/events.ts";
export type { PageMeta } from "./src/html/page_meta.ts";
export { defaultFetcher } from "./src/net/fetcher.ts";
export type { Fetcher, FetcherInit } from "./src/net/fetcher.ts";
export { makeFetcher } from "./src/net/make_fetcher.ts";
export type { FetcherChoice, OwnedFetcher } from "./src/net/make_fetcher.ts";
export type { AddressPolicy } from "./src/net/address_policy.ts";
export type * from "./src/store/store.ts";
export { newJob, StoreError } from "./src/store/store.ts";
export { MemoryStore } from "./src/store/memory_store.ts";
export { MongoStore } from "./src/store/mongo/mongo_store.ts";
export type { PinnedFetcherOptions } from "./src/net/pinned_fetcher.ts";
export type { Cidr, IP } from "./src/net/address_policy.ts";
export type { ResolvedAddress, Resolver } from "./src/net/resolver.ts";
export type { Dialer } from "./src/net/http_client.ts";
