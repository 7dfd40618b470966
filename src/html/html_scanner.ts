/**
 * A streaming HTML tokenizer for link extraction, written from the WHATWG
 * HTML standard's tokenizer (§13.2.5) for the tokens a crawler reads: start
 * tags with a few attributes, end tags, and the text of `<title>`. Text,
 * comments, doctypes, CDATA sections and the content of raw-text elements
 * (`script`, `style`, `textarea`, `xmp`, `iframe`, `noembed`, `noframes`,
 * `plaintext`) are skipped with `indexOf`, the way the standard's states
 * would read them; the states that tell where a tag ends (attribute values
 * may hold `>`) and the script-data escape states are followed exactly.
 *
 * Why not htmlparser2's `Tokenizer`, which skein used before: it dispatches
 * one callback per state per character inside tags and reports every tag and
 * attribute; on the benchmark site the link-extraction pass spent about
 * 90 ms of every 180 ms in it, against about 20 ms for this scanner, which
 * names only the tags and attributes asked for (without allocating for the
 * others). The main-content pass (`main_content.ts`) still uses htmlparser2,
 * since it needs every tag and all text.
 *
 * Chunks may be cut anywhere: an incomplete construct at the end of a chunk
 * waits for the next one. Memory stays bounded: inside a comment or raw text
 * only the last few characters wait; a tag waits whole up to `hugeTag`
 * characters, and past that its end is found by a resumable state machine
 * and its text kept only when its attributes are wanted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HtmlScanner, type ScanSink, type TagAttrs } from "./html_scanner.ts";
 * const seen: string[] = [];
 * const sink: ScanSink = {
 *   isInForeignContext: () => false,
 *   allTags: () => false,
 *   startTag: (name: string, attrs: TagAttrs) => seen.push(`<${name}> ${attrs.href ?? ""}`),
 *   endTag: () => {},
 *   title: (text: string) => seen.push(`title ${text}`),
 * };
 * const s = new HtmlScanner(sink);
 * s.write('<title>Hi</title><p><a HREF="/x">x</a><!-- <a href=/no> -->');
 * s.end();
 * assert.deepEqual(seen, ["<title> ", "title Hi", "<a> /x"]);
 * ```
 * @module
 */
import { decodeHTMLAttribute } from "entities";

/** The attributes a start tag may report: the first of each, entities decoded. */
export interface TagAttrs {
  href?: string;
  rel?: string;
  name?: string;
  content?: string;
  property?: string;
  hreflang?: string;
  lang?: string;
  "http-equiv"?: string;
  itemprop?: string;
  /** MathML `annotation-xml`'s encoding. */
  encoding?: string;
  /** A `font` with one of these leaves foreign content. */
  color?: string;
  face?: string;
  size?: string;
}

/** What a {@linkcode HtmlScanner} reports to. */
export interface ScanSink {
  /** SVG or MathML content is open: no element holds raw text, and `<![CDATA[` starts CDATA. */
  isInForeignContext(): boolean;
  /** Every tag matters now (foreign content or a template is open), not only those of {@linkcode KNOWN_TAGS}. */
  allTags(): boolean;
  /** A start tag; `name` is lower-case ASCII. */
  startTag(name: string, attrs: TagAttrs, selfClosing: boolean): void;
  /** An end tag; reported only while {@linkcode ScanSink.allTags} is true. */
  endTag(name: string): void;
  /**
   * The raw text of an HTML `<title>` (entities not decoded, cut at
   * `maxTitle` characters), at its end tag or at the end of the document.
   */
  title(text: string): void;
}

/** Settings of an {@linkcode HtmlScanner}. */
export interface HtmlScannerOptions {
  /** A tag longer than this many characters is read by the resumable path (for tests). @default 65536 */
  hugeTag?: number;
  /** Characters of a `<title>` kept at most. @default 2000 */
  maxTitle?: number;
}

/** The tags named in plain HTML content (the scanner's own raw-text elements among them). */
export const KNOWN_TAGS = [
  "a",
  "area",
  "base",
  "meta",
  "title",
  "link",
  "html",
  "svg",
  "math",
  "template",
  "script",
  "style",
  "textarea",
  "xmp",
  "iframe",
  "noembed",
  "noframes",
  "plaintext",
] as const;

const ATTR_NAMES = [
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
  "color",
  "face",
  "size",
] as const;
type AttrName = typeof ATTR_NAMES[number];

/** Names by length, for matching without allocating. */
function byLength<T extends string>(names: readonly T[]): T[][] {
  const out: T[][] = [];
  for (const n of names) (out[n.length] ??= []).push(n);
  return out;
}
const TAGS_BY_LENGTH = byLength(KNOWN_TAGS);
const ATTRS_BY_LENGTH = byLength(ATTR_NAMES);

/** Whether `s` at `at` spells the first `len` characters of `name` (lower-case) in any ASCII case. */
function spells(s: string, at: number, name: string, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(at + i);
    const d = name.charCodeAt(i);
    if (c !== d && (c < 0x41 || c > 0x5a || (c | 0x20) !== d)) return false;
  }
  return true;
}

/** The one of `names` (lower-case) that `s[start, end)` spells in any ASCII case, or `""`. */
function match<T extends string>(
  s: string,
  start: number,
  end: number,
  names: T[][],
): T | "" {
  const list = names[end - start];
  if (list === undefined) return "";
  for (let k = 0; k < list.length; k++) {
    if (spells(s, start, list[k], end - start)) return list[k];
  }
  return "";
}

/** `s[start, end)` with ASCII upper-case letters lowered (and only those, as the standard says). */
function asciiLower(s: string, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      return s.slice(start, end).replace(/[A-Z]+/g, (m) => m.toLowerCase());
    }
  }
  return s.slice(start, end);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
}

function isAlpha(c: number): boolean {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

/** Where the scanner is between tags. */
const enum Mode {
  Data,
  /** A bogus comment or a doctype: up to the next `>`. */
  Bogus,
  /** A comment's content: up to `-->` or `--!>`. */
  Comment,
  /** A CDATA section in foreign content: up to `]]>`. */
  Cdata,
  /** RAWTEXT or RCDATA (`#rawName`): up to its end tag. */
  RawText,
  /** Script data, in one of the {@linkcode Script} states. */
  Script,
  /** Everything to the end is text. */
  Plaintext,
  /** Inside a tag too long to wait for whole (see `hugeTag`). */
  HugeTag,
}

/** The script-data states of the standard (less-than-sign states are read by lookahead). */
const enum Script {
  Data,
  Escaped,
  EscapedDash,
  EscapedDashDash,
  DoubleEscaped,
  DoubleEscapedDash,
  DoubleEscapedDashDash,
}

/** The tag states, for the resumable path of huge tags. */
const enum TagState {
  Name,
  BeforeAttrName,
  AttrName,
  AfterAttrName,
  BeforeValue,
  DoubleQuoted,
  SingleQuoted,
  Unquoted,
  AfterQuoted,
  SelfClosing,
}

const INCOMPLETE = -1;

/** See the module doc. */
export class HtmlScanner {
  #sink: ScanSink;
  #hugeTag: number;
  #maxTitle: number;
  #mode = Mode.Data;
  /** Text of the last chunk not yet consumed: an incomplete construct, or a terminator's possible start. */
  #pending = "";
  /** The raw-text element open (`Mode.RawText`, `Mode.Script`). */
  #rawName = "";
  #script = Script.Data;
  /** The title text read so far, while `#rawName` is "title". */
  #title = "";
  /** The huge tag being read: its state, whether it is an end tag, its text when wanted. */
  #huge: { state: TagState; pieces: string[] | null } | null = null;

  constructor(sink: ScanSink, options: HtmlScannerOptions = {}) {
    this.#sink = sink;
    this.#hugeTag = options.hugeTag ?? 65536;
    this.#maxTitle = options.maxTitle ?? 2000;
  }

  /** Reads the next chunk of the document. */
  write(chunk: string): void {
    if (chunk.length === 0) return;
    if (this.#mode === Mode.HugeTag) {
      const at = this.#feedHuge(chunk);
      if (at === INCOMPLETE) return;
      chunk = chunk.slice(at);
    }
    const s = this.#pending === "" ? chunk : this.#pending + chunk;
    this.#pending = "";
    this.#run(s, false);
  }

  /** Ends the document: an unfinished tag is dropped, an unfinished `<title>` ends. */
  end(): void {
    if (this.#mode === Mode.HugeTag) {
      this.#huge = null;
      this.#mode = Mode.Data;
    }
    const s = this.#pending;
    this.#pending = "";
    if (s !== "") this.#run(s, true);
    if ((this.#mode === Mode.RawText) && this.#rawName === "title") this.#sink.title(this.#title);
    this.#mode = Mode.Plaintext;
  }

  /** Consumes `s` from the start in the current mode; keeps what must wait in `#pending`. */
  #run(s: string, eof: boolean): void {
    const n = s.length;
    let i = 0;
    while (i < n) {
      switch (this.#mode) {
        case Mode.Data: {
          const lt = s.indexOf("<", i);
          if (lt === -1) return;
          const r = this.#markup(s, lt, eof);
          if (r === INCOMPLETE) return this.#wait(s, lt, eof);
          i = r;
          break;
        }
        case Mode.Bogus: {
          const gt = s.indexOf(">", i);
          if (gt === -1) return;
          this.#mode = Mode.Data;
          i = gt + 1;
          break;
        }
        case Mode.Comment: {
          const a = s.indexOf("-->", i);
          const b = s.indexOf("--!>", i);
          if (a === -1 && b === -1) {
            if (!eof) this.#pending = s.slice(Math.max(i, n - 3));
            return;
          }
          this.#mode = Mode.Data;
          i = a !== -1 && (b === -1 || a < b) ? a + 3 : b + 4;
          break;
        }
        case Mode.Cdata: {
          const e = s.indexOf("]]>", i);
          if (e === -1) {
            if (!eof) this.#pending = s.slice(Math.max(i, n - 2));
            return;
          }
          this.#mode = Mode.Data;
          i = e + 3;
          break;
        }
        case Mode.RawText: {
          const r = this.#rawText(s, i, eof);
          if (r === INCOMPLETE) return;
          i = r;
          break;
        }
        case Mode.Script: {
          const r = this.#scriptData(s, i, eof);
          if (r === INCOMPLETE) return;
          i = r;
          break;
        }
        case Mode.Plaintext:
          return;
        case Mode.HugeTag:
          // Entered from #wait only, which returns at once.
          return;
      }
    }
  }

  /** Keeps `s` from `from` for the next chunk (or, for a huge tag, starts the resumable path). */
  #wait(s: string, from: number, eof: boolean): void {
    if (eof) return; // an unfinished tag (or markup declaration) at the end is dropped
    // Only a tag can grow long here; other markup waits for a few characters at most.
    const c = s.charCodeAt(from + 1);
    const tag = isAlpha(c) || (c === 0x2f && isAlpha(s.charCodeAt(from + 2)));
    if (!tag || s.length - from <= this.#hugeTag) {
      this.#pending = s.slice(from);
      return;
    }
    this.#startHuge(s, from);
  }

  /**
   * At `s[lt] === "<"` in data: reads the tag, comment, doctype or other
   * markup there and returns the index after it, or `INCOMPLETE` when `s`
   * ends first.
   */
  #markup(s: string, lt: number, eof: boolean): number {
    const n = s.length;
    if (lt + 1 >= n) return eof ? n : INCOMPLETE;
    const c = s.charCodeAt(lt + 1);
    if (isAlpha(c)) return this.#tag(s, lt + 1, false);
    if (c === 0x2f /* / */) {
      if (lt + 2 >= n) return eof ? n : INCOMPLETE;
      const d = s.charCodeAt(lt + 2);
      if (isAlpha(d)) return this.#tag(s, lt + 2, true);
      if (d === 0x3e /* > */) return lt + 3; // "</>" is nothing
      this.#mode = Mode.Bogus;
      return lt + 2;
    }
    if (c === 0x21 /* ! */) return this.#declaration(s, lt + 2, eof);
    if (c === 0x3f /* ? */) {
      this.#mode = Mode.Bogus;
      return lt + 2;
    }
    return lt + 1; // a "<" that is text
  }

  /** After `<!`: a comment, a doctype, CDATA (in foreign content) or a bogus comment. */
  #declaration(s: string, at: number, eof: boolean): number {
    const n = s.length;
    // Enough text to tell: "--" and two more for "<!-->"/"<!--->", or "doctype"/"[CDATA[".
    if (n - at < 7 && !eof) {
      const have = s.slice(at);
      if (
        "--".startsWith(have.slice(0, 2)) || "doctype".startsWith(have.toLowerCase()) ||
        "[CDATA[".startsWith(have)
      ) return INCOMPLETE;
    }
    if (s.startsWith("--", at)) {
      const body = at + 2;
      if (s.charCodeAt(body) === 0x3e /* > */) return body + 1; // "<!-->"
      if (s.charCodeAt(body) === 0x2d && s.charCodeAt(body + 1) === 0x3e) return body + 2; // "<!--->"
      this.#mode = Mode.Comment;
      return body;
    }
    if (s.startsWith("[CDATA[", at) && this.#sink.isInForeignContext()) {
      this.#mode = Mode.Cdata;
      return at + 7;
    }
    // A doctype, like a bogus comment, ends at the first ">" (in every doctype state).
    this.#mode = Mode.Bogus;
    return at;
  }

  /**
   * Reads a start or end tag whose name starts at `nameStart`; returns the
   * index after its `>`, or `INCOMPLETE`. Reports it to the sink, and
   * switches to raw text after a raw-text element's start tag in HTML content.
   */
  #tag(s: string, nameStart: number, isEnd: boolean): number {
    const n = s.length;
    let j = nameStart + 1;
    let c = 0;
    while (j < n) {
      c = s.charCodeAt(j);
      if (c === 0x3e || c === 0x2f || isSpace(c)) break;
      j++;
    }
    if (j >= n) return INCOMPLETE;
    const nameEnd = j;
    const all = this.#sink.allTags();
    let name = "";
    if (isEnd) {
      if (all) name = asciiLower(s, nameStart, nameEnd);
    } else {
      name = match(s, nameStart, nameEnd, TAGS_BY_LENGTH);
      if (name === "" && all) name = asciiLower(s, nameStart, nameEnd);
    }
    const want = name !== "" && !isEnd;
    if (name === "") {
      // Nothing to report: up to a ">" with no quote before it, the tag ends
      // there (only a quoted value could hold a ">"); else read it properly.
      for (let k = j; k < n; k++) {
        c = s.charCodeAt(k);
        if (c === 0x3e) return k + 1;
        if (c === 0x22 || c === 0x27) break;
      }
    }
    // A new object per reported start tag (the sink may keep it); none for the rest.
    const attrs: TagAttrs | null = want ? {} : null;
    let selfClosing = false;
    // The attribute states (before name, name, after name, before value, value, after value).
    for (;;) {
      while (j < n && isSpace(c = s.charCodeAt(j))) j++;
      if (j >= n) return INCOMPLETE;
      if (c === 0x3e /* > */) {
        j++;
        break;
      }
      if (c === 0x2f /* / */) {
        j++;
        if (j >= n) return INCOMPLETE;
        if (s.charCodeAt(j) === 0x3e) {
          selfClosing = true;
          j++;
          break;
        }
        continue; // reconsumed in "before attribute name"
      }
      // An attribute name (its first character may be "=").
      const an = j++;
      while (j < n) {
        c = s.charCodeAt(j);
        if (c === 0x3d /* = */ || c === 0x3e || c === 0x2f || isSpace(c)) break;
        j++;
      }
      const ae = j;
      while (j < n && isSpace(c = s.charCodeAt(j))) j++;
      if (j >= n) return INCOMPLETE;
      let vs = j;
      let ve = j;
      if (c === 0x3d /* = */) {
        j++;
        while (j < n && isSpace(c = s.charCodeAt(j))) j++;
        if (j >= n) return INCOMPLETE;
        if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
          vs = j + 1;
          ve = s.indexOf(c === 0x22 ? '"' : "'", vs);
          if (ve === -1) return INCOMPLETE;
          j = ve + 1;
        } else if (c === 0x3e) {
          vs = ve = j; // "a=>": an empty value, and ">" ends the tag
        } else {
          vs = j;
          while (j < n) {
            c = s.charCodeAt(j);
            if (c === 0x3e || isSpace(c)) break;
            j++;
          }
          if (j >= n) return INCOMPLETE;
          ve = j;
        }
      }
      if (attrs !== null) {
        const a: AttrName | "" = match(s, an, ae, ATTRS_BY_LENGTH);
        if (a !== "" && attrs[a] === undefined) {
          const v = s.slice(vs, ve);
          attrs[a] = v.indexOf("&") === -1 ? v : decodeHTMLAttribute(v);
        }
      }
    }
    if (attrs !== null) {
      // Raw text only for HTML elements: decided before the sink sees the
      // tag (in SVG `<style>` holds markup; `<svg>` itself holds none).
      const html = !this.#sink.isInForeignContext();
      this.#sink.startTag(name, attrs, selfClosing);
      if (html) this.#enterRawText(name);
    } else if (name !== "") this.#sink.endTag(name);
    return j;
  }

  #enterRawText(name: string): void {
    switch (name) {
      case "title":
      case "textarea":
      case "style":
      case "xmp":
      case "iframe":
      case "noembed":
      case "noframes":
        this.#mode = Mode.RawText;
        this.#rawName = name;
        this.#title = "";
        break;
      case "script":
        this.#mode = Mode.Script;
        this.#rawName = name;
        this.#script = Script.Data;
        break;
      case "plaintext":
        this.#mode = Mode.Plaintext;
        break;
    }
  }

  /**
   * Whether `s` at `at` (just after `</`) is the end tag of the raw-text
   * element open: its name in any case and then white space, `/` or `>`.
   * `null` when `s` ends too soon to tell.
   */
  #isRawEnd(s: string, at: number): boolean | null {
    const name = this.#rawName;
    const end = at + name.length;
    if (!spells(s, at, name, Math.min(end, s.length) - at)) return false;
    if (end >= s.length) return null; // too short to tell
    const c = s.charCodeAt(end);
    return c === 0x3e || c === 0x2f || isSpace(c);
  }

  /** RAWTEXT and RCDATA: text up to the element's end tag. */
  #rawText(s: string, from: number, eof: boolean): number {
    const title = this.#rawName === "title";
    for (let i = from;;) {
      const k = s.indexOf("</", i);
      const end = k === -1 ? null : this.#isRawEnd(s, k + 2);
      if (k === -1 || end === null) {
        // Keep what could start the end tag for the next chunk.
        const keep = eof ? s.length : k === -1 ? Math.max(from, s.length - 1) : k;
        if (title) this.#addTitle(s.slice(from, keep));
        if (!eof) this.#pending = s.slice(keep);
        return INCOMPLETE;
      }
      if (!end) {
        i = k + 2;
        continue;
      }
      const r = this.#tag(s, k + 2, true);
      if (r === INCOMPLETE) {
        if (title) this.#addTitle(s.slice(from, k));
        this.#wait(s, k, eof);
        return INCOMPLETE;
      }
      if (title) {
        this.#addTitle(s.slice(from, k));
        this.#sink.title(this.#title);
        this.#title = "";
      }
      // #tag reported the end tag (when all tags matter); raw text is over.
      if (this.#mode === Mode.RawText) this.#mode = Mode.Data;
      return r;
    }
  }

  #addTitle(t: string): void {
    if (this.#title.length < this.#maxTitle) {
      this.#title += t.slice(0, this.#maxTitle - this.#title.length);
    }
  }

  /** Script data with its escape states (`<!--` … `-->`, and `<script>` inside them). */
  #scriptData(s: string, from: number, eof: boolean): number {
    const n = s.length;
    let i = from;
    while (i < n) {
      const st = this.#script;
      if (st === Script.Data) {
        const k = s.indexOf("<", i);
        if (k === -1) return INCOMPLETE;
        if (n - k < 10 && !eof) return this.#keep(s, k);
        const c = s.charCodeAt(k + 1);
        if (c === 0x2f /* / */ && this.#isRawEnd(s, k + 2)) return this.#endScript(s, k, eof);
        if (c === 0x21 /* ! */ && s.startsWith("--", k + 2)) {
          this.#script = Script.EscapedDashDash;
          i = k + 4;
        } else i = k + 1;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === 0x2d /* - */) {
        this.#script = st === Script.Escaped
          ? Script.EscapedDash
          : st === Script.EscapedDash || st === Script.EscapedDashDash
          ? Script.EscapedDashDash
          : st === Script.DoubleEscaped
          ? Script.DoubleEscapedDash
          : Script.DoubleEscapedDashDash;
        i++;
        continue;
      }
      if (
        c === 0x3e /* > */ && (st === Script.EscapedDashDash || st === Script.DoubleEscapedDashDash)
      ) {
        this.#script = Script.Data;
        i++;
        continue;
      }
      const double = st >= Script.DoubleEscaped;
      if (c !== 0x3c /* < */) {
        this.#script = double ? Script.DoubleEscaped : Script.Escaped;
        i++;
        continue;
      }
      // A "<" in an escaped state: "</script" may end the script (escaped)
      // or the double escape; "<script" starts a double escape.
      if (n - i < 10 && !eof) return this.#keep(s, i);
      const d = s.charCodeAt(i + 1);
      if (d === 0x2f /* / */) {
        if (!double && this.#isRawEnd(s, i + 2)) return this.#endScript(s, i, eof);
        if (double && this.#isRawEnd(s, i + 2)) {
          this.#script = Script.Escaped;
          i += 8;
          continue;
        }
        this.#script = double ? Script.DoubleEscaped : Script.Escaped;
        i += 2;
        continue;
      }
      if (!double && isAlpha(d) && this.#isRawEnd(s, i + 1)) {
        this.#script = Script.DoubleEscaped;
        i += 7;
        continue;
      }
      this.#script = double ? Script.DoubleEscaped : Script.Escaped;
      i++;
    }
    return INCOMPLETE;
  }

  /** Keeps `s` from `at` (a possible end of the script) for the next chunk. */
  #keep(s: string, at: number): number {
    this.#pending = s.slice(at);
    return INCOMPLETE;
  }

  #endScript(s: string, lt: number, eof: boolean): number {
    const r = this.#tag(s, lt + 2, true);
    if (r === INCOMPLETE) {
      this.#wait(s, lt, eof);
      return INCOMPLETE;
    }
    if (this.#mode === Mode.Script) this.#mode = Mode.Data;
    return r;
  }

  /** A tag at `s[lt]` too long to wait for whole: find its end chunk by chunk. */
  #startHuge(s: string, lt: number): void {
    const isEnd = s.charCodeAt(lt + 1) === 0x2f;
    const nameStart = lt + (isEnd ? 2 : 1);
    let j = nameStart;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x3e || c === 0x2f || isSpace(c)) break;
      j++;
    }
    // Its text is kept when the sink may want the tag (or its name is not known yet).
    const want = j === s.length || this.#sink.allTags() ||
      (!isEnd && match(s, nameStart, j, TAGS_BY_LENGTH) !== "");
    this.#huge = { state: TagState.Name, pieces: want ? [s.slice(lt, nameStart)] : null };
    this.#afterHuge = this.#mode;
    this.#mode = Mode.HugeTag;
    const rest = s.slice(nameStart);
    const at = this.#feedHuge(rest);
    // (#tag found it incomplete, so it does not end here; if the two ever
    // disagreed, the rest would be read with the next chunk.)
    if (at !== INCOMPLETE) this.#pending = rest.slice(at);
  }

  /** The mode a huge tag was met in: raw text or script data when it is their end tag. */
  #afterHuge: Mode = Mode.Data;

  /**
   * Feeds a huge tag's next text to its state machine; at its `>`, reads the
   * whole tag (when wanted) and returns the index in `chunk` after it.
   */
  #feedHuge(chunk: string): number {
    const h = this.#huge!;
    const n = chunk.length;
    let st = h.state;
    let j = 0;
    let done = false;
    for (; j < n && !done; j++) {
      const c = chunk.charCodeAt(j);
      switch (st) {
        case TagState.Name:
          if (c === 0x3e) done = true;
          else if (c === 0x2f) st = TagState.SelfClosing;
          else if (isSpace(c)) st = TagState.BeforeAttrName;
          break;
        case TagState.BeforeAttrName:
        case TagState.AfterAttrName:
          if (c === 0x3e) done = true;
          else if (c === 0x2f) st = TagState.SelfClosing;
          else if (c === 0x3d && st === TagState.AfterAttrName) st = TagState.BeforeValue;
          else if (!isSpace(c)) st = TagState.AttrName;
          break;
        case TagState.AttrName:
          if (c === 0x3e) done = true;
          else if (c === 0x2f) st = TagState.SelfClosing;
          else if (c === 0x3d) st = TagState.BeforeValue;
          else if (isSpace(c)) st = TagState.AfterAttrName;
          break;
        case TagState.BeforeValue:
          if (c === 0x22) st = TagState.DoubleQuoted;
          else if (c === 0x27) st = TagState.SingleQuoted;
          else if (c === 0x3e) done = true;
          else if (!isSpace(c)) st = TagState.Unquoted;
          break;
        case TagState.DoubleQuoted:
        case TagState.SingleQuoted: {
          const q = chunk.indexOf(st === TagState.DoubleQuoted ? '"' : "'", j);
          if (q === -1) j = n - 1;
          else {
            j = q;
            st = TagState.AfterQuoted;
          }
          break;
        }
        case TagState.Unquoted:
          if (c === 0x3e) done = true;
          else if (isSpace(c)) st = TagState.BeforeAttrName;
          break;
        case TagState.AfterQuoted:
        case TagState.SelfClosing:
          if (c === 0x3e) done = true;
          else if (c === 0x2f) st = TagState.SelfClosing;
          else if (!isSpace(c)) {
            st = TagState.BeforeAttrName;
            j--; // reconsumed
          } else st = TagState.BeforeAttrName;
          break;
      }
    }
    h.state = st;
    if (!done) {
      h.pieces?.push(chunk);
      return INCOMPLETE;
    }
    this.#huge = null;
    const endsRaw = this.#afterHuge === Mode.RawText || this.#afterHuge === Mode.Script;
    this.#mode = Mode.Data;
    if (endsRaw && this.#rawName === "title") {
      this.#sink.title(this.#title);
      this.#title = "";
    }
    if (h.pieces !== null) {
      h.pieces.push(chunk.slice(0, j));
      const whole = h.pieces.join("");
      const isEnd = whole.charCodeAt(1) === 0x2f;
      this.#tag(whole, isEnd ? 2 : 1, isEnd);
    }
    return j;
  }
}
