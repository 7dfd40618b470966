/**
 * JIT warm-up of the page parsers while a crawl waits for its seeds'
 * answers: a small built-in document goes through the same calls a fetched
 * page does (body hash, decoding, tokenizing, link resolution), so the
 * first answers, which come back together, are parsed by compiled code
 * rather than by V8's interpreter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPageParsers } from "./fetch_page.ts";
 * import { warmParsers } from "./warm_parsers.ts";
 * assert.equal(warmParsers(await loadPageParsers(), 2), 2 * 41);
 * ```
 * @module
 */
import type { PageParsers } from "./fetch_page.ts";

/**
 * Rounds a crawl runs: 10-15 ms in a new process on the benchmark machine,
 * after which the first 50 pages of the latency benchmark parsed in 5-6 ms
 * instead of 19-21 (and the first one in 0.3 ms instead of 5-8).
 */
export const WARM_ROUNDS = 20;

/** A page like most: a head, a list of links (some relative, one with a fragment), text. */
function warmDocument(): Uint8Array {
  const items = Array.from(
    { length: 40 },
    (_, i) =>
      `<li><a href="${i % 2 ? "/w/" : "w/"}${i}.html${i % 7 ? "" : "#s"}">item ${i}</a></li>`,
  );
  return new TextEncoder().encode(
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Warm-up</title></head>\n` +
      `<body><nav><a href="/index.html">Home</a></nav>\n<ul>\n${items.join("\n")}\n</ul>\n` +
      `<p>${
        "the crawler fetched a page &amp; parsed its links. ".repeat(40)
      }</p>\n</body></html>\n`,
  );
}

let doc: Uint8Array | null = null;

/**
 * Parses the built-in document `rounds` times with `parsers` and returns the
 * links found in all (41 a round), so the work cannot be optimized away.
 */
export function warmParsers(parsers: PageParsers, rounds: number = WARM_ROUNDS): number {
  doc ??= warmDocument();
  let links = 0;
  for (let i = 0; i < rounds; i++) {
    const hash = new parsers.BodyHash();
    hash.update(doc);
    hash.hex();
    const info = parsers.extractHtmlBytes(doc, "http://warm-up.invalid/a/page.html", {
      contentType: "text/html; charset=utf-8",
    });
    links += info.links.length;
  }
  return links;
}

let warmed = false;

/**
 * {@linkcode warmParsers} the first time it is called in this process, and
 * nothing after (the JIT's work is the process's): a service that runs many
 * crawls warms up once. True when it warmed up.
 */
export function warmParsersOnce(parsers: PageParsers): boolean {
  if (warmed) return false;
  warmed = true;
  warmParsers(parsers);
  return true;
}
