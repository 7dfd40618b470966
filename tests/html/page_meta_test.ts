import assert from "node:assert/strict";
import { extractPage } from "../../src/html/extract_page.ts";
import {
  headerRobots,
  PageMetaCollector,
  robotsNofollow,
  withHeaderRobots,
} from "../../src/html/page_meta.ts";

async function* chunked(s: string, size = 7): AsyncGenerator<string> {
  for (let i = 0; i < s.length; i += size) yield s.slice(i, i + size);
}

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../../fixtures/content/meta/${name}`, import.meta.url));
}

Deno.test("extractPage() reads every standard meta field, standard tags before OpenGraph/Twitter", async () => {
  const info = await extractPage(chunked(fixture("full.html")), "http://www.example.test/page");
  assert.deepEqual(info.meta, {
    description: "The standard description & more",
    canonical: "https://www.example.test/articles/Story.html?utm=1",
    lang: "en-GB",
    robots: ["noindex", "max-snippet:50"],
    author: "Ada Lovelace",
    publishedTime: "2024-03-05T08:00:00Z",
    siteName: "Example News",
    image: "https://www.example.test/img/lead.jpg",
    alternates: {
      de: "https://www.example.test/de/artikel.html",
      "x-default": "https://www.example.test/articles/Story.html",
    },
  });
  assert.equal(info.title, "Standard tags win");
  assert.deepEqual(info.links, ["https://www.example.test/news/next.html"]);
});

Deno.test("extractPage() falls back to OpenGraph, http-equiv and itemprop tags", async () => {
  const info = await extractPage(chunked(fixture("fallback.html"), 3), "http://example.test/p");
  assert.deepEqual(info.meta, {
    description: "OG description",
    canonical: "http://example.test/og/canonical",
    lang: "fr-CA",
    robots: null,
    author: "Jean Dupont",
    publishedTime: "2023-11-02",
    siteName: "Exemple",
    image: "https://cdn.example.test/card.png",
    alternates: null,
  });
});

Deno.test("extractPage() falls back to Twitter tags and og:locale", async () => {
  const info = await extractPage(chunked(fixture("twitter.html")), "http://example.test/p");
  assert.equal(info.meta.description, "Twitter description");
  assert.equal(info.meta.author, "@someone");
  assert.equal(info.meta.publishedTime, "2020-02-02");
  assert.equal(info.meta.lang, "pt-BR");
  assert.equal(info.meta.canonical, null);
});

Deno.test("extractPage() leaves absent, blank and unusable meta values null", async () => {
  const info = await extractPage(chunked(fixture("none.html")), "http://example.test/p");
  assert.deepEqual(info.meta, {
    description: null,
    canonical: null,
    lang: null,
    robots: null,
    author: null,
    publishedTime: null,
    siteName: null,
    image: null,
    alternates: null,
  });
});

Deno.test("extractPage() reports meta robots directives and still collects meta under nofollow", async () => {
  const html = `<meta name="robots" content="noindex,nofollow"><meta name="description" content="d">
    <a href="/x">x</a>`;
  const info = await extractPage(chunked(html), "http://a.test/");
  assert.deepEqual(info.links, []);
  assert.deepEqual(info.meta.robots, ["noindex", "nofollow"]);
  assert.equal(info.meta.description, "d");
});

Deno.test("extractPage() caps huge meta values", async () => {
  const html = `<meta name="description" content="${"w ".repeat(100_000)}">`;
  const info = await extractPage(chunked(html, 4096), "http://a.test/");
  assert.ok(info.meta.description !== null && info.meta.description.length <= 2000);
});

Deno.test("headerRobots() keeps directives for all agents and for ours, not for others", () => {
  const ua = "Skein"; // the crawl's robotsAgent, compared case-insensitively
  assert.deepEqual(headerRobots(null, ua), []);
  assert.deepEqual(headerRobots("noindex, NoFollow", ua), ["noindex", "nofollow"]);
  assert.deepEqual(headerRobots("googlebot: nofollow", ua), []);
  assert.deepEqual(headerRobots("googlebot: noindex, skein: nofollow, noarchive", ua), [
    "nofollow",
    "noarchive",
  ]);
  assert.deepEqual(headerRobots("unavailable_after: 2030-01-01", ua), [
    "unavailable_after: 2030-01-01",
  ]);
});

Deno.test("withHeaderRobots() merges header directives into meta.robots; robotsNofollow() reads them", () => {
  const meta = new PageMetaCollector().finish(new URL("http://a.test/"));
  assert.equal(robotsNofollow(meta.robots), false);
  withHeaderRobots(meta, ["none"]);
  assert.deepEqual(meta.robots, ["none"]);
  assert.equal(robotsNofollow(meta.robots), true);
});
