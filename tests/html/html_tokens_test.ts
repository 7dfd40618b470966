import assert from "node:assert/strict";
import { htmlTokens } from "../../src/html/html_tokens.ts";

async function* chunked(s: string, size = 5): AsyncGenerator<string> {
  for (let i = 0; i < s.length; i += size) yield s.slice(i, i + size);
}

Deno.test("htmlTokens() yields batches as chunks arrive", async () => {
  const batches = [];
  for await (const b of htmlTokens(chunked('<a href="/1">x</a><a href="/2">y</a>', 18))) {
    batches.push(b.map((t) => t.kind === "link" ? t.href : t.kind));
  }
  assert.deepEqual(batches, [["/1"], ["/2"]]);
});
