/**
 * Streaming parse of a sitemap (sitemaps.org 0.9): an XML `<urlset>` of
 * `<url><loc>…</loc><lastmod>…</lastmod></url>`, an XML `<sitemapindex>` of
 * `<sitemap><loc>…</loc></sitemap>`, or a text sitemap with one URL a line.
 * Entries come out in batches as the text streams in, so a sitemap is never
 * held whole in memory, and reading stops at `maxUrls` entries (50,000 by the
 * protocol).
 *
 * XML is parsed by `saxes` (measured 2.5-3x faster than `sax` on a 50,000-URL,
 * 6.7 MB sitemap: 100-170 ms against 280-660 ms). It never expands entities
 * other than XML's five built-ins (an undefined entity is a syntax error), and
 * a `<!DOCTYPE>` is refused outright, so entity expansion ("billion laughs")
 * cannot happen. Only elements in the root element's namespace count: an
 * `<image:loc>` of the image extension is not a page.
 *
 * @example
 * ```ts
 * import { parseSitemap } from "./parse_sitemap.ts";
 * async function* text() {
 *   yield '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">';
 *   yield "<url><loc>http://a.test/x</loc><lastmod>2024-01-02</lastmod></url></urlset>";
 * }
 * const it = parseSitemap(text());
 * const batch = await it.next();
 * // batch.value: [{ loc: "http://a.test/x", lastmod: "2024-01-02", index: false }]
 * ```
 * @module
 */
import { SaxesParser, type SaxesTagNS } from "saxes";
import { SitemapError } from "./sitemap_error.ts";

/** One `<loc>` of a sitemap, with its `<lastmod>` when given. */
export interface SitemapEntry {
  /** The URL as written (trimmed, entities decoded); not yet resolved or checked. */
  loc: string;
  lastmod: string | null;
  /** True when the entry is a sitemap listed by a `<sitemapindex>`, false for a page. */
  index: boolean;
}

/** What a finished parse found out. */
export interface SitemapSummary {
  kind: "urlset" | "sitemapindex" | "text";
  /** Entries yielded. */
  entries: number;
  /** True when reading stopped at `maxUrls`. */
  truncated: boolean;
}

/** Settings of {@linkcode parseSitemap}. */
export interface ParseSitemapOptions {
  /** Entries read at most; the protocol's limit. @default 50000 */
  maxUrls?: number;
  /** Told the document's kind as soon as it is known. */
  onKind?: (kind: SitemapSummary["kind"]) => void;
}

/** The sitemaps.org namespace, and the two older Google ones still served. */
export const SITEMAP_NAMESPACES: ReadonlySet<string> = new Set([
  "http://www.sitemaps.org/schemas/sitemap/0.9",
  "http://www.google.com/schemas/sitemap/0.9",
  "http://www.google.com/schemas/sitemap/0.84",
  "", // no namespace at all: accepted, as Scrapy and Crawlee do
]);

/** Longest `<loc>` or `<lastmod>` text kept; longer ones are skipped (the protocol allows 2,048). */
const MAX_LOC = 4096;

/** Parses a sitemap's text chunks; yields batches of entries and returns a summary. */
export async function* parseSitemap(
  chunks: AsyncIterable<string>,
  options: ParseSitemapOptions = {},
): AsyncGenerator<SitemapEntry[], SitemapSummary> {
  const maxUrls = options.maxUrls ?? 50_000;
  const it = chunks[Symbol.asyncIterator]();
  // Look at the first non-blank character: "<" is XML, anything else a text sitemap.
  const first: string[] = [];
  let isXml: boolean | null = null;
  while (isXml === null) {
    const r = await it.next();
    if (r.done) break;
    first.push(r.value);
    const s = r.value.replace(/^[\s\uFEFF]+/, "");
    if (s !== "") isXml = s[0] === "<";
  }
  const rest: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        first.length > 0 ? Promise.resolve({ done: false, value: first.shift()! }) : it.next(),
      return: (v?: unknown) => it.return?.(v) ?? Promise.resolve({ done: true, value: undefined }),
    }),
  };
  try {
    if (isXml === false) {
      options.onKind?.("text");
      return yield* parseText(rest, maxUrls);
    }
    return yield* parseXml(rest, maxUrls, options.onKind);
  } finally {
    await it.return?.();
  }
}

async function* parseText(
  chunks: AsyncIterable<string>,
  maxUrls: number,
): AsyncGenerator<SitemapEntry[], SitemapSummary> {
  let carry = "";
  let entries = 0;
  const take = (line: string, out: SitemapEntry[]): boolean => {
    const loc = line.trim();
    if (loc === "" || loc.length > MAX_LOC) return true;
    if (entries >= maxUrls) return false;
    entries++;
    out.push({ loc, lastmod: null, index: false });
    return true;
  };
  for await (const chunk of chunks) {
    const lines = (carry + chunk).split(/\r?\n|\r/);
    carry = lines.pop()!;
    if (carry.length > MAX_LOC) carry = carry.slice(0, MAX_LOC + 1); // an endless line is skipped
    const out: SitemapEntry[] = [];
    for (const line of lines) {
      if (!take(line, out)) {
        if (out.length > 0) yield out;
        return { kind: "text", entries, truncated: true };
      }
    }
    if (out.length > 0) yield out;
  }
  const out: SitemapEntry[] = [];
  const more = take(carry, out);
  if (out.length > 0) yield out;
  return { kind: "text", entries, truncated: !more };
}

async function* parseXml(
  chunks: AsyncIterable<string>,
  maxUrls: number,
  onKind?: (kind: SitemapSummary["kind"]) => void,
): AsyncGenerator<SitemapEntry[], SitemapSummary> {
  const parser = new SaxesParser({ xmlns: true, position: false });
  let kind: "urlset" | "sitemapindex" | null = null;
  let ns = "";
  let depth = 0;
  let field: "loc" | "lastmod" | null = null;
  let text = "";
  let loc: string | null = null;
  let lastmod: string | null = null;
  let entries = 0;
  let full = false;
  let failure: Error | null = null;
  let out: SitemapEntry[] = [];
  const item = () => (kind === "urlset" ? "url" : "sitemap");

  parser.on("error", (e) => {
    failure ??= new SitemapError("sitemap_invalid", `Malformed sitemap XML: ${e.message}`, {
      cause: e,
    });
  });
  parser.on("doctype", () => {
    failure ??= new SitemapError("sitemap_invalid", "A sitemap may not have a DOCTYPE");
  });
  parser.on("opentag", (t: SaxesTagNS) => {
    if (failure) return; // nothing after a syntax error counts
    depth++;
    if (depth === 1) {
      if ((t.local === "urlset" || t.local === "sitemapindex") && SITEMAP_NAMESPACES.has(t.uri)) {
        kind = t.local;
        ns = t.uri;
        onKind?.(kind);
      } else {
        failure ??= new SitemapError(
          "sitemap_invalid",
          `Not a sitemap: root element <${t.name}> in namespace ${JSON.stringify(t.uri)}`,
        );
      }
    } else if (depth === 2 && t.uri === ns && t.local === item()) {
      loc = null;
      lastmod = null;
    } else if (depth === 3 && t.uri === ns && (t.local === "loc" || t.local === "lastmod")) {
      field = t.local;
      text = "";
    }
  });
  parser.on("text", (s) => {
    if (field !== null && text.length <= MAX_LOC) text += s;
  });
  parser.on("cdata", (s) => {
    if (field !== null && text.length <= MAX_LOC) text += s;
  });
  parser.on("closetag", (t: SaxesTagNS) => {
    if (failure) return; // nothing after a syntax error counts
    if (depth === 3 && field !== null) {
      const v = text.trim();
      if (v !== "" && v.length <= MAX_LOC) {
        if (field === "loc") loc ??= v;
        else lastmod ??= v;
      }
      field = null;
    } else if (depth === 2 && t.uri === ns && t.local === item() && loc !== null) {
      if (entries >= maxUrls) full = true;
      else {
        entries++;
        out.push({ loc, lastmod, index: kind === "sitemapindex" });
      }
    }
    depth--;
  });

  for await (const chunk of chunks) {
    parser.write(chunk);
    if (out.length > 0) {
      const batch = out;
      out = [];
      yield batch; // entries read before a syntax error are kept
    }
    if (failure) throw failure;
    if (full) return { kind: kind!, entries, truncated: true };
  }
  parser.close();
  if (out.length > 0) yield out;
  if (failure) throw failure;
  if (kind === null) throw new SitemapError("sitemap_invalid", "Not a sitemap: no root element");
  return { kind, entries, truncated: full };
}
