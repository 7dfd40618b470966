import assert from "node:assert/strict";
import { extractPage, resolveLinks } from "../../src/html/extract_page.ts";
import { htmlTokens } from "../../src/html/html_tokens.ts";
import { charsetParam, prescanMeta, sniffCharset } from "../../src/html/sniff_charset.ts";
import { bodyText } from "../../src/crawl/read_body.ts";
import { CrawlError } from "../../src/crawl/crawl_error.ts";

async function* chunked(s: string, size = 5): AsyncGenerator<string> {
  for (let i = 0; i < s.length; i += size) yield s.slice(i, i + size);
}

Deno.test("extractPage() finds a and area links, not those in comments, scripts or styles", async () => {
  const html = `<html><head><title>T</title></head><body>
    <a href="/one">1</a><!-- <a href="/comment">c</a> -->
    <script>var s = '<a href="/script">';</script>
    <style>/* <a href="/style"> */</style>
    <map><area href="/area"></map><a href="two">2</a></body></html>`;
  const info = await extractPage(chunked(html), "http://a.test/dir/page");
  assert.deepEqual(info.links, [
    "http://a.test/one",
    "http://a.test/area",
    "http://a.test/dir/two",
  ]);
  assert.equal(info.title, "T");
});

Deno.test("extractPage() resolves against <base href> and drops fragments and non-http links", async () => {
  const html = `<base href="/deep/"><a href="d.html#x">d</a><a href="#top">t</a>
    <a href="mailto:x@y.z">m</a><a href="javascript:void(0)">j</a><a href="  ">blank</a>
    <a href="HTTP://Other.TEST:80/Y">o</a><a href="d.html">dup</a>`;
  const info = await extractPage(chunked(html, 3), "http://a.test/b/index.html");
  assert.deepEqual(info.links, ["http://a.test/deep/d.html", "http://other.test/Y"]);
});

Deno.test("extractPage() respects rel=nofollow and meta robots nofollow", async () => {
  const a = await extractPage(
    chunked(`<a rel="external nofollow" href="/n">n</a><a href="/y">y</a>`),
    "http://a.test/",
  );
  assert.deepEqual(a.links, ["http://a.test/y"]);
  const b = await extractPage(
    chunked(`<meta name="ROBOTS" content="noindex, nofollow"><a href="/y">y</a>`),
    "http://a.test/",
  );
  assert.deepEqual(b.links, []);
  assert.equal(b.nofollow, true);
});

Deno.test("extractPage() decodes entities and collapses the title", async () => {
  const info = await extractPage(
    chunked("<title>\n  Fish &amp; Chips\t</title><a href='/a?x=1&amp;y=2'>a</a>"),
    "http://a.test/",
  );
  assert.equal(info.title, "Fish & Chips");
  assert.deepEqual(info.links, ["http://a.test/a?x=1&y=2"]);
});

Deno.test("extractPage() survives broken HTML", async () => {
  const info = await extractPage(
    chunked(`<a href="/a"<a href=/b>b</a><p><a href='/c' <title>x`),
    "http://a.test/",
  );
  assert.ok(info.links.every((l) => l.startsWith("http://a.test/")));
});

Deno.test("resolveLinks() caps the number of links", () => {
  const hrefs = Array.from({ length: 50 }, (_, i) => `/p${i}`);
  assert.equal(resolveLinks(hrefs, new URL("http://a.test/"), 10).length, 10);
});

Deno.test("htmlTokens() yields batches as chunks arrive", async () => {
  const batches = [];
  for await (const b of htmlTokens(chunked('<a href="/1">x</a><a href="/2">y</a>', 18))) {
    batches.push(b.map((t) => t.kind === "link" ? t.href : t.kind));
  }
  assert.deepEqual(batches, [["/1"], ["/2"]]);
});

Deno.test("sniffCharset() prefers BOM, then header, then meta, then UTF-8", () => {
  const meta = new TextEncoder().encode('<meta charset="windows-1251">');
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x3c]);
  assert.equal(sniffCharset("text/html; charset=Shift_JIS", bom), "utf-8");
  assert.equal(sniffCharset("text/html; charset=Shift_JIS", meta), "shift_jis");
  assert.equal(sniffCharset("text/html", meta), "windows-1251");
  assert.equal(sniffCharset("text/html; charset=bogus", meta), "windows-1251");
  assert.equal(sniffCharset(null, new Uint8Array()), "utf-8");
  assert.equal(charsetParam('text/html; charset="ISO-8859-1"'), "ISO-8859-1");
  const httpEquiv = new TextEncoder().encode(
    '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">',
  );
  assert.equal(prescanMeta(httpEquiv), "euc-kr");
});

Deno.test("bodyText() decodes windows-1251 across chunk boundaries", async () => {
  // "Привет" in windows-1251, behind a meta charset, split mid-document
  const bytes = new Uint8Array([
    ...new TextEncoder().encode('<meta charset="windows-1251"><title>'),
    0xcf,
    0xf0,
    0xe8,
    0xe2,
    0xe5,
    0xf2,
    ...new TextEncoder().encode("</title>"),
  ]);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.subarray(0, 40));
      c.enqueue(bytes.subarray(40));
      c.close();
    },
  });
  const res = new Response(body, { headers: { "content-type": "text/html" } });
  const info = await extractPage(
    bodyText(res, { maxBytes: 1e6, counter: { bytes: 0 } }),
    "http://a.test/",
  );
  assert.equal(info.title, "Привет");
});

Deno.test("bodyText() stops at maxBytes with too_large and cancels the body", async () => {
  let cancelled = false;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      sent += 4096;
      c.enqueue(new Uint8Array(4096).fill(0x20));
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  const res = new Response(body, { headers: { "content-type": "text/html" } });
  const counter = { bytes: 0 };
  await assert.rejects(
    async () => {
      for await (const _ of bodyText(res, { maxBytes: 10_000, counter })) { /* read */ }
    },
    (e) => e instanceof CrawlError && e.code === "too_large",
  );
  assert.ok(cancelled);
  assert.ok(sent <= 16384, `read ${sent} bytes for a 10000-byte cap`);
});
