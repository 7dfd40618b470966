/**
 * The bytes of a response body that a fetcher received whole before it
 * returned the response (a page that came in the same read as its head, the
 * usual case for pages up to a few tens of KB). A consumer that finds them
 * here may parse them at once, with no stream reader and no promise per
 * chunk; `res.body` still yields the same bytes to anyone else, so a
 * fetcher that never records them (Deno's `fetch`) changes nothing but the
 * speed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordWholeBody, wholeBody } from "./whole_body.ts";
 * const bytes = new TextEncoder().encode("hi");
 * const res = recordWholeBody(new Response(bytes), bytes);
 * assert.equal(wholeBody(res), bytes);
 * assert.equal(wholeBody(new Response("other")), null);
 * ```
 * @module
 */

/**
 * Where the bytes are kept: a property of the response itself. (A `WeakMap`
 * keyed by the response kept them alive longer: V8 frees a value of a weak
 * map whose key died young only at a full collection, and the static peer
 * benchmark's peak RSS rose from 98-100 to 112-122 MB, 3 interleaved runs.)
 */
const WHOLE = Symbol("wholeBody");

interface Recorded {
  [WHOLE]?: Uint8Array;
}

/**
 * Records that `bytes` are all of `res`'s body (as received, before any
 * content decoding: only for a response with no content coding) and returns
 * `res`. The bytes must not change afterwards.
 */
export function recordWholeBody(res: Response, bytes: Uint8Array): Response {
  (res as Recorded)[WHOLE] = bytes;
  return res;
}

/**
 * All of `res`'s body when its fetcher recorded it (see the module doc), or
 * `null`: then read `res.body`. Reading these bytes does not consume
 * `res.body`, and leaving `res.body` unread holds no connection.
 */
export function wholeBody(res: Response): Uint8Array | null {
  return (res as Recorded)[WHOLE] ?? null;
}
