import assert from "node:assert/strict";
import { MainContent } from "../../src/html/main_content.ts";
import { capContent, MAX_CONTENT_CHARS, PageContent } from "../../src/html/page_content.ts";
import { blockTextNaive, fixturePages, median, wordF1 } from "../content/_f1.ts";

function extract(html: string, format: "text" | "markdown", url = "http://a.test/dir/page") {
  const c = new MainContent(url, format);
  // in uneven chunks, as bodies arrive
  for (let i = 0; i < html.length; i += 777) c.write(html.slice(i, i + 777));
  return c.finish();
}

/** The F1 every page must reach, and the median the set must reach. */
const MIN_F1 = 0.85;
const MIN_MEDIAN_F1 = 0.93;

Deno.test("MainContent scores a median word F1 above the bar on the fixture pages, where a whole-page dump does not", () => {
  const pages = fixturePages();
  assert.ok(pages.length >= 10, `at least 10 fixture pages, got ${pages.length}`);
  const scores: number[] = [];
  const naive: number[] = [];
  for (const p of pages) {
    const s = wordF1(extract(p.html, "text"), p.expected);
    assert.ok(s.f1 >= MIN_F1, `${p.name}: F1 ${s.f1.toFixed(3)} below ${MIN_F1}`);
    scores.push(s.f1);
    naive.push(wordF1(blockTextNaive(p.html), p.expected).f1);
  }
  const m = median(scores);
  const n = median(naive);
  console.log(`median word F1 ${m.toFixed(3)} (whole-page dump ${n.toFixed(3)})`);
  assert.ok(m >= MIN_MEDIAN_F1, `median F1 ${m.toFixed(3)} below ${MIN_MEDIAN_F1}`);
  assert.ok(n < MIN_MEDIAN_F1, `the bar must fail a naive dump, whose median is ${n.toFixed(3)}`);
});

Deno.test("MainContent drops navigation, footers, sidebars and cookie banners", () => {
  const p = fixturePages().find((p) => p.name === "cookie_banner")!;
  const text = extract(p.html, "text");
  assert.doesNotMatch(text, /cookies|Accept all|Subscribe|All rights reserved|Houseplants/);
  assert.match(text, /^How to keep houseplants alive while you are on holiday\n\n/);
  assert.match(text, /Use a wick for thirsty plants/);
});

Deno.test("MainContent keeps a listing's items and drops its filters and pagination", () => {
  const p = fixturePages().find((p) => p.name === "listing")!;
  const text = extract(p.html, "text");
  assert.match(text, /Trailblazer 2 Hiking Boot/);
  assert.match(text, /Insulated Steel Flask, 750 ml/);
  assert.doesNotMatch(text, /Apply filters|Free 60-day returns|Gift cards/);
});

Deno.test("MainContent renders Markdown: headings, lists, code, links, tables", () => {
  const p = fixturePages().find((p) => p.name === "docs_page")!;
  const md = extract(p.html, "markdown");
  assert.match(md, /^# Configuring retries\n\n/);
  assert.match(md, /\n## Retry-After\n/);
  assert.match(md, /\n```\nconst client = createClient\(\{\n {2}retry:/);
  assert.match(md, /Setting `attempts` to 1/);
  assert.match(
    md,
    /\| Option \| Default \| Meaning \|\n\| --- \| --- \| --- \|\n\| attempts \| 3 \|/,
  );
  assert.doesNotMatch(md, /Edit this page|On this page|Previous: Authentication/);
  const recipe = extract(fixturePages().find((p) => p.name === "recipe")!.html, "markdown");
  assert.match(recipe, /\n- 200 g red lentils, rinsed\n- 1 onion, finely chopped\n/);
  assert.match(recipe, /\n1\. Fry the onion/);
  assert.match(recipe, /\n4\. Stir through the spinach/);
  const article = `<article><h1>T</h1><p>Read <a href="../other?x=1">the other page</a>, a
    <strong>bold</strong> and <em>calm</em> text that is long enough to count as a paragraph.</p>
    <p><img src="/i.png" alt="A [chart]"></p></article>`;
  assert.equal(
    extract(article, "markdown"),
    "# T\n\nRead [the other page](http://a.test/other?x=1), a **bold** and _calm_ text that is " +
      "long enough to count as a paragraph.\n\n![A chart](http://a.test/i.png)",
  );
});

Deno.test("MainContent gives the text of a page without an article and of an empty one", () => {
  assert.equal(extract("<p>Just one line.</p>", "text"), "Just one line.");
  assert.equal(extract("", "text"), "");
  assert.equal(extract("<nav><a href='/'>Home</a></nav>", "markdown"), "");
});

Deno.test("MainContent decodes entities and never emits javascript: links", () => {
  const md = extract(
    `<main><p>Fish &amp; chips &mdash; <a href="javascript:alert(1)">click</a> and more words here to fill.</p></main>`,
    "markdown",
  );
  assert.equal(md, "Fish & chips — click and more words here to fill.");
});

Deno.test("PageContent keeps html as decoded and caps any content with a flag", () => {
  const c = new PageContent("html", "http://a.test/");
  c.write("<p>é</p>");
  assert.deepEqual(c.finish(), { content: "<p>é</p>", truncated: false });
  const big = new PageContent("html", "http://a.test/");
  for (let i = 0; i < 40; i++) big.write("x".repeat(65536));
  const r = big.finish();
  assert.equal(r.content.length, MAX_CONTENT_CHARS);
  assert.equal(r.truncated, true);
  // a surrogate pair is not split
  const s = "a".repeat(9) + "😀";
  assert.deepEqual(capContent(s, 10), { content: "a".repeat(9), truncated: true });
});
