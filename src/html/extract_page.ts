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
import { LinkResolver } from "../url/resolve_href.ts";
import { type PageMeta, PageMetaCollector } from "./page_meta.ts";
import { type ContentFormat, PageContent } from "../content/page_content.ts";

/** The result of {@linkcode extractPage}. */
export interface PageInfo {
  title: string | null;
  /** Normalized http(s) links to follow, unique, in document order. */
  links: string[];
  /** True when `<meta name="robots">` said nofollow. */
  nofollow: boolean;
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
  /** What to collect as `content` (see `src/content/page_content.ts`). @default "none" */
  content?: ContentFormat | "none";
}

/**
 * Resolves and normalizes raw hrefs against `base`; unique results in order.
 * (Resolving a plain href is cheaper than hashing it, so raw hrefs are not
 * de-duplicated first; see `LinkResolver`.)
 */
export function resolveLinks(hrefs: Iterable<string>, base: URL, maxLinks = 10000): string[] {
  const resolver = new LinkResolver(base);
  const out = new Set<string>();
  for (const raw of hrefs) {
    if (out.size >= maxLinks) break;
    const href = raw.trim();
    if (href === "" || href.charCodeAt(0) === 35 /* # */) continue;
    const n = resolver.resolve(href);
    if (n !== null) out.add(n);
  }
  return [...out];
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
  let base = page;
  if (baseHref !== null) {
    try {
      const b = new URL(baseHref.trim(), page);
      if (b.protocol === "http:" || b.protocol === "https:") base = b;
    } catch {
      // an invalid <base href> is ignored, as browsers do
    }
  }
  const links = nofollow ? [] : resolveLinks(hrefs, base, options.maxLinks);
  const c = content?.finish();
  return {
    title,
    links,
    nofollow,
    meta: meta.finish(base),
    content: c?.content ?? null,
    contentTruncated: c?.truncated ?? false,
  };
}
