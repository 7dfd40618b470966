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

async function hrefs(html: string, size: number): Promise<string[]> {
  const out: string[] = [];
  for await (const b of htmlTokens(chunked(html, size))) {
    for (const t of b) if (t.kind === "link") out.push(t.href);
  }
  return out;
}

// WHATWG HTML tokenizer: an end tag goes through the attribute states, so a
// quoted value may hold ">"; "<![CDATA[" outside foreign content starts a
// bogus comment that ends at the first ">".
Deno.test("htmlTokens() reads end-tag attributes and CDATA as the HTML tokenizer does", async () => {
  for (const size of [1, 3, 1000]) {
    assert.deepEqual(await hrefs(`</x title='<a href=/no>'><a href=/yes>`, size), ["/yes"]);
    assert.deepEqual(await hrefs(`</x a=">" b='>' c=d><a href=/1>`, size), ["/1"]);
    assert.deepEqual(await hrefs(`<![CDATA[ x ><a href=/2>]]>`, size), ["/2"]);
    assert.deepEqual(await hrefs(`<svg><![CDATA[ x ><a href=/3>]]></svg><a href=/4>`, size), [
      "/4",
    ]);
    assert.deepEqual(await hrefs(`<svg><title><a href=/5></title></svg><title><a href=/6>`, size), [
      "/5",
    ]);
  }
});
