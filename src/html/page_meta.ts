/**
 * A page's metadata, gathered from the tokens of the one streaming parse that
 * also finds its links (`html_tokens.ts`): description, canonical URL,
 * language, robots directives, author, publication time, site name, image and
 * `hreflang` alternates. Standard HTML comes first; OpenGraph and Twitter
 * tags fill what it leaves out. What a page does not say is `null`, never
 * guessed.
 *
 * @example
 * ```ts
 * import { PageMetaCollector } from "./page_meta.ts";
 * const c = new PageMetaCollector();
 * c.add({ kind: "meta", attrs: { property: "og:description", content: "About us" } });
 * c.add({ kind: "linkrel", rel: "canonical", href: "/about?" });
 * const meta = c.finish(new URL("http://a.test/x"));
 * // meta.description === "About us", meta.canonical === "http://a.test/about"
 * ```
 * @module
 */
import { ownString } from "../streams/own_string.ts";
import type { HtmlToken, MetaAttrs } from "./html_tokens.ts";
import { normalizeUrl } from "../url/normalize_url.ts";

/** Metadata of an HTML page; every field is `null` when the page does not say. */
export interface PageMeta {
  /** `<meta name=description>`, else `og:description`, else `twitter:description`. */
  description: string | null;
  /** `<link rel=canonical>`, else `og:url`; resolved and normalized. */
  canonical: string | null;
  /** `<html lang>`, else `<meta http-equiv=content-language>`, else `og:locale` (`en_US` as `en-US`). */
  lang: string | null;
  /**
   * Robots directives, lower-cased and unique, of `<meta name=robots>` and of
   * the `X-Robots-Tag` header (directives addressed to another agent left out).
   */
  robots: string[] | null;
  /** `<meta name=author>`, else `article:author`, else `twitter:creator`. */
  author: string | null;
  /** `article:published_time`, else `<meta itemprop=datePublished>`, else `<meta name=date>`; as written. */
  publishedTime: string | null;
  /** `og:site_name`, else `<meta name=application-name>`. */
  siteName: string | null;
  /** `og:image`, else `twitter:image`; resolved to an absolute http(s) URL. */
  image: string | null;
  /** `<link rel=alternate hreflang=… href=…>`: language tag → normalized URL. */
  alternates: Record<string, string> | null;
}

/**
 * The metadata of a page that says nothing: every field `null` (what a page
 * with no `<meta>`, `<link rel>` or `lang` gets, and what a stored page
 * without `meta` reads back as).
 *
 * @example
 * ```ts
 * import { NO_META } from "./page_meta.ts";
 * const meta = { ...NO_META, lang: "en" };
 * ```
 */
export const NO_META: Readonly<Record<keyof PageMeta, null>> = Object.freeze({
  description: null,
  canonical: null,
  lang: null,
  robots: null,
  author: null,
  publishedTime: null,
  siteName: null,
  image: null,
  alternates: null,
});

/** Longest metadata value kept, in characters (a page can put megabytes in an attribute). */
export const MAX_META_VALUE = 2000;
/** Most `hreflang` alternates kept per page. */
export const MAX_ALTERNATES = 100;
/** Longest URL kept in `canonical`, `image` and `alternates`; a longer one counts as absent. */
export const MAX_META_URL = 4096;

/** `u` when it is not longer than {@linkcode MAX_META_URL}, else `null`. */
function capUrl(u: string | null): string | null {
  return u !== null && u.length <= MAX_META_URL ? u : null;
}

/** Sources of each text field, first found wins; `n:` is a name, `p:` a property, `i:` an itemprop, `h:` http-equiv. */
const SOURCES = {
  description: [
    "n:description",
    "p:og:description",
    "n:twitter:description",
    "p:twitter:description",
  ],
  author: ["n:author", "p:article:author", "n:twitter:creator", "p:twitter:creator"],
  publishedTime: ["p:article:published_time", "i:datepublished", "n:date"],
  siteName: ["p:og:site_name", "n:application-name"],
  image: [
    "p:og:image",
    "p:og:image:url",
    "n:twitter:image",
    "p:twitter:image",
    "n:twitter:image:src",
  ],
  canonical: ["p:og:url"],
  lang: ["h:content-language", "p:og:locale"],
} as const;

const HREFLANG = /^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8}){0,4}$/;

function clean(v: string): string | null {
  const s = v.replace(/\s+/g, " ").trim().slice(0, MAX_META_VALUE);
  return s === "" ? null : ownString(s);
}

function splitRobots(content: string): string[] {
  const out: string[] = [];
  for (const d of content.split(",")) {
    const t = d.trim().toLowerCase();
    if (t !== "") out.push(t.slice(0, 200));
  }
  return out;
}

/**
 * Directives of `X-Robots-Tag` header values (comma-joined by `Headers.get`),
 * those addressed to another agent left out.
 */
export function headerRobots(value: string | null, robotsAgent: string): string[] {
  if (value === null) return [];
  // The crawl's product token (option robotsAgent), compared case-insensitively.
  const agent = robotsAgent.toLowerCase();
  const out: string[] = [];
  // Header values may be joined by commas; a "name:" part switches the agent.
  let current: string | null = null;
  for (const part of value.split(",")) {
    const m = /^\s*([a-z0-9_-]+)\s*:\s*(.*)$/i.exec(part);
    let d = part;
    if (
      m && !/^(?:unavailable_after|max-snippet|max-image-preview|max-video-preview)$/i.test(m[1])
    ) {
      current = m[1].toLowerCase();
      d = m[2];
    }
    if (current !== null && current !== agent) continue;
    const t = d.trim().toLowerCase();
    if (t !== "") out.push(t.slice(0, 200));
  }
  return out;
}

/** Whether robots directives forbid following links (`nofollow` or `none`). */
export function robotsNofollow(directives: readonly string[] | null): boolean {
  return directives !== null && directives.some((d) => d === "nofollow" || d === "none");
}

/** Adds header directives to a page's metadata (unique, document's first); returns `meta`. */
export function withHeaderRobots(meta: PageMeta, directives: readonly string[]): PageMeta {
  if (directives.length === 0) return meta;
  meta.robots = [...new Set([...(meta.robots ?? []), ...directives])];
  return meta;
}

function resolveHttp(href: string, base: URL): string | null {
  try {
    const u = new URL(href.trim(), base);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** Collects metadata tokens during a parse; {@linkcode finish} resolves them. */
export class PageMetaCollector {
  /** First content per key (`n:description`, `p:og:image`, ...). */
  #values = new Map<string, string>();
  #robots: string[] = [];
  #htmlLang: string | null = null;
  #canonical: string | null = null;
  #alternates: [string, string][] = [];

  /** Takes one token; tokens other than `meta`, `linkrel` and `lang` are ignored. */
  add(t: HtmlToken): void {
    if (t.kind === "meta") this.#meta(t.attrs);
    else if (t.kind === "linkrel") {
      const rels = t.rel.toLowerCase().split(/\s+/);
      if (rels.includes("canonical")) this.#canonical ??= t.href;
      else if (
        rels.includes("alternate") && t.hreflang !== undefined &&
        this.#alternates.length < MAX_ALTERNATES
      ) {
        this.#alternates.push([t.hreflang.trim(), t.href]);
      }
    } else if (t.kind === "lang") this.#htmlLang ??= t.lang;
  }

  #meta(a: MetaAttrs): void {
    const content = a.content;
    if (content === undefined) return;
    const name = a.name?.trim().toLowerCase();
    if (name === "robots") {
      this.#robots.push(...splitRobots(content));
      return;
    }
    const keys: string[] = [];
    if (name) keys.push("n:" + name);
    if (a.property) keys.push("p:" + a.property.trim().toLowerCase());
    if (a.itemprop) keys.push("i:" + a.itemprop.trim().toLowerCase());
    if (a["http-equiv"]) keys.push("h:" + a["http-equiv"].trim().toLowerCase());
    for (const k of keys) if (!this.#values.has(k)) this.#values.set(k, content);
  }

  #first(sources: readonly string[]): string | null {
    for (const k of sources) {
      const v = this.#values.get(k);
      if (v !== undefined) {
        const c = clean(v);
        if (c !== null) return c;
      }
    }
    return null;
  }

  /** The page's metadata; relative URLs resolve against `base` (the page URL or its `<base href>`). */
  finish(base: URL): PageMeta {
    let canonical: string | null = null;
    const rawCanonical = this.#canonical ?? this.#first(SOURCES.canonical);
    if (rawCanonical !== null) canonical = capUrl(normalizeUrl(rawCanonical.trim(), base));
    let lang = this.#htmlLang === null ? null : clean(this.#htmlLang);
    if (lang === null) {
      const h = this.#values.get("h:content-language");
      const l = h === undefined ? null : clean(h.split(",")[0]);
      const og = this.#values.get("p:og:locale");
      lang = l ?? (og === undefined ? null : clean(og)?.replace("_", "-") ?? null);
    }
    const image = this.#first(SOURCES.image);
    let alternates: Record<string, string> | null = null;
    for (const [hreflang, href] of this.#alternates) {
      const u = capUrl(normalizeUrl(href.trim(), base));
      // A language tag or x-default; anything else (a `$` or `.` would not be a
      // valid MongoDB field name) is left out.
      const key = HREFLANG.test(hreflang) ? hreflang.toLowerCase() : null;
      if (u === null || key === null) continue;
      alternates ??= {};
      alternates[key] ??= u;
    }
    return {
      description: this.#first(SOURCES.description),
      canonical,
      lang: lang?.slice(0, 64) ?? null,
      robots: this.#robots.length === 0 ? null : [...new Set(this.#robots)],
      author: this.#first(SOURCES.author),
      publishedTime: this.#first(SOURCES.publishedTime),
      siteName: this.#first(SOURCES.siteName),
      image: image === null ? null : capUrl(resolveHttp(image, base)),
      alternates,
    };
  }
}
