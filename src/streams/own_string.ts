/**
 * A string that keeps no larger text alive. V8 makes `slice()` of a long
 * string a view into it, so a 40-character link or title cut from a 64 KiB
 * chunk of a page holds the whole chunk for as long as it lives, in a
 * frontier, an event buffer or a job hub. What outlives the page's parse
 * goes through here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownString } from "./own_string.ts";
 * const chunk = "x".repeat(65536) + "http://a.test/kept";
 * const link = ownString(chunk.slice(65536));
 * assert.equal(link, "http://a.test/kept"); // and `chunk` may now be collected
 * ```
 * @module
 */

/** `s` in memory of its own (short strings already are: V8 copies slices under 13 characters). */
export function ownString(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}
