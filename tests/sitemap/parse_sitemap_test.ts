import assert from "node:assert/strict";
import {
  parseSitemap,
  type SitemapEntry,
  type SitemapSummary,
} from "../../src/sitemap/parse_sitemap.ts";
import { SitemapError } from "../../src/sitemap/sitemap_error.ts";

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../../fixtures/sitemaps/${name}`, import.meta.url));
}

async function* chunked(s: string, size = 13): AsyncGenerator<string> {
  for (let i = 0; i < s.length; i += size) yield s.slice(i, i + size);
}

async function parseAll(
  text: string,
  maxUrls?: number,
): Promise<{ entries: SitemapEntry[]; summary: SitemapSummary }> {
  const entries: SitemapEntry[] = [];
  const it = parseSitemap(chunked(text), { maxUrls });
  for (;;) {
    const r = await it.next();
    if (r.done) return { entries, summary: r.value };
    assert.ok(r.value.length > 0, "no empty batch");
    entries.push(...r.value);
  }
}

Deno.test("parseSitemap() reads a urlset: loc, lastmod, CDATA, entities; not image:loc", async () => {
  const { entries, summary } = await parseAll(fixture("urlset.xml"));
  assert.deepEqual(entries, [
    { loc: "http://example.test/a?x=1&y=2", lastmod: "2024-05-01T10:00:00+00:00", index: false },
    { loc: "http://example.test/b", lastmod: null, index: false },
    { loc: "http://example.test/c", lastmod: null, index: false },
  ]);
  assert.deepEqual(summary, { kind: "urlset", entries: 3, truncated: false });
});

Deno.test("parseSitemap() reads a sitemap index", async () => {
  const { entries, summary } = await parseAll(fixture("index.xml"));
  assert.deepEqual(entries.map((e) => [e.loc, e.index]), [
    ["http://example.test/sitemap-1.xml", true],
    ["http://example.test/sitemap-2.xml.gz", true],
  ]);
  assert.equal(summary.kind, "sitemapindex");
});

Deno.test("parseSitemap() reads a text sitemap, one URL a line", async () => {
  const { entries, summary } = await parseAll(fixture("text.txt"));
  assert.deepEqual(entries.map((e) => e.loc), [
    "http://example.test/t1",
    "http://example.test/t2",
    "http://example.test/t3",
  ]);
  assert.deepEqual(summary, { kind: "text", entries: 3, truncated: false });
});

Deno.test("parseSitemap() refuses a root in another namespace", async () => {
  await assert.rejects(
    parseAll(fixture("wrong_namespace.xml")),
    (e) => e instanceof SitemapError && e.code === "sitemap_invalid" && /namespace/.test(e.message),
  );
});

Deno.test("parseSitemap() refuses HTML", async () => {
  await assert.rejects(
    parseAll("<!doctype html><html><body><a href='/x'>x</a></body></html>"),
    (e) => e instanceof SitemapError && e.code === "sitemap_invalid",
  );
});

Deno.test("parseSitemap() fails on malformed XML after yielding the entries before the error", async () => {
  const entries: string[] = [];
  const it = parseSitemap(chunked(fixture("malformed.xml"), 4096));
  await assert.rejects(async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      entries.push(...r.value.map((e) => e.loc));
    }
  }, (e) => e instanceof SitemapError && /Malformed/.test(e.message));
  assert.deepEqual(entries, ["http://example.test/before"]);
});

Deno.test("parseSitemap() never expands entities: billion laughs and undefined entities fail", async () => {
  for (const name of ["billion_laughs.xml", "external_entity.xml"]) {
    await assert.rejects(
      parseAll(fixture(name)),
      (e) => e instanceof SitemapError && e.code === "sitemap_invalid",
      name,
    );
  }
});

Deno.test("parseSitemap() stops at 50,000 URLs of a 60,000-URL sitemap and says so", async () => {
  let xml = `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`;
  for (let i = 0; i < 60_000; i++) xml += `<url><loc>http://example.test/${i}</loc></url>`;
  xml += "</urlset>";
  const entries: SitemapEntry[] = [];
  const it = parseSitemap(chunked(xml, 65536));
  let summary: SitemapSummary;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      summary = r.value;
      break;
    }
    entries.push(...r.value);
  }
  assert.equal(entries.length, 50_000);
  assert.equal(entries.at(-1)?.loc, "http://example.test/49999");
  assert.deepEqual(summary, { kind: "urlset", entries: 50_000, truncated: true });
});

Deno.test("parseSitemap() stops a text sitemap at maxUrls", async () => {
  const text = Array.from({ length: 10 }, (_, i) => `http://example.test/${i}`).join("\n");
  const { entries, summary } = await parseAll(text, 4);
  assert.equal(entries.length, 4);
  assert.equal(summary.truncated, true);
});
