/**
 * Resolves an `href` against a base URL and normalizes it, fast. Most links
 * on real pages are plain absolute paths (`/a/b.html`) or plain relative
 * names (`b.html`); for those made only of characters that need no escaping
 * and with no dot segments, the result is the base's origin (or directory)
 * plus the href, with no URL parsing. Everything else goes through the WHATWG
 * parser and {@linkcode normalizeParsed}, and a property test checks that both
 * paths agree.
 *
 * @example
 * ```ts
 * import { LinkResolver } from "./resolve_href.ts";
 * const r = new LinkResolver("http://a.test/dir/page.html");
 * r.resolve("/x/y.html"); // "http://a.test/x/y.html"
 * r.resolve("z.html?q=1#top"); // "http://a.test/dir/z.html?q=1"
 * r.resolve("mailto:x@y.z"); // null
 * ```
 * @module
 */
import { normalizeParsed } from "./normalize_url.ts";
import { originOf } from "./url_parts.ts";
import { encodeHrefQuery, queryEncoder } from "./encode_query.ts";

/** Characters that pass through the URL parser and the normalizer unchanged in a path or query. */
const SAFE = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?]*$/;
/** Dot segments, which the parser would resolve. */
const DOTS = /(?:^|\/)\.{1,2}(?:\/|\?|$)/;

/** Whether the slow path is needed for the path-and-query `s` (already without fragment). */
function needsParser(s: string): boolean {
  return !SAFE.test(s) || DOTS.test(s) || s.endsWith("?") || s.startsWith("//");
}

/**
 * `s` without leading and trailing C0 controls and spaces, which is what the
 * URL parser strips (the HTML standard's ASCII whitespace is among them);
 * other white space, such as NBSP or U+3000, is part of the URL.
 */
export function stripHref(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Settings of {@linkcode LinkResolver}. */
export interface LinkResolverOptions {
  /**
   * The document's encoding: non-ASCII characters of a query are
   * percent-encoded from their bytes in it (see `encode_query.ts`). @default "utf-8"
   */
  encoding?: string;
}

/** Resolves hrefs against one base; see the module doc. */
export class LinkResolver {
  /** The base as parsed, for the slow path. */
  readonly base: URL;
  #origin: string;
  #dir: string;
  #fast: boolean;
  /** The document's encoding when queries are not UTF-8 there. */
  #encoding: string | null;

  /** @param base a normalized http(s) URL */
  constructor(base: string | URL, options: LinkResolverOptions = {}) {
    this.base = typeof base === "string" ? new URL(base) : base;
    const encoding = options.encoding ?? "utf-8";
    this.#encoding = encoding !== "utf-8" && queryEncoder(encoding) !== null ? encoding : null;
    const href = normalizeParsed(this.base) ?? this.base.href;
    this.#origin = originOf(href);
    // Fast paths only where the base itself is plain: no credentials, plain path.
    const path = this.base.pathname;
    this.#fast = this.base.username === "" && this.base.password === "" &&
      href === this.#origin + path + this.base.search && !needsParser(path);
    this.#dir = this.#origin + path.slice(0, path.lastIndexOf("/") + 1);
  }

  /** The normalized absolute URL of `raw`, or `null` when it is not http(s). */
  resolve(raw: string): string | null {
    let href = raw;
    const hash = href.indexOf("#");
    if (hash !== -1) href = href.slice(0, hash);
    if (this.#fast && href.length > 0) {
      const c = href.charCodeAt(0);
      if (c === 47 /* / */) {
        if (!needsParser(href)) return this.#origin + href;
      } else if (c !== 63 /* ? */ && href.indexOf(":") === -1) {
        // Leading "./" and "../" climb the base directory; the rest must be plain.
        let dir = this.#dir;
        let rest = href;
        for (;;) {
          if (rest.startsWith("./")) rest = rest.slice(2);
          else if (rest.startsWith("../")) {
            rest = rest.slice(3);
            const cut = dir.lastIndexOf("/", dir.length - 2);
            if (cut >= this.#origin.length) dir = dir.slice(0, cut + 1);
          } else break;
        }
        if (rest.length > 0 && !needsParser(rest)) return dir + rest;
      }
    }
    let u: URL;
    try {
      // The URL parser strips leading and trailing C0 controls and spaces
      // itself, and only those (not NBSP, U+3000, U+FEFF or U+2028).
      u = new URL(this.#encoding ? encodeHrefQuery(raw, this.#encoding) : raw, this.base);
    } catch {
      return null;
    }
    return normalizeParsed(u);
  }
}
