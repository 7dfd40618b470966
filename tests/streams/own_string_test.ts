import assert from "node:assert/strict";
import { ownString } from "../../src/streams/own_string.ts";
import { LinkResolver } from "../../src/url/resolve_href.ts";

/**
 * Heap bytes still used after a full GC when `make` keeps one short string
 * from each of 64 fresh 1 MB chunks (64 MB when the strings keep their chunks).
 */
function heldAfterGc(make: (chunk: string) => string): number {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const kept: string[] = [];
  for (let i = 0; i < 64; i++) {
    const chunk = `${i}`.repeat(1 << 20).slice(0, 1 << 20) +
      "http://a.test/a/long/enough/link.html";
    kept.push(make(chunk));
  }
  gc();
  const held = Deno.memoryUsage().heapUsed - before;
  assert.equal(kept.length, 64);
  return held;
}

Deno.test("ownString() copies a long slice and leaves short strings as they are", () => {
  const long = "x".repeat(100) + "tail-of-the-text";
  assert.equal(ownString(long.slice(100)), "tail-of-the-text");
  assert.equal(ownString("short"), "short");
  assert.equal(ownString(""), "");
});

Deno.test("LinkResolver.resolve() returns an absolute link equal to its href, as a copy", () => {
  const r = new LinkResolver("http://a.test/d/");
  const text = "y".repeat(1000) + "http://a.test/a/long/enough/link.html";
  const href = text.slice(1000);
  assert.equal(r.resolve(href), href);
});

// Whether a slice keeps its parent alive can only be seen through the GC.
Deno.test({
  name: "memory: what outlives a page's parse does not keep the page's text alive",
  ignore: (globalThis as { gc?: unknown }).gc === undefined,
  fn: () => {
    const r = new LinkResolver("http://a.test/d/");
    const mb = (n: number) => Math.round(n / 1e6);
    // The premise: a plain slice keeps its 1 MB chunk.
    assert.ok(heldAfterGc((c) => c.slice(-37)) > 32e6, "a slice keeps its chunk");
    assert.ok(mb(heldAfterGc((c) => ownString(c.slice(-37)))) < 8);
    assert.ok(mb(heldAfterGc((c) => r.resolve(c.slice(-37))!)) < 8);
  },
});
