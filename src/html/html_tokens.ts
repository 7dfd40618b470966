/**
 * The only place that touches htmlparser2's callbacks: turns a stream of
 * HTML text into an async stream of the few things a crawler needs (links,
 * `<base>`, `<title>`, `<meta name="robots">`, and for page metadata the `<meta>` tags,
 * `<link rel>` tags and `<html lang>`). Comments, scripts and styles
 * are not markup, so nothing inside them is a link; inside SVG and MathML they
 * are, and `<template>` content is not part of the document. The links are
 * those of a browser's `a[href], area[href]` (a differential test checks them
 * against parse5).
 *
 * It drives htmlparser2's `Tokenizer` directly rather than its `Parser`: the
 * parser builds an attribute object for every tag and tracks the element
 * stack, none of which a link extractor needs, and skipping that is about a
 * third of the parsing time.
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
import { Tokenizer, type TokenizerCallbacks } from "htmlparser2";
import { decodeHTML, decodeHTMLAttribute } from "entities";
import { ChunkBuffer } from "./chunk_buffer.ts";

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

type Attr =
  | "href"
  | "rel"
  | "name"
  | "content"
  | "property"
  | "hreflang"
  | "lang"
  | "http-equiv"
  | "itemprop";
const ATTRS = new Set<string>([
  "href",
  "rel",
  "name",
  "content",
  "property",
  "hreflang",
  "lang",
  "http-equiv",
  "itemprop",
  "encoding",
]);

/** Longest `<title>` kept, in characters. */
export const MAX_TITLE = 1000;

const { fromCodePoint } = String;

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

/** HTML elements that hold nothing (never open). */
const VOID = new Set([
  "area",
  "base",
  "basefont",
  "bgsound",
  "br",
  "col",
  "embed",
  "frame",
  "hr",
  "image",
  "img",
  "input",
  "keygen",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
]);

/** Start tags that close an open `<p>` (HTML "in body"). */
const CLOSES_P = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "center",
  "details",
  "dialog",
  "dir",
  "div",
  "dl",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hgroup",
  "hr",
  "listing",
  "main",
  "menu",
  "nav",
  "ol",
  "p",
  "pre",
  "search",
  "section",
  "summary",
  "table",
  "ul",
  "xmp",
]);

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
  return t.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE);
}

type AttrName = Attr | "encoding";

/**
 * Tokenizer callbacks that keep only what {@linkcode HtmlToken} needs. Beside
 * the tokens it tracks the little of the tree builder that decides what is
 * markup: whether the tokenizer is in SVG or MathML content (where `<title>`,
 * `<style>` and `<script>` hold markup, and `<![CDATA[` is text) and whether
 * it is inside a `<template>` (whose content is not part of the document).
 */
class Sink implements TokenizerCallbacks {
  out: HtmlToken[] = [];
  #text = new ChunkBuffer();
  #tag = Tag.Other;
  /** The lower-case name of the open tag, when it matters (else ""). */
  #name = "";
  #attr: AttrName | null = null;
  #value = "";
  #attrs: Partial<Record<AttrName, string>> = {};
  /** The open tag's attributes are read. */
  #wantAttrs = false;
  /** The open tag is a `font` with `color`, `face` or `size`. */
  #fontBreaks = false;
  #inTitle = false;
  #titleDone = false;
  #title = "";
  /**
   * The foreign elements open (SVG, MathML), innermost last, each with the
   * kind of its content (HTML for integration points such as `<foreignObject>`).
   */
  #contexts: Context[] = [];
  /** `<template>` elements open in HTML content: the length of `#contexts` at each. */
  #templates: number[] = [];

  push(chunk: string): void {
    this.#text.push(chunk);
  }

  /** Called by the tokenizer: in SVG or MathML content, no tag holds raw text. */
  isInForeignContext(): boolean {
    const n = this.#contexts.length;
    return n > 0 && this.#contexts[n - 1].ns !== Ns.Html;
  }

  onopentagname(start: number, end: number): void {
    this.#text.release(start);
    this.#tag = Tag.Other;
    this.#name = "";
    this.#wantAttrs = false;
    this.#fontBreaks = false;
    if (this.#contexts.length === 0) {
      // Plain HTML, the hot path: only a few names matter, told apart by
      // length and first letter before any slicing.
      const len = end - start;
      const c = this.#text.codeAt(start) | 0x20;
      if (
        !(len === 1
          ? c === 0x61 /* a */
          : len === 3
          ? c === 0x73 /* s */
          : len === 4
          ? c === 0x61 || c === 0x62 || c === 0x6d || c === 0x6c || c === 0x68 /* a b m l h */
          : (len === 5 || len === 8) && c === 0x74 /* t */)
      ) return;
    }
    const name = this.#text.slice(start, end).toLowerCase();
    this.#tag = name === "a" || name === "area"
      ? Tag.A
      : name === "base"
      ? Tag.Base
      : name === "meta"
      ? Tag.Meta
      : name === "title"
      ? Tag.Title
      : name === "link"
      ? Tag.Link
      : name === "html"
      ? Tag.Html
      : Tag.Other;
    // In plain HTML only these tags do anything; in or below SVG and MathML all do.
    if (
      this.#contexts.length === 0 && this.#tag === Tag.Other && name !== "svg" &&
      name !== "math" && name !== "template"
    ) return;
    this.#name = name;
    this.#wantAttrs = this.#tag === Tag.A || this.#tag === Tag.Base || this.#tag === Tag.Meta ||
      this.#tag === Tag.Link || this.#tag === Tag.Html || this.isInForeignContext();
    if (this.#wantAttrs) this.#attrs = {};
  }

  onattribname(start: number, end: number): void {
    this.#attr = null;
    if (!this.#wantAttrs) return;
    if (this.#tag === Tag.A || this.#tag === Tag.Base) {
      // The hot path: of an `<a>` or `<base>`, only href and rel matter, told
      // apart by length and first letter before any slicing.
      const len = end - start;
      if (len !== 4 && len !== 3) return;
      const c = this.#text.codeAt(start) | 0x20;
      if (len === 4 ? c !== 0x68 /* h */ : c !== 0x72 /* r */) return;
    }
    const n = this.#text.slice(start, end).toLowerCase();
    if (ATTRS.has(n)) {
      this.#attr = n as AttrName;
      this.#value = "";
    } else if (n === "color" || n === "face" || n === "size") this.#fontBreaks = true;
  }

  onattribdata(start: number, end: number): void {
    if (this.#attr) this.#value += this.#text.slice(start, end);
  }

  onattribentity(cp: number): void {
    if (this.#attr) this.#value += fromCodePoint(cp);
  }

  onattribend(): void {
    if (this.#attr && this.#attrs[this.#attr] === undefined) {
      const v = this.#value;
      this.#attrs[this.#attr] = v.indexOf("&") === -1 ? v : decodeHTMLAttribute(v);
    }
    this.#attr = null;
  }

  /** Leaves foreign content up to the nearest HTML content (or the document). */
  #breakOut(): void {
    while (this.isInForeignContext()) this.#contexts.pop();
  }

  #tagEnd(selfClosing: boolean): void {
    const name = this.#name;
    if (name === "") return;
    if (this.#contexts.length === 0 && this.#templates.length === 0 && this.#tag !== Tag.Other) {
      // Plain HTML, the hot path: nothing is open that this tag could change.
      this.#emit();
      return;
    }
    const ctx = this.#contexts.at(-1);
    const ns = ctx?.ns ?? Ns.Html;
    if (ns !== Ns.Html) {
      if (BREAKOUT.has(name) || (name === "font" && this.#fontBreaks)) {
        this.#breakOut();
        this.#htmlTag(name, selfClosing);
        return;
      }
      // A foreign element: a link when it is an `a` or `area` (`a[href]`
      // matches any namespace), never a base, a title or a meta.
      const a = this.#attrs;
      if (this.#tag === Tag.A && a.href !== undefined && this.#templates.length === 0) {
        this.out.push({ kind: "link", href: a.href, nofollow: hasNofollow(a.rel) });
      }
      if (selfClosing) return;
      let inner: Ns = ns;
      if (ns === Ns.Svg && SVG_HTML.has(name)) inner = Ns.Html;
      else if (ns === Ns.MathMl) {
        const enc = a.encoding?.toLowerCase();
        if (
          MATHML_TEXT.has(name) ||
          (name === "annotation-xml" && (enc === "text/html" || enc === "application/xhtml+xml"))
        ) inner = Ns.Html;
        else if (name === "svg" && ctx?.tag === "annotation-xml") inner = Ns.Svg;
      }
      this.#contexts.push({ ns: inner, tag: name });
      return;
    }
    this.#htmlTag(name, selfClosing);
  }

  /** A start tag in HTML content. */
  #htmlTag(name: string, selfClosing: boolean): void {
    // Inside an HTML integration point, keep count of the HTML elements open
    // (roughly: `<p>` closed by blocks, `<li>`/`<dd>`/`<dt>` by their kind).
    const point = this.#contexts.at(-1);
    if (point !== undefined && !VOID.has(name)) {
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
    this.#emit();
  }

  /** Hands on what the tag just read says (a link, base, title, meta, …). */
  #emit(): void {
    const a = this.#attrs;
    switch (this.#tag) {
      case Tag.A:
        if (a.href !== undefined) {
          this.out.push({ kind: "link", href: a.href, nofollow: hasNofollow(a.rel) });
        }
        break;
      case Tag.Base:
        if (a.href !== undefined) this.out.push({ kind: "base", href: a.href });
        break;
      case Tag.Meta:
        if (a.name?.toLowerCase() === "robots" && hasNofollow(a.content)) {
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

  onopentagend(): void {
    this.#tagEnd(false);
    this.#tag = Tag.Other;
    this.#name = "";
  }

  onselfclosingtag(): void {
    // The self-closing flag counts only in foreign content (and for void
    // elements, which hold nothing anyway).
    this.#tagEnd(this.isInForeignContext() || this.#name === "svg" || this.#name === "math");
    this.#tag = Tag.Other;
    this.#name = "";
  }

  onclosetag(start: number, end: number): void {
    if (
      this.#inTitle && end - start === 5 && this.#text.slice(start, end).toLowerCase() === "title"
    ) {
      this.endTitle();
      return;
    }
    const contexts = this.#contexts;
    if (contexts.length === 0 && this.#templates.length === 0) return;
    const name = this.#text.slice(start, end).toLowerCase();
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

  ontext(start: number, end: number): void {
    if (this.#inTitle) {
      if (this.#title.length < MAX_TITLE * 2) this.#title += this.#text.slice(start, end);
    } else this.#text.release(start);
  }

  ontextentity(cp: number): void {
    if (this.#inTitle && this.#title.length < MAX_TITLE * 2) this.#title += fromCodePoint(cp);
  }

  /** Ends an open `<title>` (at `</title>` or at the end of the document). */
  endTitle(): void {
    if (!this.#inTitle) return;
    this.#inTitle = false;
    this.#titleDone = true;
    const t = this.#title;
    this.out.push({ kind: "title", text: cleanTitle(t.indexOf("&") === -1 ? t : decodeHTML(t)) });
  }

  oncdata(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}
  onend(): void {}
}

/** The fields of htmlparser2's `Tokenizer` that the patches below use (private in its typings). */
interface TokenizerInternals {
  buffer: string;
  index: number;
  offset: number;
  cbs: { isInForeignContext?(): boolean };
}

/**
 * htmlparser2 12.0.0's `Tokenizer` reads `<![CDATA[` as CDATA up to `]]>`
 * everywhere; the HTML standard does so only in foreign content, and reads it
 * in HTML content as a bogus comment that ends at the first `>` (markup after
 * it counts). The patch sends `[` in HTML content down the tokenizer's own
 * bogus-comment path.
 */
class SpecTokenizer extends Tokenizer {
  /** Where the end tag being read is (see `stateAfterClosingTagName` below). */
  endTagAttr = 0;
}
const beforeDeclaration = (Tokenizer.prototype as unknown as Record<string, unknown>)
  .stateBeforeDeclaration as (this: TokenizerInternals, c: number) => void;
Object.defineProperty(SpecTokenizer.prototype, "stateBeforeDeclaration", {
  value: function stateBeforeDeclaration(this: TokenizerInternals, c: number): void {
    // Any character but `[`, `-`, `d` or `>` leads to the bogus-comment state.
    const bogus = c === 0x5b /* [ */ && !this.cbs.isInForeignContext?.();
    beforeDeclaration.call(this, bogus ? 0x78 /* x */ : c);
  },
});

const CHARS = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/** Where an end tag's ignored attributes are being read (the HTML tokenizer's states). */
const enum EndTagAttr {
  BeforeName,
  Name,
  AfterName,
  BeforeValue,
  DoubleQuoted,
  SingleQuoted,
  Unquoted,
  AfterQuoted,
  SelfClosing,
}

interface EndTagState extends TokenizerInternals {
  endTagAttr: EndTagAttr;
  state: number;
  sectionStart: number;
}

/** The tokenizer's (private) text state: the state a new tokenizer starts in. */
const TEXT_STATE = (new Tokenizer({}, {} as TokenizerCallbacks) as unknown as { state: number })
  .state;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

/**
 * htmlparser2 12.0.0 ends an end tag at the first `>` after its name; the HTML
 * tokenizer reads attributes there too (and drops them), so a quoted value
 * may hold a `>`: `</x title='>'>` is one end tag. The patch follows the
 * standard's attribute states and hands the tokenizer the `>` that really
 * ends the tag.
 */
const afterClosingTagName = (Tokenizer.prototype as unknown as Record<string, unknown>)
  .stateAfterClosingTagName as (this: TokenizerInternals, c: number) => void;
Object.defineProperty(SpecTokenizer.prototype, "stateAfterClosingTagName", {
  value: function stateAfterClosingTagName(this: EndTagState, c: number): void {
    let st: EndTagAttr = this.endTagAttr;
    if (c === 0x3e /* > */ && st === EndTagAttr.BeforeName) {
      // The usual `</name>`: what the original does with `>`.
      this.state = TEXT_STATE;
      this.sectionStart = this.index + 1;
      return;
    }
    for (;;) {
      switch (st) {
        case EndTagAttr.BeforeName:
          if (c === 0x2f /* / */ || c === 0x3e /* > */) {
            st = EndTagAttr.AfterName;
            continue;
          }
          if (!isSpace(c)) st = EndTagAttr.Name;
          break;
        case EndTagAttr.Name:
          if (isSpace(c) || c === 0x2f || c === 0x3e) {
            st = EndTagAttr.AfterName;
            continue;
          }
          if (c === 0x3d /* = */) st = EndTagAttr.BeforeValue;
          break;
        case EndTagAttr.AfterName:
          if (c === 0x2f) st = EndTagAttr.SelfClosing;
          else if (c === 0x3d) st = EndTagAttr.BeforeValue;
          else if (c === 0x3e) {
            this.endTagAttr = EndTagAttr.BeforeName;
            afterClosingTagName.call(this, c);
            return;
          } else if (!isSpace(c)) st = EndTagAttr.Name;
          break;
        case EndTagAttr.BeforeValue:
          if (c === 0x22 /* " */) st = EndTagAttr.DoubleQuoted;
          else if (c === 0x27 /* ' */) st = EndTagAttr.SingleQuoted;
          else if (c === 0x3e) {
            st = EndTagAttr.AfterName;
            continue;
          } else if (!isSpace(c)) st = EndTagAttr.Unquoted;
          break;
        case EndTagAttr.DoubleQuoted:
          if (c === 0x22) st = EndTagAttr.AfterQuoted;
          break;
        case EndTagAttr.SingleQuoted:
          if (c === 0x27) st = EndTagAttr.AfterQuoted;
          break;
        case EndTagAttr.Unquoted:
          if (isSpace(c)) st = EndTagAttr.BeforeName;
          else if (c === 0x3e) {
            st = EndTagAttr.AfterName;
            continue;
          }
          break;
        case EndTagAttr.AfterQuoted:
        case EndTagAttr.SelfClosing:
          if (c === 0x3e) {
            st = EndTagAttr.AfterName;
            continue;
          }
          if (st === EndTagAttr.AfterQuoted && c === 0x2f) st = EndTagAttr.SelfClosing;
          else {
            st = EndTagAttr.BeforeName;
            if (!isSpace(c)) continue;
          }
          break;
      }
      this.endTagAttr = st;
      return;
    }
  },
});

/**
 * htmlparser2 12.0.0's `Tokenizer` skips text by comparing one character at
 * a time; `String.prototype.indexOf` does the same search natively, several
 * times faster. Same contract: move `index` to the next `c` and say whether
 * it was found, or to the end of the buffer. (htmlparser2 is pinned in
 * deno.json; the tokenizer tests cover this.)
 */
export class FastTokenizer extends SpecTokenizer {}
Object.defineProperty(FastTokenizer.prototype, "fastForwardTo", {
  value: function fastForwardTo(this: TokenizerInternals, c: number): boolean {
    const at = this.buffer.indexOf(
      CHARS[c] ?? String.fromCharCode(c),
      this.index + 1 - this.offset,
    );
    if (at !== -1) {
      this.index = at + this.offset;
      return true;
    }
    this.index = this.buffer.length + this.offset - 1;
    return false;
  },
});

/** Settings of {@linkcode htmlTokens}. */
export interface HtmlTokensOptions {
  /** Use htmlparser2's own text skipping (for differential tests of `fastForwardTo`). @default false */
  reference?: boolean;
}

/**
 * Parses HTML text chunk by chunk and yields, after each chunk, the tokens it
 * completed (never an empty batch). The tokenizer's state lives only here.
 */
export async function* htmlTokens(
  chunks: AsyncIterable<string>,
  options: HtmlTokensOptions = {},
): AsyncGenerator<HtmlToken[]> {
  const sink = new Sink();
  // Entities are decoded only where they matter (hrefs, the title), so the
  // tokenizer can skip through text to the next "<" instead of reading it
  // character by character.
  const Impl = options.reference ? SpecTokenizer : FastTokenizer;
  const tokenizer = new Impl({ decodeEntities: false }, sink);
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    sink.push(chunk);
    tokenizer.write(chunk);
    if (sink.out.length > 0) {
      const batch = sink.out;
      sink.out = [];
      yield batch;
    }
  }
  tokenizer.end();
  sink.endTitle();
  if (sink.out.length > 0) yield sink.out;
}
