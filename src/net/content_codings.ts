/**
 * Which content codings of a response skein undoes: the one decision, read
 * from the `content-encoding` header, apart from the decoders themselves
 * (`decode_body.ts`, which loads `node:stream` and `node:zlib`: 20 ms of
 * start-up that a crawl spends better on its first request).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentCodings } from "./content_codings.ts";
 * assert.deepEqual(contentCodings("deflate, gzip"), ["gzip", "deflate"]);
 * assert.equal(contentCodings("identity"), null);
 * assert.equal(contentCodings("zstd"), null);
 * ```
 * @module
 */

/**
 * The codings to undo, in the order to undo them, or `null` when the body is
 * to be passed on as it is (no coding, or one this fetcher cannot undo).
 */
export function contentCodings(header: string | null): string[] | null {
  if (header === null) return null;
  const codings = header.split(",").map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return null;
  const known = ["gzip", "x-gzip", "deflate", "br"];
  return codings.every((c) => known.includes(c)) ? codings.reverse() : null;
}
