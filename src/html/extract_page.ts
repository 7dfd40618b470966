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
import { htmlTokens } from "./html_tokens.ts";
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

/** Reads HTML text chunks to the end and returns the page's title and links. */
export async function extractPage(
  chunks: AsyncIterable<string>,
  pageUrl: string,
  options: ExtractOptions = {},
): Promise<PageInfo> {
  let title: string | null = null;
  let baseHref: string | null = null;
  let nofollow = false;
  const hrefs: string[] = [];
  const meta = new PageMetaCollector();
  const mode = options.content ?? "none";
  const content = mode === "none" ? null : new PageContent(mode, pageUrl);
  for await (const batch of htmlTokens(content ? content.pass(chunks) : chunks)) {
    for (const t of batch) {
      switch (t.kind) {
        case "link":
          if (!t.nofollow) hrefs.push(t.href);
          break;
        case "base":
          baseHref ??= t.href;
          break;
        case "title":
          title ??= t.text;
          break;
        case "robots":
          nofollow = true;
          break;
        case "meta":
        case "linkrel":
        case "lang":
          meta.add(t);
          break;
      }
    }
  }
  const page = new URL(pageUrl);
  const encoding = typeof options.encoding === "function"
    ? options.encoding()
    : options.encoding ?? "utf-8";
  let base = page;
  if (baseHref !== null) {
    try {
      const b = new URL(encodeHrefQuery(baseHref, encoding), page);
      if (b.protocol === "http:" || b.protocol === "https:") base = b;
    } catch {
      // an invalid <base href> is ignored, as browsers do
    }
  }
  const links = nofollow
    ? []
    : resolveLinks(hrefs, base, { maxLinks: options.maxLinks, page, encoding });
  const c = content?.finish();
  return {
    title,
    links,
    meta: meta.finish(base),
    content: c?.content ?? null,
    contentTruncated: c?.truncated ?? false,
  };
}
