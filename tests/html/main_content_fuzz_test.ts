import assert from "node:assert/strict";
import fc from "fast-check";
import { MainContent } from "../../src/html/main_content.ts";
import { PageMetaCollector } from "../../src/html/page_meta.ts";
import { htmlTokens } from "../../src/html/html_tokens.ts";

const fragments = [
  "<p>",
  "</p>",
  "<div class='content'>",
  "<div class=cookie-banner>",
  "</div>",
  "<li>",
  "<ul>",
  "</ul>",
  "<ol>",
  "<table><tr><td>",
  "</td><td>",
  "</tr></table>",
  "<pre>",
  "</pre>",
  "<a href='/x'>",
  "<a href='javascript:x'>",
  "</a>",
  "<h1>",
  "</h1>",
  "<nav>",
  "</nav>",
  "<br>",
  "<img src=/i.png alt='[x]'>",
  "<!--",
  "-->",
  "<script>",
  "</script>",
  "&amp;",
  "&",
  "Some words, with commas, here.",
  " ",
  "\n",
  "<meta name=description content='d'>",
  "<link rel=alternate hreflang=de href=/de>",
  "<html lang=en>",
];

Deno.test("MainContent and page metadata never throw, whatever the markup and chunking", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string()), { maxLength: 60 }),
      fc.integer({ min: 1, max: 50 }),
      fc.constantFrom("text" as const, "markdown" as const),
      async (parts, size, format) => {
        const html = parts.join("");
        const c = new MainContent("http://a.test/dir/page", format);
        for (let i = 0; i < html.length; i += size) c.write(html.slice(i, i + size));
        const out = c.finish();
        assert.equal(typeof out, "string");
        assert.doesNotMatch(out, /javascript:/);
        const meta = new PageMetaCollector();
        async function* chunks() {
          for (let i = 0; i < html.length; i += size) yield html.slice(i, i + size);
        }
        for await (const batch of htmlTokens(chunks())) for (const t of batch) meta.add(t);
        meta.finish(new URL("http://a.test/dir/page"));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("MainContent handles 50,000 nested and 50,000 unclosed elements", () => {
  const nested = "<div>".repeat(50_000) + "<p>Deep text, with a comma, long enough to count.</p>" +
    "</div>".repeat(50_000);
  const a = new MainContent("http://a.test/", "text");
  a.write(nested);
  assert.match(a.finish(), /Deep text/);
  const unclosed = "<p>para, with words and more words to count".repeat(50_000);
  const b = new MainContent("http://a.test/", "markdown");
  b.write(unclosed);
  const out = b.finish();
  assert.equal(out.split("\n\n").length, 50_000);
});
