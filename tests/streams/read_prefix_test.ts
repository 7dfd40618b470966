import assert from "node:assert/strict";
import { readPrefix } from "../../src/streams/read_prefix.ts";

function chunks(...parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(parts.map((p) => enc.encode(p)));
}

Deno.test("readPrefix() returns everything under the cap", async () => {
  const r = await readPrefix(chunks("ab", "cd"), 10);
  assert.equal(new TextDecoder().decode(r.bytes), "abcd");
  assert.equal(r.truncated, false);
});

Deno.test("readPrefix() stops at the cap, mid-chunk, and says so", async () => {
  const r = await readPrefix(chunks("ab", "cdef", "gh"), 3);
  assert.equal(new TextDecoder().decode(r.bytes), "abc");
  assert.equal(r.truncated, true);
});

Deno.test("readPrefix() at exactly the cap is not truncated", async () => {
  const r = await readPrefix(chunks("abc"), 3);
  assert.equal(r.truncated, false);
});

Deno.test("readPrefix() cancels an endless stream", async () => {
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull: (c) => c.enqueue(new Uint8Array(1024)),
    cancel: () => void (cancelled = true),
  });
  const r = await readPrefix(endless, 5000);
  assert.equal(r.bytes.byteLength, 5000);
  assert.ok(cancelled);
});
