/**
 * Element sets of the HTML standard's tree construction that more than one
 * pass needs: the void elements, and the start tags that close an open `<p>`.
 * Link extraction (`html_tokens.ts`) and main-content extraction
 * (`main_content.ts`) both read them from here.
 *
 * @example
 * ```ts
 * import { CLOSES_P, VOID_ELEMENTS } from "./html_elements.ts";
 * VOID_ELEMENTS.has("br"); // true
 * CLOSES_P.has("div"); // true
 * ```
 * @module
 */

/** Elements that hold nothing and have no end tag (§13.1.2, plus the parser's `image`). */
export const VOID_ELEMENTS: ReadonlySet<string> = new Set([
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

/** Start tags that close an open `<p>` ("in body" insertion mode). */
export const CLOSES_P: ReadonlySet<string> = new Set([
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
