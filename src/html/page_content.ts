/**
 * The `content` of a page event in the crawl's `content` mode, collected
 * chunk by chunk during the page's one read: `html` keeps the decoded HTML,
 * `text` and `markdown` feed {@linkcode MainContent}. The result is capped
 * at {@linkcode MAX_CONTENT_CHARS} so that a stored page stays far below
 * MongoDB's 16 MiB document limit (see the README's Storage section).
 *
 * @example
 * ```ts
 * import { PageContent } from "./page_content.ts";
 * const c = new PageContent("text", "http://a.test/");
 * c.write("<main><h1>Hi</h1><p>Hello.</p></main>");
 * c.finish(); // { content: "Hi\n\nHello.", truncated: false }
 * ```
 * @module
 */
import { MainContent } from "./main_content.ts";

/** Longest `content` kept, in UTF-16 code units: at most 3 MiB as UTF-8. */
export const MAX_CONTENT_CHARS = 1_048_576;

/** The content modes that produce something (`none` does not). */
export type ContentFormat = "text" | "markdown" | "html";

/** A page's content and whether it was cut at {@linkcode MAX_CONTENT_CHARS}. */
export interface ContentResult {
  content: string;
  truncated: boolean;
}

/** Cuts `s` to `max` code units without splitting a surrogate pair. */
export function capContent(s: string, max = MAX_CONTENT_CHARS): ContentResult {
  if (s.length <= max) return { content: s, truncated: false };
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return { content: s.slice(0, end), truncated: true };
}

/** Collects one page's content; see the module doc. */
export class PageContent {
  #format: ContentFormat;
  #main: MainContent | null = null;
  #html: string[] = [];
  #htmlLen = 0;

  constructor(format: ContentFormat, pageUrl: string) {
    this.#format = format;
    if (format !== "html") this.#main = new MainContent(pageUrl, format);
  }

  /** Feeds a chunk of the decoded HTML. */
  write(chunk: string): void {
    if (this.#main) this.#main.write(chunk);
    else if (this.#htmlLen <= MAX_CONTENT_CHARS) {
      // past the cap nothing more is kept (one chunk over, to know it was cut)
      this.#html.push(chunk);
      this.#htmlLen += chunk.length;
    }
  }

  /** Yields `chunks` unchanged, feeding each to {@linkcode write} on its way (to the link parse). */
  async *pass(chunks: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const c of chunks) {
      this.write(c);
      yield c;
    }
  }

  /** The content, capped. */
  finish(): ContentResult {
    if (this.#main) return capContent(this.#main.finish());
    return capContent(this.#html.join(""));
  }
}
