/**
 * The only place that touches htmlparser2's callbacks: turns a stream of
 * HTML text into an async stream of the few things a crawler needs (links,
 * `<base>`, `<title>`, `<meta name="robots">`, and for page metadata the
 * `<meta>` tags, `<link rel>` tags and `<html lang>`). Comments, scripts and styles
 * are not markup, so nothing inside them is a link.
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

function hasNofollow(v: string | undefined): boolean {
  return v !== undefined && /(?:^|[\s,])(?:nofollow|none)(?:$|[\s,])/i.test(v);
}

function cleanTitle(t: string): string {
  return t.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE);
}

/** Tokenizer callbacks that keep only what {@linkcode HtmlToken} needs. */
class Sink implements TokenizerCallbacks {
  out: HtmlToken[] = [];
  #buffers: string[] = [];
  #offset = 0;
  #tag = Tag.Other;
  #attr: Attr | null = null;
  #value = "";
  #attrs: Partial<Record<Attr, string>> = {};
  #inTitle = false;
  #titleDone = false;
  #title = "";

  push(chunk: string): void {
    this.#buffers.push(chunk);
  }

  /** Drops the chunks that end before `pos`: no later event reaches back into them. */
  #release(pos: number): void {
    while (this.#buffers.length > 1 && pos - this.#offset >= this.#buffers[0].length) {
      this.#offset += this.#buffers[0].length;
      this.#buffers.shift();
    }
  }

  #slice(start: number, end: number): string {
    if (start === end) return "";
    this.#release(start);
    let s = this.#buffers[0].slice(start - this.#offset, end - this.#offset);
    for (let i = 1, off = this.#offset + this.#buffers[0].length; end > off; i++) {
      s += this.#buffers[i].slice(0, end - off);
      off += this.#buffers[i].length;
    }
    return s;
  }

  onopentagname(start: number, end: number): void {
    this.#release(start);
    const len = end - start;
    this.#tag = Tag.Other;
    if (len === 1 || len === 4 || len === 5) {
      const name = this.#slice(start, end).toLowerCase();
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
    }
    if (this.#tag !== Tag.Other) this.#attrs = {};
  }

  onattribname(start: number, end: number): void {
    this.#attr = null;
    if (this.#tag === Tag.Other || this.#tag === Tag.Title) return;
    const n = this.#slice(start, end).toLowerCase();
    if (ATTRS.has(n)) {
      this.#attr = n as Attr;
      this.#value = "";
    }
  }

  onattribdata(start: number, end: number): void {
    if (this.#attr) this.#value += this.#slice(start, end);
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

  onopentagend(): void {
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
    this.#tag = Tag.Other;
  }

  onselfclosingtag(): void {
    this.onopentagend();
  }

  onclosetag(start: number, end: number): void {
    if (this.#inTitle && end - start === 5 && this.#slice(start, end).toLowerCase() === "title") {
      this.endTitle();
    }
  }

  ontext(start: number, end: number): void {
    if (this.#inTitle) {
      if (this.#title.length < MAX_TITLE * 2) this.#title += this.#slice(start, end);
    } else this.#release(start);
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

/** The fields of htmlparser2's `Tokenizer` that `fastForwardTo` reads (private in its typings). */
interface TokenizerInternals {
  buffer: string;
  index: number;
  offset: number;
}

const CHARS = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/**
 * htmlparser2 12.0.0's `Tokenizer` skips text by comparing one character at
 * a time; `String.prototype.indexOf` does the same search natively, several
 * times faster. Same contract: move `index` to the next `c` and say whether
 * it was found, or to the end of the buffer. (htmlparser2 is pinned in
 * deno.json; the tokenizer tests cover this.)
 */
export class FastTokenizer extends Tokenizer {}
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
  /** Use htmlparser2's own text skipping (for differential tests). @default false */
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
  const Impl = options.reference ? Tokenizer : FastTokenizer;
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
