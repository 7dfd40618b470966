/**
 * Turns a stream of HTML text into an async stream of the few things a
 * crawler needs (links, `<base>`, `<title>`, `<meta name="robots">`, and for
 * page metadata the `<meta>` tags, `<link rel>` tags and `<html lang>`), read
 * by {@linkcode HtmlScanner}. Comments, scripts and styles are not markup, so
 * nothing inside them is a link; inside SVG and MathML they are, and
 * `<template>` content is not part of the document. The links are those of a
 * browser's `a[href], area[href]` (a differential test checks them against
 * parse5).
 *
 * @example
 * ```ts
 * import { htmlTokens } from "./html_tokens.ts";
 * async function* chunks() { yield '<a href="/x">'; yield "X</a>"; }
 * for await (const batch of htmlTokens(chunks())) {
 *   // batch is [{ kind: "link", href: "/x", nofollow: false }]
 * }
 * ```
 * @module
 */
import { decodeHTML } from "entities";
import { HtmlScanner, type ScanSink, type TagAttrs } from "./html_scanner.ts";
import { CLOSES_P, VOID_ELEMENTS } from "./html_elements.ts";
import { ownString } from "../streams/own_string.ts";

/** One thing of interest found in a document. */
export type HtmlToken =
  | { kind: "link"; href: string; nofollow: boolean }
  | { kind: "base"; href: string }
  | { kind: "title"; text: string }
  | { kind: "robots"; nofollow: boolean }
  | { kind: "meta"; attrs: MetaAttrs }
  | { kind: "linkrel"; rel: string; href: string; hreflang?: string }
  | { kind: "lang"; lang: string };

/** The attributes of a `<meta>` tag that page metadata reads (see `page_meta.ts`). */
export interface MetaAttrs {
  name?: string;
  property?: string;
  content?: string;
  "http-equiv"?: string;
  itemprop?: string;
}

/** Longest `<title>` kept, in characters. */
export const MAX_TITLE = 1000;

const enum Tag {
  Other,
  A,
  Base,
  Meta,
  Title,
  Link,
  Html,
}

/** Where the tokenizer is: HTML content, or foreign (SVG, MathML) content. */
const enum Ns {
  Html,
  Svg,
  MathMl,
}

/** An open foreign element: its name and the kind of its content. */
interface Context {
  ns: Ns;
  tag: string;
  /** For an HTML integration point: the HTML elements open in it (their end tags are not its own). */
  html?: string[];
}

/**
 * Start tags that end foreign content (HTML "parsing tokens in foreign
 * content"); `font` only with a `color`, `face` or `size` attribute.
 */
const BREAKOUT = new Set([
  "b",
  "big",
  "blockquote",
  "body",
  "br",
  "center",
  "code",
  "dd",
  "div",
  "dl",
  "dt",
  "em",
  "embed",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "head",
  "hr",
  "i",
  "img",
  "li",
  "listing",
  "menu",
  "meta",
  "nobr",
  "ol",
  "p",
  "pre",
  "ruby",
  "s",
  "small",
  "span",
  "strong",
  "strike",
  "sub",
  "sup",
  "table",
  "tt",
  "u",
  "ul",
  "var",
]);

/** SVG elements whose content is HTML again (HTML integration points). */
const SVG_HTML = new Set(["foreignobject", "desc", "title"]);
/** MathML text integration points. */
const MATHML_TEXT = new Set(["mi", "mo", "mn", "ms", "mtext"]);

function hasNofollow(v: string | undefined): boolean {
  return v !== undefined && /(?:^|[\s,])(?:nofollow|none)(?:$|[\s,])/i.test(v);
}

function cleanTitle(t: string): string {
  return ownString(t.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE));
}

/**
 * The scanner's sink: keeps only what {@linkcode HtmlToken} needs. Beside
 * the tokens it tracks the little of the tree builder that decides what is
 * markup: whether the scanner is in SVG or MathML content (where `<title>`,
 * `<style>` and `<script>` hold markup, and `<![CDATA[` is text) and whether
 * it is inside a `<template>` (whose content is not part of the document).
 */
class Sink implements ScanSink {
  out: HtmlToken[] = [];
  #inTitle = false;
  #titleDone = false;
  /**
   * The foreign elements open (SVG, MathML), innermost last, each with the
   * kind of its content (HTML for integration points such as `<foreignObject>`).
   */
  #contexts: Context[] = [];
  /** `<template>` elements open in HTML content: the length of `#contexts` at each. */
  #templates: number[] = [];

  /** In SVG or MathML content, no tag holds raw text. */
  isInForeignContext(): boolean {
    const n = this.#contexts.length;
    return n > 0 && this.#contexts[n - 1].ns !== Ns.Html;
  }

  allTags(): boolean {
    return this.#contexts.length > 0 || this.#templates.length > 0;
  }

  startTag(name: string, attrs: TagAttrs, selfClosing: boolean): void {
    const tag = tagOf(name);
    if (this.#contexts.length === 0 && this.#templates.length === 0) {
      // Plain HTML, the hot path: nothing is open that this tag could change.
      if (tag !== Tag.Other) return this.#emit(tag, attrs);
      if (name !== "svg" && name !== "math" && name !== "template") return;
    }
    // The self-closing flag counts only in foreign content (and for void
    // elements, which hold nothing anyway).
    const foreign = this.isInForeignContext();
    selfClosing &&= foreign || name === "svg" || name === "math";
    const ctx = this.#contexts.at(-1);
    if (foreign) {
      if (
        BREAKOUT.has(name) ||
        (name === "font" &&
          (attrs.color !== undefined || attrs.face !== undefined || attrs.size !== undefined))
      ) {
        this.#breakOut();
        this.#htmlTag(name, tag, attrs, selfClosing);
        return;
      }
      // A foreign element: a link when it is an `a` or `area` (`a[href]`
      // matches any namespace), never a base, a title or a meta.
      if (tag === Tag.A && attrs.href !== undefined && this.#templates.length === 0) {
        this.out.push({ kind: "link", href: attrs.href, nofollow: hasNofollow(attrs.rel) });
      }
      if (selfClosing) return;
      const ns = ctx!.ns;
      let inner: Ns = ns;
      if (ns === Ns.Svg && SVG_HTML.has(name)) inner = Ns.Html;
      else if (ns === Ns.MathMl) {
        const enc = attrs.encoding?.toLowerCase();
        if (
          MATHML_TEXT.has(name) ||
          (name === "annotation-xml" && (enc === "text/html" || enc === "application/xhtml+xml"))
        ) inner = Ns.Html;
        else if (name === "svg" && ctx?.tag === "annotation-xml") inner = Ns.Svg;
      }
      this.#contexts.push({ ns: inner, tag: name });
      return;
    }
    this.#htmlTag(name, tag, attrs, selfClosing);
  }

  /** Leaves foreign content up to the nearest HTML content (or the document). */
  #breakOut(): void {
    while (this.isInForeignContext()) this.#contexts.pop();
  }

  /** A start tag in HTML content. */
  #htmlTag(name: string, tag: Tag, attrs: TagAttrs, selfClosing: boolean): void {
    // Inside an HTML integration point, keep count of the HTML elements open
    // (roughly: `<p>` closed by blocks, `<li>`/`<dd>`/`<dt>` by their kind).
    const point = this.#contexts.at(-1);
    if (point !== undefined && !VOID_ELEMENTS.has(name)) {
      const open = point.html ??= [];
      const last = open.at(-1);
      if (last === "p" && CLOSES_P.has(name)) open.pop();
      else if (last === name && (name === "li" || name === "dd" || name === "dt")) open.pop();
      if (name !== "svg" && name !== "math") open.push(name);
    }
    // In a MathML text integration point, these two stay MathML.
    if (name === "mglyph" || name === "malignmark") {
      const top = this.#contexts.at(-1);
      if (top !== undefined && MATHML_TEXT.has(top.tag)) {
        if (!selfClosing) this.#contexts.push({ ns: Ns.MathMl, tag: name });
        return;
      }
    }
    if (name === "svg" || name === "math") {
      if (!selfClosing) this.#contexts.push({ ns: name === "svg" ? Ns.Svg : Ns.MathMl, tag: name });
      return;
    }
    if (name === "template") {
      this.#templates.push(this.#contexts.length);
      return;
    }
    if (this.#templates.length > 0) return; // template content is not part of the document
    if (tag !== Tag.Other) this.#emit(tag, attrs);
  }

  /** Hands on what the tag just read says (a link, base, title, meta, …). */
  #emit(tag: Tag, a: TagAttrs): void {
    switch (tag) {
      case Tag.A:
        if (a.href !== undefined) {
          this.out.push({ kind: "link", href: a.href, nofollow: hasNofollow(a.rel) });
        }
        break;
      case Tag.Base:
        if (a.href !== undefined) this.out.push({ kind: "base", href: a.href });
        break;
      case Tag.Meta:
        if (a.name !== undefined && a.name.toLowerCase() === "robots" && hasNofollow(a.content)) {
          this.out.push({ kind: "robots", nofollow: true });
        }
        if (a.content !== undefined) this.out.push({ kind: "meta", attrs: a });
        break;
      case Tag.Link:
        if (a.rel !== undefined && a.href !== undefined) {
          this.out.push({ kind: "linkrel", rel: a.rel, href: a.href, hreflang: a.hreflang });
        }
        break;
      case Tag.Html:
        if (a.lang !== undefined) this.out.push({ kind: "lang", lang: a.lang });
        break;
      case Tag.Title:
        if (!this.#titleDone) this.#inTitle = true;
        break;
    }
  }

  endTag(name: string): void {
    const contexts = this.#contexts;
    // "</p>" and "</br>" leave foreign content.
    if ((name === "p" || name === "br") && this.isInForeignContext()) {
      this.#breakOut();
      return;
    }
    // In an integration point with HTML elements open, an end tag is HTML's:
    // it closes one of them or nothing (never the integration point itself).
    const open = contexts.at(-1)?.html;
    if (open !== undefined && open.length > 0 && !this.isInForeignContext()) {
      const i = open.lastIndexOf(name);
      if (i !== -1) open.length = i;
      if (name === "template" && i !== -1 && this.#templates.length > 0) this.#templates.pop();
      return;
    }
    // Any other end tag closes the innermost open foreign element of its name
    // (or the template it names).
    for (let i = contexts.length - 1; i >= 0; i--) {
      if (contexts[i].tag === name) {
        contexts.length = i;
        return;
      }
    }
    if (name === "template" && this.#templates.length > 0) {
      contexts.length = Math.min(contexts.length, this.#templates.pop()!);
    }
  }

  /** The text of an HTML `<title>`, at its end. */
  title(text: string): void {
    if (!this.#inTitle) return;
    this.#inTitle = false;
    this.#titleDone = true;
    this.out.push({
      kind: "title",
      text: cleanTitle(text.indexOf("&") === -1 ? text : decodeHTML(text)),
    });
  }
}

function tagOf(name: string): Tag {
  switch (name) {
    case "a":
    case "area":
      return Tag.A;
    case "base":
      return Tag.Base;
    case "meta":
      return Tag.Meta;
    case "title":
      return Tag.Title;
    case "link":
      return Tag.Link;
    case "html":
      return Tag.Html;
    default:
      return Tag.Other;
  }
}

/**
 * The tokens of a document whose text is all at hand (one string, or its
 * chunks), in one batch: what {@linkcode htmlTokens} yields over the same
 * chunks, without a promise per chunk (the crawl parses a page that came
 * whole this way).
 */
export function htmlTokensOf(text: string | readonly string[]): HtmlToken[] {
  const sink = new Sink();
  const scanner = new HtmlScanner(sink, { maxTitle: MAX_TITLE * 2 });
  if (typeof text === "string") scanner.write(text);
  else for (const t of text) scanner.write(t);
  scanner.end();
  return sink.out;
}

/**
 * Parses HTML text chunk by chunk and yields, after each chunk, the tokens it
 * completed (never an empty batch). The scanner's state lives only here.
 */
export async function* htmlTokens(chunks: AsyncIterable<string>): AsyncGenerator<HtmlToken[]> {
  const sink = new Sink();
  const scanner = new HtmlScanner(sink, { maxTitle: MAX_TITLE * 2 });
  for await (const chunk of chunks) {
    scanner.write(chunk);
    if (sink.out.length > 0) {
      const batch = sink.out;
      sink.out = [];
      yield batch;
    }
  }
  scanner.end();
  if (sink.out.length > 0) yield sink.out;
}
