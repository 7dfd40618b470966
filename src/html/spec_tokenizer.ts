/**
 * htmlparser2's `Tokenizer`, patched to tokenize as the WHATWG HTML standard
 * does where htmlparser2 12.0.0 does not, and to skip text with `indexOf`.
 * The main-content pass (`main_content.ts`) reads every tag and all text
 * with it; link extraction has its own scanner (`html_scanner.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FastTokenizer } from "./spec_tokenizer.ts";
 * const html = "<p>x<![CDATA[<b>]]><i>";
 * const names: string[] = [];
 * const callbacks = new Proxy({}, {
 *   get: (_, cb) => cb === "onopentagname"
 *     ? (s: number, e: number) => names.push(html.slice(s, e))
 *     : () => false,
 * });
 * const t = new FastTokenizer({ decodeEntities: false }, callbacks as never);
 * t.write(html);
 * t.end();
 * // CDATA in HTML content is a bogus comment up to the first ">".
 * assert.deepEqual(names, ["p", "i"]);
 * ```
 * @module
 */
import { Tokenizer, type TokenizerCallbacks } from "htmlparser2";

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
export class SpecTokenizer extends Tokenizer {
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
