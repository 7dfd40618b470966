/**
 * A page's main content, the way a reader view shows it, in one streaming
 * pass over the HTML with htmlparser2's `Tokenizer` (the same fast one as
 * link extraction; the element stack, with HTML's implied end tags for `p`,
 * `li`, `dt`/`dd` and table parts, is kept here): boilerplate subtrees
 * (navigation, headers and footers outside the article, sidebars, forms,
 * cookie and consent banners, dialogs, comment threads, share bars) are
 * skipped as they are parsed; the text blocks left are scored the way
 * Mozilla's Readability scores them (commas, length, class and tag weights,
 * link density, propagated to ancestors) and the best container with its
 * qualifying siblings is kept. Out comes plain text or Markdown.
 *
 * Why not Readability itself: measured on the benchmark site's 20 kB pages,
 * linkedom's DOM plus Readability took 9-40 ms a page and the Markdown step
 * (node-html-markdown or Turndown) more again, and htmlparser2's `Parser`
 * alone 0.8 ms, against 0.1 ms for the links-only parse; this pass scores as
 * well as Readability on the fixture set (see the README and
 * `bench/content_candidates.ts`).
 *
 * @example
 * ```ts
 * import { MainContent } from "./main_content.ts";
 * const c = new MainContent("http://a.test/", "markdown");
 * c.write("<nav><a href='/'>Home</a></nav><article><h1>Hi</h1>");
 * c.write("<p>Hello, <a href='/w'>world</a>.</p></article>");
 * c.finish(); // "# Hi\n\nHello, [world](http://a.test/w)."
 * ```
 * @module
 */
import type { TokenizerCallbacks } from "htmlparser2";
import { decodeHTML, decodeHTMLAttribute } from "entities";
import { FastTokenizer } from "./spec_tokenizer.ts";
import { CLOSES_P, VOID_ELEMENTS } from "./html_elements.ts";
import { ChunkBuffer } from "./chunk_buffer.ts";
import { LinkResolver } from "../url/resolve_href.ts";

/** What {@linkcode MainContent.finish} renders. */
export type MainContentFormat = "text" | "markdown";

/** Elements whose whole subtree is never main content. */
const SKIP_TAGS = new Set([
  "script",
  "style",
  "noscript",
  "template",
  "svg",
  "math",
  "iframe",
  "object",
  "canvas",
  "form",
  "button",
  "select",
  "textarea",
  "label",
  "nav",
  "aside",
  "dialog",
  "menu",
  "head",
  "title",
]);

/** Skipped unless inside an `<article>` or `<main>` (where they hold the title and byline). */
const SKIP_OUTSIDE_ARTICLE = new Set(["header", "footer"]);

const SKIP_ROLES = new Set([
  "navigation",
  "contentinfo",
  "dialog",
  "alertdialog",
  "complementary",
  "search",
  "menu",
  "menubar",
  "banner",
]);

/** Readability's "unlikely candidates", plus consent banners, pop-ups, share bars and tables of contents. */
const UNLIKELY =
  /-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote|cookie|consent|newsletter|share|modal|subscribe|promo|widget|navbar|announcement|(?:^|[\s_-])(?:ad|ads|toc|nav|cmp|usp)(?:$|[\s_-])/i;
/** Readability's "maybe candidates": an unlikely word next to one of these is kept. */
const MAYBE = /and|article|body|column|content|main|shadow|story|entry|post|text/i;
const POSITIVE =
  /article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|recipe|description/i;
const NEGATIVE =
  /-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget/i;

interface ClassInfo {
  unlikely: boolean;
  weight: number;
}

/**
 * What the class and id words of an element say, cached: the same few class
 * strings repeat on every page of a site, and the regular expressions were
 * the largest cost of the pass.
 */
const classCache = new Map<string, ClassInfo>();

function classOf(words: string): ClassInfo {
  let info = classCache.get(words);
  if (info === undefined) {
    info = {
      unlikely: UNLIKELY.test(words) && !MAYBE.test(words),
      weight: (POSITIVE.test(words) ? 25 : 0) - (NEGATIVE.test(words) ? 25 : 0),
    };
    if (classCache.size >= 10_000) classCache.clear();
    classCache.set(words, info);
  }
  return info;
}

const BLOCK_TAGS = new Set([
  "address",
  "article",
  "blockquote",
  "body",
  "dd",
  "details",
  "div",
  "dl",
  "dt",
  "figcaption",
  "figure",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "html",
  "li",
  "main",
  "ol",
  "p",
  "pre",
  "section",
  "summary",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "ul",
]);

/** Blocks of these kinds are scored as paragraphs (Readability's "tags to score"). */
const SCORED = new Set(["p", "pre", "td", "li", "blockquote", "div", "section", "dd"]);

interface Container {
  id: number;
  parent: number;
  tag: string;
  /** Class and id weight (±25) plus the tag's initial score. */
  base: number;
  /** Points from the paragraphs inside it. */
  score: number;
  textLen: number;
  linkLen: number;
  /** Class attribute, for Readability's same-class sibling bonus. */
  cls: string;
}

interface Block {
  /** h1-h6, p, li, pre, quote, row, other. */
  kind: string;
  /** The block as rendered: Markdown or plain text, the format asked for. */
  out: string;
  /** Characters of plain text (for scores and link density). */
  len: number;
  linkLen: number;
  /** Element ids of the block's ancestors, outermost first. */
  path: number[];
  /** Nesting of lists, for Markdown indentation. */
  listDepth: number;
  /** The item's number in an ordered list, 0 otherwise. */
  ordinal: number;
}

interface Open {
  tag: string;
  id: number;
  skip: boolean;
  /** Inline markup to close (`**`, `_`, `` ` ``, a link's `](url)`). */
  close: string;
  isLink: boolean;
  /** Whether it is on `#path` (a block element with a container record). */
  container: boolean;
}

/** Runs of white space as one space (most text needs nothing: checked first, natively). */
function collapse(s: string): string {
  if (
    s.indexOf("\n") === -1 && s.indexOf("  ") === -1 && s.indexOf("\t") === -1 &&
    s.indexOf("\r") === -1 && s.indexOf("\u00a0") === -1 && s.indexOf("\f") === -1
  ) {
    return s;
  }
  return s.replace(/[ \t\n\r\f\u00a0]+/g, " ");
}

/** Commas in `s` (also the CJK ones), as Readability counts them. */
function commas(s: string): number {
  let n = 0;
  for (let i = s.indexOf(","); i !== -1; i = s.indexOf(",", i + 1)) n++;
  if (s.indexOf("，") !== -1 || s.indexOf("、") !== -1) n += s.match(/[，、]/g)!.length;
  return n;
}

function headingLevel(kind: string): number {
  return kind.length === 2 && kind[0] === "h" ? kind.charCodeAt(1) - 48 : 0;
}

/** Streaming main-content extraction; see the module doc. */
export class MainContent {
  #tokens: Tokens;
  #format: MainContentFormat;
  /** Markdown markup is built only when it is the output. */
  #wantMd: boolean;
  #base: URL;
  #resolver: LinkResolver | null = null;
  /** Ids and tags of the open block elements (the containers), outermost first. */
  #path: number[] = [];
  #pathTags: string[] = [];
  #stack: Open[] = [];
  #containers = new Map<number, Container>();
  #blocks: Block[] = [];
  #nextId = 0;
  #skipDepth = 0;
  #inArticle = 0;
  #pre = 0;
  #links = 0;
  #lists: { ordered: boolean; n: number }[] = [];
  // the block being collected
  #md = "";
  /** Plain-text characters of the block so far, and the last one (white space handling). */
  #len = 0;
  #last = 0;
  #text = "";
  #linkLen = 0;
  #firstH1: string | null = null;
  #baseSeen = false;

  /**
   * @param pageUrl the page's final URL, against which links and images resolve
   * @param format what {@linkcode finish} renders
   */
  constructor(pageUrl: string, format: MainContentFormat) {
    this.#base = new URL(pageUrl);
    this.#format = format;
    this.#wantMd = format === "markdown";
    this.#tokens = new Tokens({
      open: (tag, attrs) => this.#openImplied(tag, attrs),
      close: (tag) => this.#closeTo(tag),
      text: (t) => this.#onText(t),
    });
  }

  /** Feeds a chunk of the document's text. */
  write(chunk: string): void {
    this.#tokens.write(chunk);
  }

  /** Opens `tag`, first ending the elements its start tag implicitly closes. */
  #openImplied(tag: string, attrs: Attrs): void {
    const stop = IMPLIED.get(tag);
    if (stop) {
      // close an open element this one cannot be inside of (a `p` before a
      // block, an `li` before the next one), not looking past `stop` elements
      for (let i = this.#stack.length - 1; i >= 0 && i >= this.#stack.length - 32; i--) {
        const t = this.#stack[i].tag;
        if (stop.closes.has(t)) {
          while (this.#stack.length > i) this.#close(this.#stack[this.#stack.length - 1].tag);
          break;
        }
        if (stop.barriers.has(t)) break;
      }
    }
    this.#open(tag, attrs);
    if (VOID_ELEMENTS.has(tag)) this.#close(tag);
  }

  /** Closes the innermost open `tag` and everything inside it; a stray end tag is ignored. */
  #closeTo(tag: string): void {
    if (VOID_ELEMENTS.has(tag)) return;
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      if (this.#stack[i].tag === tag) {
        while (this.#stack.length > i) this.#close(this.#stack[this.#stack.length - 1].tag);
        return;
      }
    }
  }

  #open(tag: string, attrs: Attrs): void {
    const id = ++this.#nextId;
    const parentId = this.#stack.length > 0 ? this.#stack[this.#stack.length - 1].id : 0;
    if (tag === "base" && !this.#baseSeen && attrs.href) {
      this.#baseSeen = true;
      try {
        this.#base = new URL(attrs.href, this.#base);
        this.#resolver = null;
      } catch { /* an invalid base is ignored */ }
    }
    let skip = this.#skipDepth > 0;
    if (!skip) {
      const cls = attrs.class ?? "";
      const words = cls + " " + (attrs.id ?? "");
      const role = attrs.role?.toLowerCase();
      if (
        SKIP_TAGS.has(tag) ||
        (SKIP_OUTSIDE_ARTICLE.has(tag) && this.#inArticle === 0) ||
        (role !== undefined && SKIP_ROLES.has(role) && !(role === "banner" && this.#inArticle)) ||
        attrs["aria-hidden"] === "true" || attrs.hidden !== undefined ||
        attrs["aria-modal"] === "true" ||
        (words.length > 1 && tag !== "body" && tag !== "article" && tag !== "main" &&
          classOf(words).unlikely)
      ) {
        skip = true;
      }
    }
    const open: Open = { tag, id, skip, close: "", isLink: false, container: false };
    if (skip) {
      this.#stack.push(open);
      this.#skipDepth++;
      return;
    }
    if (tag === "article" || tag === "main") this.#inArticle++;
    if (BLOCK_TAGS.has(tag)) {
      // the text so far belongs to the enclosing block: end it before this one opens
      if (tag !== "td" && tag !== "th") this.#endBlock();
      this.#stack.push(open);
      if ((tag === "td" || tag === "th") && this.#len > 0) {
        if (this.#wantMd) this.#md += " | ";
        else this.#text += " ";
        this.#last = 32;
      }
      const cls = attrs.class ?? "";
      const words = cls + " " + (attrs.id ?? "");
      let base = 0;
      base += classOf(words).weight;
      if (tag === "div") base += 5;
      else if (tag === "pre" || tag === "td" || tag === "blockquote") base += 3;
      else if (/^(?:address|ol|ul|dl|dd|dt|li)$/.test(tag)) base -= 3;
      else if (/^(?:h[1-6]|th)$/.test(tag)) base -= 5;
      if (this.#stack.length > MAX_DEPTH) return; // absurd nesting: no more containers
      open.container = true;
      this.#path.push(id);
      this.#pathTags.push(tag);
      this.#containers.set(id, {
        id,
        parent: parentId,
        tag,
        base,
        score: 0,
        textLen: 0,
        linkLen: 0,
        cls,
      });
      if (tag === "ul" || tag === "ol") this.#lists.push({ ordered: tag === "ol", n: 0 });
      else if (tag === "li" && this.#lists.length > 0) this.#lists[this.#lists.length - 1].n++;
      else if (tag === "pre") this.#pre++;
      return;
    }
    this.#stack.push(open);
    // inline markup
    switch (tag) {
      case "br":
        if (this.#wantMd) this.#md += "  \n";
        else this.#text += "\n";
        this.#last = 10;
        break;
      case "strong":
      case "b":
        if (this.#pre === 0 && this.#wantMd) {
          this.#md += "**";
          open.close = "**";
        }
        break;
      case "em":
      case "i":
        if (this.#pre === 0 && this.#wantMd) {
          this.#md += "_";
          open.close = "_";
        }
        break;
      case "code":
        if (this.#pre === 0 && this.#wantMd) {
          this.#md += "`";
          open.close = "`";
        }
        break;
      case "a": {
        const href = attrs.href?.trim();
        const url = href && this.#wantMd ? this.#resolve(href) : null;
        open.isLink = true;
        this.#links++;
        if (url !== null && this.#pre === 0 && this.#wantMd) {
          this.#md += "[";
          open.close = `](${url})`;
        }
        break;
      }
      case "img": {
        const src = attrs.src && this.#wantMd ? this.#resolve(attrs.src.trim()) : null;
        if (src !== null && this.#pre === 0) {
          this.#md += `![${collapse(attrs.alt ?? "").trim().replace(/[[\]]/g, "")}](${src})`;
        }
        break;
      }
    }
  }

  /** The normalized http(s) URL of a link or image (the link extractor's resolver), for Markdown. */
  #resolve(href: string): string | null {
    this.#resolver ??= new LinkResolver(this.#base);
    const u = this.#resolver.resolve(href);
    if (u === null) return null;
    // a normalized URL has no white space; parentheses would end the Markdown link
    return u.indexOf("(") === -1 && u.indexOf(")") === -1
      ? u
      : u.replace(/[()]/g, (c) => (c === "(" ? "%28" : "%29"));
  }

  #close(tag: string): void {
    // called for the innermost open element only (see #closeTo)
    const open = this.#stack[this.#stack.length - 1];
    if (!open) return;
    if (open.skip) {
      this.#stack.pop();
      this.#skipDepth--;
      return;
    }
    if (tag === "article" || tag === "main") this.#inArticle--;
    if (BLOCK_TAGS.has(tag)) {
      // the block's own element is still on the stack while it ends
      if (tag !== "td" && tag !== "th") this.#endBlock();
      this.#stack.pop();
      if (open.container) {
        this.#path.pop();
        this.#pathTags.pop();
      }
      if (tag === "ul" || tag === "ol") this.#lists.pop();
      else if (tag === "pre") this.#pre--;
      return;
    }
    this.#stack.pop();
    if (open.isLink) this.#links--;
    if (open.close !== "") {
      if (open.close.startsWith("]") && this.#md.endsWith("[")) {
        this.#md = this.#md.slice(0, -1); // an empty link leaves nothing
      } else this.#md += open.close;
    }
  }

  #onText(t: string): void {
    if (this.#skipDepth > 0) return;
    if (this.#pre > 0) {
      if (this.#wantMd) this.#md += t;
      else this.#text += t;
      this.#len += t.length;
      this.#last = t.charCodeAt(t.length - 1);
      return;
    }
    let c = collapse(t);
    if (this.#len === 0 || this.#last === 32 || this.#last === 10) c = c.trimStart();
    if (c === "") return;
    if (this.#wantMd) this.#md += c;
    else this.#text += c;
    this.#len += c.length;
    this.#last = c.charCodeAt(c.length - 1);
    if (this.#links > 0) this.#linkLen += c.length;
  }

  /** Ends the block being collected; its own element is the innermost block element open. */
  #endBlock(): void {
    let kind = this.#pathTags.length > 0 ? this.#pathTags[this.#pathTags.length - 1] : "body";
    const raw = this.#wantMd ? this.#md : this.#text;
    const out = kind === "pre" ? raw.replace(/^\n+|\s+$/g, "") : raw.trim();
    const linkLen = this.#linkLen;
    const len = this.#len;
    this.#md = "";
    this.#text = "";
    this.#linkLen = 0;
    this.#len = 0;
    this.#last = 0;
    if (out === "") return; // (a block of images only has Markdown, and no length)
    const path = this.#path.slice();
    if (kind === "blockquote") kind = "quote";
    else if (kind === "tr" || kind === "td" || kind === "th") kind = "row";
    let ordinal = 0;
    if (kind === "li" && this.#lists.length > 0) {
      const l = this.#lists[this.#lists.length - 1];
      if (l.ordered) ordinal = l.n;
    }
    if (kind === "h1" && this.#firstH1 === null) this.#firstH1 = out;
    this.#blocks.push({
      kind,
      out,
      len,
      linkLen,
      path,
      listDepth: Math.max(0, this.#lists.length - 1),
      ordinal,
    });
    // totals for link density, on every ancestor container
    for (const id of path) {
      const c = this.#containers.get(id)!;
      c.textLen += len;
      c.linkLen += linkLen;
    }
    // Readability's paragraph score, to the parent, the grandparent (half) and
    // three more ancestors (a third of the level each).
    if (!SCORED.has(kind === "quote" ? "blockquote" : kind === "row" ? "td" : kind)) return;
    if (len < 25) return;
    const score = 1 + commas(out) + Math.min(Math.floor(len / 100), 3);
    for (let level = 0; level < 5; level++) {
      const idx = path.length - 2 - level;
      if (idx < 0) break;
      const c = this.#containers.get(path[idx])!;
      c.score += level === 0 ? score : level === 1 ? score / 2 : score / (level * 3);
    }
  }

  #final(c: Container): number {
    const density = c.textLen === 0 ? 0 : c.linkLen / c.textLen;
    return (c.score + (c.score > 0 ? c.base : 0)) * (1 - density);
  }

  /** Ends the document and renders its main content. */
  finish(): string {
    const format = this.#format;
    this.#tokens.end();
    while (this.#stack.length > 0) this.#close(this.#stack[this.#stack.length - 1].tag);
    this.#endBlock();
    const blocks = this.#blocks;
    let top: Container | null = null;
    let best = 0;
    for (const c of this.#containers.values()) {
      if (c.score <= 0) continue;
      const f = this.#final(c);
      if (f > best) {
        best = f;
        top = c;
      }
    }
    let chosen: Block[];
    if (top === null) chosen = blocks;
    else {
      const keep = new Set<number>([top.id]);
      const threshold = Math.max(10, best * 0.2);
      for (const c of this.#containers.values()) {
        if (c.parent !== top.parent || c.id === top.id) continue;
        const bonus = top.cls !== "" && c.cls === top.cls ? best * 0.2 : 0;
        if (c.score > 0 && this.#final(c) + bonus >= threshold) keep.add(c.id);
        else if (c.tag === "p" && c.textLen > 0) {
          const d = c.linkLen / c.textLen;
          if (c.textLen > 80 && d < 0.25) keep.add(c.id);
        }
      }
      chosen = blocks.filter((b) => b.path.some((id) => keep.has(id)));
    }
    // Lists and rows that are mostly links (related stories, tag clouds) are not content.
    chosen = chosen.filter((b) =>
      headingLevel(b.kind) > 0 || b.kind === "pre" || b.linkLen <= b.len * 0.5
    );
    const out: string[] = [];
    const h1 = this.#firstH1;
    if (h1 !== null && !chosen.some((b) => b.kind === "h1")) {
      out.push(format === "markdown" ? `# ${h1}` : h1);
    }
    let prev = "";
    for (const b of chosen) {
      const tight = (b.kind === "li" || b.kind === "row") && b.kind === prev;
      const sep = out.length === 0 ? "" : tight ? "\n" : "\n\n";
      let body = format === "markdown" ? this.#markdown(b) : b.out;
      if (format === "markdown" && b.kind === "row" && prev !== "row") {
        // a table's first row is its header row in Markdown
        const cells = b.out.split(" | ").length;
        body += "\n|" + " --- |".repeat(cells);
      }
      prev = b.kind;
      out.push(sep + body);
    }
    return out.join("");
  }

  #markdown(b: Block): string {
    const h = headingLevel(b.kind);
    if (h > 0) return "#".repeat(h) + " " + b.out.replace(/\s*\n\s*/g, " ");
    switch (b.kind) {
      case "li":
        return "  ".repeat(b.listDepth) + (b.ordinal > 0 ? `${b.ordinal}. ` : "- ") + b.out;
      case "pre":
        return "```\n" + b.out + "\n```";
      case "quote":
        return b.out.split("\n").map((l) => "> " + l).join("\n");
      case "row":
        return "| " + b.out + " |";
      default:
        return b.out;
    }
  }
}

/** The attributes the pass reads; others are not kept. */
type Attrs = Partial<Record<AttrName, string>>;
type AttrName =
  | "class"
  | "id"
  | "role"
  | "aria-hidden"
  | "aria-modal"
  | "hidden"
  | "href"
  | "src"
  | "alt";
const ATTRS = new Set<string>([
  "class",
  "id",
  "role",
  "aria-hidden",
  "aria-modal",
  "hidden",
  "href",
  "src",
  "alt",
]);

/** Containers are not made past this nesting (a page of 100,000 nested divs stays linear). */
const MAX_DEPTH = 256;

interface Implied {
  /** Open elements that this start tag closes. */
  closes: Set<string>;
  /** Elements past which the search stops. */
  barriers: Set<string>;
}

const SCOPE = ["div", "td", "th", "table", "button", "body", "html", "article", "section"];

/** HTML's implied end tags, the common cases (a subset of the parsing spec's rules). */
const IMPLIED = new Map<string, Implied>([
  ...[...CLOSES_P].map((t): [string, Implied] => [t, {
    closes: new Set(["p"]),
    barriers: new Set(SCOPE),
  }]),
  ["li", { closes: new Set(["li", "p"]), barriers: new Set(["ul", "ol", ...SCOPE]) }],
  ["dt", { closes: new Set(["dt", "dd", "p"]), barriers: new Set(["dl", ...SCOPE]) }],
  ["dd", { closes: new Set(["dt", "dd", "p"]), barriers: new Set(["dl", ...SCOPE]) }],
  ["tr", { closes: new Set(["tr"]), barriers: new Set(["table", "tbody", "thead", "tfoot"]) }],
  ["td", { closes: new Set(["td", "th"]), barriers: new Set(["tr", "table"]) }],
  ["th", { closes: new Set(["td", "th"]), barriers: new Set(["tr", "table"]) }],
  ["tbody", { closes: new Set(["thead", "tbody", "tfoot", "tr"]), barriers: new Set(["table"]) }],
  ["tfoot", { closes: new Set(["thead", "tbody", "tfoot", "tr"]), barriers: new Set(["table"]) }],
]);

interface TokenEvents {
  open(tag: string, attrs: Attrs): void;
  close(tag: string): void;
  text(t: string): void;
}

/**
 * Tokenizer callbacks turned into open/close/text events with lower-cased
 * names, the attributes of {@linkcode ATTRS} and decoded text (entities are
 * decoded once a text run is complete, so one split across chunks decodes).
 */
class Tokens implements TokenizerCallbacks {
  #events: TokenEvents;
  #tokenizer: FastTokenizer;
  #source = new ChunkBuffer();
  #tag = "";
  #attrs: Attrs = {};
  #attr: AttrName | null = null;
  #value = "";
  #text = "";

  constructor(events: TokenEvents) {
    this.#events = events;
    this.#tokenizer = new FastTokenizer({ decodeEntities: false }, this);
  }

  write(chunk: string): void {
    if (chunk.length === 0) return;
    this.#source.push(chunk);
    this.#tokenizer.write(chunk);
  }

  end(): void {
    this.#tokenizer.end();
    this.#flushText();
  }

  #flushText(): void {
    if (this.#text === "") return;
    const t = this.#text;
    this.#text = "";
    this.#events.text(t.indexOf("&") === -1 ? t : decodeHTML(t));
  }

  onopentagname(start: number, end: number): void {
    this.#flushText();
    this.#tag = this.#source.slice(start, end).toLowerCase();
    this.#attrs = {};
  }

  onattribname(start: number, end: number): void {
    const n = this.#source.slice(start, end).toLowerCase();
    this.#attr = ATTRS.has(n) ? n as AttrName : null;
    this.#value = "";
  }

  onattribdata(start: number, end: number): void {
    if (this.#attr) this.#value += this.#source.slice(start, end);
  }

  onattribentity(cp: number): void {
    if (this.#attr) this.#value += String.fromCodePoint(cp);
  }

  onattribend(): void {
    if (this.#attr && this.#attrs[this.#attr] === undefined) {
      const v = this.#value;
      this.#attrs[this.#attr] = v.indexOf("&") === -1 ? v : decodeHTMLAttribute(v);
    }
    this.#attr = null;
  }

  onopentagend(): void {
    this.#events.open(this.#tag, this.#attrs);
  }

  onselfclosingtag(): void {
    // `<div/>` is an open tag in HTML; void elements close themselves anyway
    this.#events.open(this.#tag, this.#attrs);
  }

  onclosetag(start: number, end: number): void {
    this.#flushText();
    this.#events.close(this.#source.slice(start, end).toLowerCase());
  }

  ontext(start: number, end: number): void {
    this.#text += this.#source.slice(start, end);
  }

  ontextentity(cp: number): void {
    this.#text += String.fromCodePoint(cp);
  }

  oncdata(): void {}
  oncomment(start: number): void {
    this.#source.release(start);
  }
  ondeclaration(): void {}
  onprocessinginstruction(): void {}
  onend(): void {}
}
