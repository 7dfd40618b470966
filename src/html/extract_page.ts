/**
 * What a crawler keeps of an HTML page: its title and the links to follow,
 * resolved against `<base href>` and the page's final URL, normalized and
 * de-duplicated. `rel="nofollow"` links are left out, and so is every link
 * when `<meta name="robots" content="nofollow">` is present.
 *
 * @example
 * ```ts
 * import { extractPage } from "./extract_page.ts";
 * async function* html() { yield '<title>T</title><a href="b?x=1#f">b</a>'; }
 * const info = await extractPage(html(), "http://a.test/dir/");
 * // info.title === "T", info.links === ["http://a.test/dir/b?x=1"]
 * ```
 * @module
 */
import { type HtmlToken, htmlTokens, htmlTokensOf } from "./html_tokens.ts";
import { HtmlDecoder } from "./decode_html.ts";
import { LinkResolver, stripHref } from "../url/resolve_href.ts";
import { normalizeParsed, normalizeUrl } from "../url/normalize_url.ts";
import { encodeHrefQuery } from "../url/encode_query.ts";
import { type PageMeta, PageMetaCollector } from "./page_meta.ts";
import { type ContentFormat, PageContent } from "./page_content.ts";

/** The result of {@linkcode extractPage}. */
export interface PageInfo {
  title: string | null;
  /** Normalized http(s) links to follow, unique, in document order. */
  links: string[];
  /** The page's metadata (see `page_meta.ts`). */
  meta: PageMeta;
  /** The page's content in the `content` mode asked for; `null` for `none`. */
  content: string | null;
  /** True when `content` was cut at its cap. */
  contentTruncated: boolean;
}

/** Settings of {@linkcode extractPage}. */
export interface ExtractOptions {
  /** Links kept at most per page; the rest are ignored. @default 10000 */
  maxLinks?: number;
  /**
   * The document's encoding (a name `TextDecoder` knows), or a function
   * giving it, called once the last chunk has been read. @default "utf-8"
   */
  encoding?: string | (() => string);
  /** What to collect as `content` (see `src/html/page_content.ts`). @default "none" */
  content?: ContentFormat | "none";
}

/** Settings of {@linkcode extractHtml}. */
export interface ExtractHtmlOptions {
  /** Links kept at most per page; the rest are ignored. @default 10000 */
  maxLinks?: number;
  /** The response's `Content-Type`, for its charset. @default null */
  contentType?: string | null;
  /** What to collect as `content` (see `src/html/page_content.ts`). @default "none" */
  content?: ContentFormat | "none";
}

/** Settings of {@linkcode resolveLinks}. */
export interface ResolveLinksOptions {
  /** Links kept at most; the rest are ignored. @default 10000 */
  maxLinks?: number;
  /**
   * The URL of the page itself: an empty or fragment-only href that resolves
   * to it is a self-link and left out; one that resolves elsewhere (under a
   * `<base href>` naming another page) is kept. @default the base URL
   */
  page?: string | URL;
  /** The document's encoding, for the queries of links. @default "utf-8" */
  encoding?: string;
}

/**
 * Resolves and normalizes raw hrefs against `base`; unique results in order.
 * (Resolving a plain href is cheaper than hashing it, so raw hrefs are not
 * de-duplicated first; see `LinkResolver`.)
 */
export function resolveLinks(
  hrefs: Iterable<string>,
  base: URL,
  options: ResolveLinksOptions = {},
): string[] {
  const maxLinks = options.maxLinks ?? 10000;
  const baseUrl = normalizeParsed(base);
  const resolver = new LinkResolver(base, { encoding: options.encoding, normalized: baseUrl });
  // An empty or fragment-only href names the base URL; it is a link unless the
  // base is the page itself.
  const p = options.page;
  const page = p === undefined || p === base
    ? baseUrl
    : typeof p === "string"
    ? normalizeUrl(p)
    : normalizeParsed(p);
  const baseLink = baseUrl !== page ? baseUrl : null;
  const out = new Set<string>();
  for (const raw of hrefs) {
    if (out.size >= maxLinks) break;
    const href = stripHref(raw);
    if (href === "" || href.charCodeAt(0) === 35 /* # */) {
      if (baseLink !== null) out.add(baseLink);
      continue;
    }
    const n = resolver.resolve(href);
    if (n !== null) out.add(n);
  }
  return [...out];
}

/**
 * Decodes HTML bytes (see `HtmlDecoder`: declared charset, else UTF-8 or
 * windows-1252 by the bytes) and extracts the title and links with
 * {@linkcode extractPage}, in the document's encoding.
 */
export function extractHtml(
  bytes: AsyncIterable<Uint8Array>,
  pageUrl: string,
  options: ExtractHtmlOptions = {},
): Promise<PageInfo> {
  const decoder = new HtmlDecoder(options.contentType ?? null);
  return extractPage(decoder.decode(bytes), pageUrl, {
    maxLinks: options.maxLinks,
    encoding: () => decoder.encoding,
    content: options.content,
  });
}

/**
 * Extracts the title and links from the whole bytes of a page at once, with
 * no promise: the same result as {@linkcode extractHtml} gives for these
 * bytes as one chunk (the crawl takes this path for a body that came whole
 * with its response head, most pages).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractHtmlBytes } from "./extract_page.ts";
 * const bytes = new TextEncoder().encode('<title>T</title><a href="b">b</a>');
 * const info = extractHtmlBytes(bytes, "http://a.test/dir/");
 * assert.equal(info.title, "T");
 * assert.deepEqual(info.links, ["http://a.test/dir/b"]);
 * ```
 */
export function extractHtmlBytes(
  bytes: Uint8Array,
  pageUrl: string,
  options: ExtractHtmlOptions = {},
): PageInfo {
  const decoder = new HtmlDecoder(options.contentType ?? null);
  // The chunks `extractHtml` would see (the parsers' ends depend on where a chunk ends).
  const parts = decoder.decodeWhole(bytes);
  const mode = options.content ?? "none";
  const content = mode === "none" ? null : new PageContent(mode, pageUrl);
  for (const p of parts) content?.write(p);
  const found = new FoundTokens();
  found.add(htmlTokensOf(parts));
  return found.finish(pageUrl, decoder.encoding, options.maxLinks, content);
}

/** What the tokens of a page say, gathered batch by batch. */
class FoundTokens {
  title: string | null = null;
  baseHref: string | null = null;
  nofollow = false;
  hrefs: string[] = [];
  meta = new PageMetaCollector();

  add(batch: HtmlToken[]): void {
    for (const t of batch) {
      switch (t.kind) {
        case "link":
          if (!t.nofollow) this.hrefs.push(t.href);
          break;
        case "base":
          this.baseHref ??= t.href;
          break;
        case "title":
          this.title ??= t.text;
          break;
        case "robots":
          this.nofollow = true;
          break;
        case "meta":
        case "linkrel":
        case "lang":
          this.meta.add(t);
          break;
      }
    }
  }

  /** The page's info, its links resolved against `<base href>` (if valid) or the page. */
  finish(
    pageUrl: string,
    encoding: string,
    maxLinks: number | undefined,
    content: PageContent | null,
  ): PageInfo {
    const page = new URL(pageUrl);
    let base = page;
    if (this.baseHref !== null) {
      try {
        const b = new URL(encodeHrefQuery(this.baseHref, encoding), page);
        if (b.protocol === "http:" || b.protocol === "https:") base = b;
      } catch {
        // an invalid <base href> is ignored, as browsers do
      }
    }
    const links = this.nofollow ? [] : resolveLinks(this.hrefs, base, { maxLinks, page, encoding });
    const c = content?.finish();
    return {
      title: this.title,
      links,
      meta: this.meta.finish(base),
      content: c?.content ?? null,
      contentTruncated: c?.truncated ?? false,
    };
  }
}

/** Reads HTML text chunks to the end and returns the page's title and links. */
export async function extractPage(
  chunks: AsyncIterable<string>,
  pageUrl: string,
  options: ExtractOptions = {},
): Promise<PageInfo> {
  const found = new FoundTokens();
  const mode = options.content ?? "none";
  const content = mode === "none" ? null : new PageContent(mode, pageUrl);
  for await (const batch of htmlTokens(content ? content.pass(chunks) : chunks)) found.add(batch);
  const encoding = typeof options.encoding === "function"
    ? options.encoding()
    : options.encoding ?? "utf-8";
  return found.finish(pageUrl, encoding, options.maxLinks, content);
}
