import assert from "node:assert/strict";
import fc from "fast-check";
import { extractPage } from "../../src/html/extract_page.ts";
import { normalizeUrl } from "../../src/url/normalize_url.ts";
import { bodyText } from "../../src/crawl/read_body.ts";
import { htmlTokens } from "../../src/html/html_tokens.ts";

const fragments = [
  "<a href=",
  '"',
  "'",
  ">",
  "</a>",
  "<base href=",
  "<!--",
  "-->",
  "<script>",
  "</script>",
  "<title>",
  "</title>",
  "<meta name=robots content=",
  "nofollow",
  "http://",
  "https://",
  "javascript:",
  "//",
  "../",
  "%",
  "%zz",
  "#",
  "?",
  "&amp;",
  "&#x",
  "\u0000",
  "\ufffd",
  "[::1]",
  "xn--",
  "ß",
  "<area href=",
  "<",
  " ",
  "\n",
  "<style>",
  "</style>",
  "<?xml ",
  "<!doctype html>",
  "<![CDATA[",
  "]]>",
  "</",
  "/>",
  "<textarea>",
  "</textarea>",
];

const htmlish = fc.array(
  fc.oneof(fc.constantFrom(...fragments), fc.string(), fc.webUrl(), fc.string({ unit: "binary" })),
  { maxLength: 60 },
).map((parts) => parts.join(""));

async function* split(s: string, at: number[]): AsyncGenerator<string> {
  let last = 0;
  for (const i of [...at].sort((a, b) => a - b)) {
    const k = Math.min(i, s.length);
    yield s.slice(last, k);
    last = k;
  }
  yield s.slice(last);
}

Deno.test("fuzz: extractPage() never throws and only yields normalized http(s) links", async () => {
  await fc.assert(
    fc.asyncProperty(
      htmlish,
      fc.array(fc.nat(400), { maxLength: 5 }),
      fc.webUrl(),
      async (html, cuts, base) => {
        const info = await extractPage(split(html, cuts), normalizeUrl(base) ?? "http://a.test/");
        for (const link of info.links) {
          assert.ok(link.startsWith("http://") || link.startsWith("https://"), link);
          assert.equal(normalizeUrl(link), link, "links are already normalized");
        }
        assert.equal(new Set(info.links).size, info.links.length);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("fuzz: truncated documents parse like any other", async () => {
  const doc = `<html><head><base href="/x/"><title>T</title></head><body>` +
    `<a href="a">a</a><!-- <a href="c"> --><script>"<a href='s'>"</script><a href="b?q=1#f">b</a>`;
  await fc.assert(
    fc.asyncProperty(fc.nat(doc.length), async (n) => {
      const info = await extractPage(split(doc.slice(0, n), []), "http://a.test/");
      assert.ok(info.links.every((l) => l.startsWith("http://a.test/")));
      assert.ok(!info.links.includes("http://a.test/x/c"), "comment links never count");
    }),
    { numRuns: 500 },
  );
});

Deno.test("fuzz: normalizeUrl() never throws, returns http(s) or null, and is idempotent", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string({ unit: "binary" }),
        fc.webUrl({ withFragments: true, withQueryParameters: true }),
      ),
      fc.oneof(fc.constant(undefined), fc.webUrl()),
      (input, base) => {
        const n = normalizeUrl(input, base);
        if (n === null) return;
        assert.ok(n.startsWith("http://") || n.startsWith("https://"));
        assert.ok(!n.includes("#"));
        assert.equal(normalizeUrl(n), n);
      },
    ),
    { numRuns: 5000 },
  );
});

Deno.test("fuzz: bodyText() decodes any bytes under any declared charset without throwing", async () => {
  const charsets = [
    "utf-8",
    "windows-1251",
    "shift_jis",
    "iso-2022-jp",
    "utf-16le",
    "bogus",
    "",
    "gb18030",
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 3000 }),
      fc.constantFrom(...charsets),
      async (bytes, cs) => {
        const res = new Response(bytes, {
          headers: { "content-type": `text/html; charset=${cs}` },
        });
        let n = 0;
        for await (const s of bodyText(res, { maxBytes: 1e6, counter: { bytes: 0 } })) {
          n += s.length;
        }
        assert.ok(n >= 0);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("fuzz: the indexOf text skipping finds exactly the tokens htmlparser2's own does", async () => {
  const collect = async (html: string, cuts: number[], reference: boolean) => {
    const out = [];
    for await (const batch of htmlTokens(split(html, cuts), { reference })) out.push(...batch);
    return out;
  };
  await fc.assert(
    fc.asyncProperty(htmlish, fc.array(fc.nat(400), { maxLength: 6 }), async (html, cuts) => {
      assert.deepEqual(await collect(html, cuts, false), await collect(html, cuts, true));
    }),
    { numRuns: 3000 },
  );
});
