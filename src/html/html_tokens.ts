/**
 * The only place that touches htmlparser2's callbacks: turns a stream of
 * HTML text into an async stream of the few things a crawler needs (links,
 * `<base>`, `<title>`, `<meta name="robots">`). Comments, scripts and styles
 * are not markup, so nothing inside them is a link.
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
import { Parser } from "htmlparser2";

/** One thing of interest found in a document. */
export type HtmlToken =
  | { kind: "link"; href: string; nofollow: boolean }
  | { kind: "base"; href: string }
  | { kind: "title"; text: string }
  | { kind: "robots"; nofollow: boolean };

/** Longest `<title>` kept, in characters. */
export const MAX_TITLE = 1000;

function hasNofollow(v: string | undefined): boolean {
  return v !== undefined && /(?:^|[\s,])(?:nofollow|none)(?:$|[\s,])/i.test(v);
}

/**
 * Parses HTML text chunk by chunk and yields, after each chunk, the tokens it
 * completed (never an empty batch). The parser's state lives only here.
 */
export async function* htmlTokens(chunks: AsyncIterable<string>): AsyncGenerator<HtmlToken[]> {
  let out: HtmlToken[] = [];
  let inTitle = false;
  let titleDone = false;
  let title = "";
  const parser = new Parser({
    onopentag(name, attrs) {
      switch (name) {
        case "a":
        case "area": {
          const href = attrs.href;
          if (href !== undefined) {
            out.push({ kind: "link", href, nofollow: hasNofollow(attrs.rel) });
          }
          break;
        }
        case "base":
          if (attrs.href !== undefined) out.push({ kind: "base", href: attrs.href });
          break;
        case "meta": {
          const n = attrs.name?.toLowerCase();
          if (n === "robots" && hasNofollow(attrs.content)) {
            out.push({ kind: "robots", nofollow: true });
          }
          break;
        }
        case "title":
          if (!titleDone) inTitle = true;
          break;
      }
    },
    ontext(text) {
      if (inTitle && title.length < MAX_TITLE * 2) title += text;
    },
    onclosetag(name) {
      if (name === "title" && inTitle) {
        inTitle = false;
        titleDone = true;
        out.push({ kind: "title", text: title.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE) });
      }
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });

  for await (const chunk of chunks) {
    parser.write(chunk);
    if (out.length > 0) {
      const batch = out;
      out = [];
      yield batch;
    }
  }
  parser.end();
  if (inTitle) {
    out.push({ kind: "title", text: title.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE) });
  }
  if (out.length > 0) yield out;
}
