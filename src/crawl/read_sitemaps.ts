/**
 * The sitemap phase of a crawl (option `sitemaps`): for each seed's origin,
 * the `Sitemap:` lines of its robots.txt and then `/sitemap.xml`; sitemap
 * index files are followed; each file is read once per crawl, so an index
 * that lists itself or an ancestor cannot loop. Each URL found is handed to
 * `admit`, which applies the same rules as to links (scope, include/exclude,
 * `maxPages`, dedupe; robots.txt is checked when the URL is fetched). Each
 * file read yields a `sitemap` event, or an `error` event with `sitemap: true`.
 *
 * Files are read one at a time (so never more than one connection to a host,
 * within any `perHost`), with the host's delay (`delayMs` or its robots.txt
 * `Crawl-delay`) between two of them, through the crawl's `Fetcher`.
 *
 * @example
 * ```ts ignore
 * for await (const ev of readSitemaps(seeds, env, signal)) console.log(ev);
 * ```
 * @module
 */
import type { ErrorEvent, SitemapEvent } from "./events.ts";
import type { CrawlOptions } from "./options.ts";
import type { Fetcher } from "../net/fetcher.ts";
import type { RobotsCache } from "../robots/robots_cache.ts";
import { type CompiledScope, inScope } from "../url/scope.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import { hostnameOf, originOf } from "../url/url_parts.ts";
import { CrawlError } from "./crawl_error.ts";
import { classifyError } from "./fetch_page.ts";
import { deadlineSignal } from "../async/deadline_signal.ts";
import { delay } from "../async/delay.ts";
import { openSitemap } from "../sitemap/open_sitemap.ts";
import { parseSitemap, type SitemapEntry, type SitemapSummary } from "../sitemap/parse_sitemap.ts";
import { SitemapError } from "../sitemap/sitemap_error.ts";

/** The sitemaps.org limits of one file. */
export const SITEMAP_MAX_URLS = 50_000;
/** 50 MB uncompressed per file (sitemaps.org); the crawl's `maxBytes` applies when smaller. */
export const SITEMAP_MAX_BYTES = 50 * 1024 * 1024;
/** Sitemap files read at most per crawl (indexes included). */
export const MAX_SITEMAP_FILES = 1000;
/** `Sitemap:` lines used at most per robots.txt. */
export const MAX_DECLARED = 100;
/** Index nesting followed at most (the protocol allows none; some sites nest). */
export const MAX_INDEX_DEPTH = 4;

/** What {@linkcode readSitemaps} needs from its crawl. */
export interface SitemapEnv {
  options: CrawlOptions;
  fetcher: Fetcher;
  scope: CompiledScope;
  /** `null` when robots.txt is ignored (then only `/sitemap.xml` is read). */
  robots: RobotsCache | null;
  /** Offers a page URL from sitemap `sitemapUrl`; true when it was queued. */
  admit(url: string, sitemapUrl: string, lastmod: string | null): boolean;
  /** True once no more URL can be admitted (`maxPages`): reading stops. */
  full(): boolean;
}

interface Item {
  url: string;
  parent: string | null;
  /** Listed in robots.txt: read even out of scope (sitemaps.org cross-submission). */
  declared: boolean;
  /** The conventional `/sitemap.xml`: a 404 there is no error. */
  guessed: boolean;
  level: number;
}

/** Reads the sitemaps of the seeds' origins; see the module doc. */
export async function* readSitemaps(
  seeds: readonly string[],
  env: SitemapEnv,
  signal: AbortSignal,
): AsyncGenerator<SitemapEvent | ErrorEvent> {
  const { options } = env;
  const headers = new Headers({
    "user-agent": options.userAgent,
    accept: "application/xml,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5",
  });
  const seen = new Set<string>();
  const lastFetch = new Map<string, number>();
  let files = 0;
  for (const origin of new Set(seeds.map(originOf))) {
    const queue: Item[] = [];
    const push = (item: Item) => {
      if (seen.has(item.url)) return;
      seen.add(item.url);
      queue.push(item);
    };
    if (env.robots) {
      const rules = await env.robots.get(origin, signal);
      for (const s of (rules.sitemaps ?? []).slice(0, MAX_DECLARED)) {
        const url = normalizeUrl(s.trim(), origin + "/");
        if (url !== null) push({ url, parent: null, declared: true, guessed: false, level: 0 });
      }
    }
    push({ url: origin + "/sitemap.xml", parent: null, declared: false, guessed: true, level: 0 });
    // Depth first: an index's children are read before the origin's next sitemap.
    while (queue.length > 0 && !env.full() && files < MAX_SITEMAP_FILES) {
      signal.throwIfAborted();
      const item = queue.shift()!;
      if (!item.declared && !inScope(env.scope, item.url)) continue;
      if (!item.declared && env.robots) {
        const rules = await env.robots.get(originOf(item.url), signal);
        if (!rules.isAllowed(item.url, options.userAgent)) continue;
      }
      files++;
      await politeWait(item.url, env, lastFetch, signal);
      const children: Item[] = [];
      const ev = await readOne(item, env, headers, children, signal);
      lastFetch.set(hostnameOf(item.url), Date.now());
      if (ev) yield ev;
      for (const c of children.reverse()) {
        if (!seen.has(c.url)) {
          seen.add(c.url);
          queue.unshift(c);
        }
      }
    }
  }
}

async function politeWait(
  url: string,
  env: SitemapEnv,
  lastFetch: Map<string, number>,
  signal: AbortSignal,
): Promise<void> {
  const last = lastFetch.get(hostnameOf(url));
  if (last === undefined) return;
  let wait = env.options.delayMs;
  if (env.robots) {
    const d = (await env.robots.get(originOf(url), signal)).crawlDelayMs(env.options.userAgent);
    if (d !== undefined) wait = Math.max(wait, d);
  }
  const left = last + wait - Date.now();
  if (left > 0) await delay(left, signal);
}

async function readOne(
  item: Item,
  env: SitemapEnv,
  headers: Headers,
  children: Item[],
  signal: AbortSignal,
): Promise<SitemapEvent | ErrorEvent | null> {
  const { options } = env;
  const started = performance.now();
  using deadline = deadlineSignal(options.timeoutMs, signal);
  let urls = 0;
  let admitted = 0;
  let bytes = 0;
  try {
    const s = await openSitemap(item.url, {
      fetcher: env.fetcher,
      headers,
      maxBytes: Math.min(options.maxBytes, SITEMAP_MAX_BYTES),
      maxRedirects: options.maxRedirects,
      signal: deadline.signal,
    });
    if (s.status < 200 || s.status >= 300) {
      if (item.guessed && s.status >= 400 && s.status < 500) return null; // no sitemap there
      throw new SitemapError("sitemap_invalid", `Sitemap answered HTTP ${s.status}`);
    }
    let kind: SitemapSummary["kind"] = "urlset";
    const it = parseSitemap(s.text, { maxUrls: SITEMAP_MAX_URLS, onKind: (k) => kind = k });
    // When maxPages stops the reading early, the file counts as truncated.
    let summary: SitemapSummary | null = null;
    try {
      for (;;) {
        let r: IteratorResult<SitemapEntry[], SitemapSummary>;
        try {
          r = await it.next();
        } catch (e) {
          // A document cut at the byte cap ends mid-element: what was read counts.
          if (e instanceof SitemapError && s.truncated) break;
          throw e;
        }
        if (r.done) {
          summary = r.value;
          break;
        }
        for (const e of r.value) {
          urls++;
          const url = normalizeUrl(e.loc, s.finalUrl);
          if (url === null) continue;
          if (!e.index) {
            if (env.admit(url, item.url, e.lastmod)) admitted++;
          } else if (item.level < MAX_INDEX_DEPTH) {
            children.push({
              url,
              parent: item.url,
              declared: false,
              guessed: false,
              level: item.level + 1,
            });
          }
        }
        if (env.full()) break;
      }
    } finally {
      await it.return(undefined as never).catch(() => {});
    }
    bytes = s.bytes;
    return {
      type: "sitemap",
      url: item.url,
      parent: item.parent,
      kind,
      urls,
      admitted,
      truncated: summary === null || summary.truncated || s.truncated,
      bytes,
      ms: Math.round(performance.now() - started),
    };
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    const err = e instanceof SitemapError
      ? new CrawlError(e.code, e.message, { cause: e })
      : classifyError(e, deadline.signal);
    return {
      type: "error",
      url: item.url,
      depth: 0,
      parent: item.parent,
      code: err.code,
      message: err.message,
      attempts: 1,
      sitemap: true,
    };
  }
}
