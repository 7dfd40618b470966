import assert from "node:assert/strict";
import {
  extractHtml,
  extractHtmlBytes,
  extractPage,
  resolveLinks,
} from "../../src/html/extract_page.ts";
import { crawl } from "../../src/crawl/crawl.ts";

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
  // Under a <base> naming another URL, "#top" and the blank href name that URL.
  assert.deepEqual(info.links, [
    "http://a.test/deep/d.html",
    "http://a.test/deep/",
    "http://other.test/Y",
  ]);
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
  assert.deepEqual(b.meta.robots, ["noindex", "nofollow"]);
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
  // WHATWG HTML tokenizer: `"/a"<a` is a missing space before the attribute `<a`, so the
  // second href of that tag is a duplicate and dropped; `<title` is an attribute of the third.
  assert.deepEqual(info.links, ["http://a.test/a", "http://a.test/c"]);
  assert.equal(info.title, null);
});

Deno.test("resolveLinks() caps the number of links", () => {
  const hrefs = Array.from({ length: 50 }, (_, i) => `/p${i}`);
  assert.equal(resolveLinks(hrefs, new URL("http://a.test/"), { maxLinks: 10 }).length, 10);
});

Deno.test("extractPage() strips only ASCII whitespace from an href, as browsers do", async () => {
  const info = await extractPage(
    chunked(
      `<a href=" \t/a\n">a</a><a href="&nbsp;/x">x</a><a href="\u3000/y">y</a>` +
        `<a href="&#xFEFF;/z">z</a><a href="/w&#x2028;">w</a>`,
    ),
    "http://a.test/dir/page",
  );
  assert.deepEqual(info.links, [
    "http://a.test/a",
    "http://a.test/dir/%C2%A0/x",
    "http://a.test/dir/%E3%80%80/y",
    "http://a.test/dir/%EF%BB%BF/z",
    "http://a.test/w%E2%80%A8",
  ]);
});

// WHATWG HTML: an <a>'s href is parsed "relative to the element's node
// document" — against the document base URL, which <base href> sets. "#x" is
// the base URL with a fragment: the page itself only when there is no other base.
Deno.test("extractPage() keeps a fragment-only href that names another page through <base>", async () => {
  const page = "http://a.test/b/index.html";
  const other = await extractPage(
    chunked(`<base href="http://a.test/other.html?q=1"><a href="#sec">s</a><a href="">e</a>`),
    page,
  );
  assert.deepEqual(other.links, ["http://a.test/other.html?q=1"]);
  const self = await extractPage(
    chunked(`<base href="index.html#top"><a href="#sec">s</a><a href="">e</a>`),
    page,
  );
  assert.deepEqual(self.links, [], "a base naming the page itself keeps them self-links");
  const none = await extractPage(chunked(`<a href="#sec">s</a><a href=" ">e</a>`), page);
  assert.deepEqual(none.links, []);
});

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
async function* bytesOf(b: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

// WHATWG HTML: an element's URL is parsed with the document's character
// encoding as the URL parser's encoding, so a query is percent-encoded from
// the document's bytes.
Deno.test("extractHtml() encodes link queries in the page's encoding", async () => {
  const cp1252 = await extractHtml(
    bytesOf(latin1(
      `<meta charset="windows-1252"><base href="/b/?in=\xe9"><a href="/caf\xe9?q=caf\xe9&amp;e=&euro;">` +
        `c</a><a href="?x=&#x101;">x</a><a href="#f">self</a>`,
    )),
    "http://a.test/",
  );
  assert.deepEqual(cp1252.links, [
    "http://a.test/caf%C3%A9?q=caf%E9&e=%80",
    "http://a.test/b/?x=%26%23257%3B",
    "http://a.test/b/?in=%E9",
  ]);
  const sjis = await extractHtml(
    bytesOf(latin1(`<a href="/\x83e?q=\x83e\x83X\x83g">t</a>`)),
    "http://a.test/",
    { contentType: "text/html; charset=Shift_JIS" },
  );
  assert.deepEqual(sjis.links, ["http://a.test/%E3%83%86?q=%83e%83X%83g"]);
  const undeclared = await extractHtml(
    bytesOf(latin1(`<a href="/s?q=caf\xe9">c</a>`)),
    "http://a.test/",
  );
  assert.deepEqual(undeclared.links, ["http://a.test/s?q=caf%E9"], "windows-1252 by the bytes");
  const utf8 = await extractHtml(
    bytesOf(new TextEncoder().encode(`<a href="/s?q=caf\u00e9">c</a>`)),
    "http://a.test/",
  );
  assert.deepEqual(utf8.links, ["http://a.test/s?q=caf%C3%A9"]);
});

Deno.test("crawl() follows links in the page's encoding, parsed inline or on a worker", async () => {
  const page = latin1(`<meta charset="windows-1252"><a href="/s?q=caf\xe9">x</a>`);
  const fetcher = (url: string) =>
    Promise.resolve(
      url.endsWith("/robots.txt")
        ? new Response(null, { status: 404 })
        : new Response(page.slice(), { headers: { "content-type": "text/html" } }),
    );
  for (const parseWorkers of [0, 1]) {
    const links: string[] = [];
    for await (const e of crawl(["http://a.test/"], { maxDepth: 0, parseWorkers }, { fetcher })) {
      if (e.type === "page") links.push(...e.links);
    }
    assert.deepEqual(links, ["http://a.test/s?q=caf%E9"], `parseWorkers ${parseWorkers}`);
  }
});

Deno.test("extractHtmlBytes() matches extractHtml() on bytes that end inside a character, after an unterminated tag", async () => {
  // Found by the fuzz test: the streaming decoder gives the incomplete last character as a
  // chunk of its own, and the content parser's end depends on where its last chunk began.
  const bytes = Uint8Array.from([
    ...new TextEncoder().encode("</http://a.aa"),
    ...new Array(1020).fill(32),
    0,
    0xc2,
  ]);
  async function* one() {
    yield bytes;
  }
  for (const content of ["text", "html", "none"] as const) {
    const opts = { contentType: null, content };
    const streamed = await extractHtml(one(), "http://a.aa/", opts);
    assert.deepStrictEqual(extractHtmlBytes(bytes, "http://a.aa/", opts), streamed, content);
  }
});
