import assert from "node:assert/strict";
import { readCapped } from "../../src/streams/read_capped.ts";

function chunks(...parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(parts.map((p) => enc.encode(p)));
}

Deno.test("readCapped() returns everything under the cap", async () => {
  const r = await readCapped(chunks("ab", "cd"), 10);
  assert.equal(new TextDecoder().decode(r.bytes), "abcd");
  assert.equal(r.truncated, false);
});

Deno.test("readCapped() stops at the cap, mid-chunk, and says so", async () => {
  const r = await readCapped(chunks("ab", "cdef", "gh"), 3);
  assert.equal(new TextDecoder().decode(r.bytes), "abc");
  assert.equal(r.truncated, true);
});

Deno.test("readCapped() at exactly the cap is not truncated", async () => {
  const r = await readCapped(chunks("abc"), 3);
  assert.equal(r.truncated, false);
});

Deno.test("readCapped() cancels an endless stream", async () => {
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    pull: (c) => c.enqueue(new Uint8Array(1024)),
    cancel: () => void (cancelled = true),
  });
  const r = await readCapped(endless, 5000);
  assert.equal(r.bytes.byteLength, 5000);
  assert.ok(cancelled);
});
