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
import { ownString } from "../streams/own_string.ts";

/** Per ASCII code, 1 for the characters that pass through the URL parser and the normalizer unchanged in a path or query. */
const SAFE = new Uint8Array(128);
for (
  const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&()*+,;=:@/?"
) {
  SAFE[c.charCodeAt(0)] = 1;
}

/**
 * Whether the slow path is needed for the path-and-query `s` (already without
 * fragment): a character the parser or the normalizer would change, a dot
 * segment (`.` or `..` between slashes, or before `?` or the end), a trailing
 * `?`, or a leading `//`. One pass, no regular expression: this runs for
 * every link.
 */
function needsParser(s: string, from = 0): boolean {
  const n = s.length;
  if (n === from) return false;
  if (s.charCodeAt(n - 1) === 63 /* ? */) return true;
  if (n - from >= 2 && s.charCodeAt(from) === 47 && s.charCodeAt(from + 1) === 47) return true;
  let segmentStart = true;
  for (let i = from; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || SAFE[c] === 0) return true;
    if (c === 46 /* . */ && segmentStart) {
      let j = i + 1;
      if (j < n && s.charCodeAt(j) === 46) j++;
      if (j === n) return true;
      const d = s.charCodeAt(j);
      if (d === 47 /* / */ || d === 63 /* ? */) return true;
    }
    segmentStart = c === 47;
  }
  return false;
}

/**
 * Where the host of `href` ends when `href` is a plain absolute http(s) URL
 * that the parser and the normalizer would leave as it is up to there:
 * lower-case `http://` or `https://`, then a host of lower-case letters,
 * digits, dots and hyphens (no port, no credentials, no empty label, no
 * `xn--` label, whose punycode the parser checks, and a last label that
 * starts with a letter, so never an IPv4 address), then `/`, `?` or the end.
 * `-1` otherwise.
 */
function plainAbsoluteHost(href: string): number {
  let i: number;
  if (href.startsWith("http://")) i = 7;
  else if (href.startsWith("https://")) i = 8;
  else return -1;
  const n = href.length;
  let label = i;
  for (; i < n; i++) {
    const c = href.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) break;
    if (c === 46 /* . */) {
      if (i === label) return -1;
      label = i + 1;
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return -1;
    else if (i === label + 3 && c === 45 && href.startsWith("xn-", label)) return -1;
  }
  if (i === label) return -1; // empty host or a trailing dot
  const first = href.charCodeAt(label);
  return first >= 97 && first <= 122 ? i : -1;
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
  /** The base, normalized (`normalizeParsed(base)`), when the caller has it already. */
  normalized?: string | null;
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
    const href =
      (options.normalized !== undefined ? options.normalized : normalizeParsed(this.base)) ??
        this.base.href;
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
        const dir = this.#dir;
        let dirEnd = dir.length;
        let pos = 0;
        for (;;) {
          if (href.startsWith("./", pos)) pos += 2;
          else if (href.startsWith("../", pos)) {
            pos += 3;
            const cut = dir.lastIndexOf("/", dirEnd - 2);
            if (cut >= this.#origin.length) dirEnd = cut + 1;
          } else break;
        }
        if (pos < href.length && !needsParser(href, pos)) {
          return (dirEnd === dir.length ? dir : dir.slice(0, dirEnd)) +
            (pos === 0 ? href : href.slice(pos));
        }
      } else if (c === 104 /* h */) {
        // An absolute URL that is already normalized is its own result (as
        // a copy: the href is a slice of the page's text, which it would keep).
        const h = plainAbsoluteHost(href);
        if (h !== -1 && !needsParser(href, h)) {
          if (h === href.length) return href + "/";
          if (href.charCodeAt(h) === 47) return ownString(href);
          return href.slice(0, h) + "/" + href.slice(h);
        }
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
