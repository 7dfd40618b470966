import assert from "node:assert/strict";
import fc from "fast-check";
import { extractHtml, extractHtmlBytes, extractPage } from "../../src/html/extract_page.ts";
import { normalizeUrl } from "../../src/url/normalize_url.ts";
import { bodyText } from "../../src/crawl/response_body.ts";
import { htmlTokens } from "../../src/html/html_tokens.ts";
import { FastTokenizer, SpecTokenizer } from "../../src/html/spec_tokenizer.ts";

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
  // A start tag counts once its ">" has arrived (the HTML tokenizer drops a
  // tag cut by the end of the file); nothing in a comment or script ever does.
  const tagEnd = (tag: string) => doc.indexOf(tag) + tag.length;
  const endA = tagEnd(`<a href="a">`);
  const endB = tagEnd(`<a href="b?q=1#f">`);
  await fc.assert(
    fc.asyncProperty(
      fc.nat(doc.length),
      fc.array(fc.nat(200), { maxLength: 3 }),
      async (n, cuts) => {
        const info = await extractPage(split(doc.slice(0, n), cuts), "http://a.test/");
        const expected = [
          ...(n >= endA ? ["http://a.test/x/a"] : []),
          ...(n >= endB ? ["http://a.test/x/b?q=1"] : []),
        ];
        assert.deepEqual(info.links, expected, `cut at ${n}`);
      },
    ),
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
        if (n === null) {
          // null only for what is not an http(s) URL with a host
          let u: URL | null = null;
          try {
            u = new URL(input, base);
          } catch {
            // not a URL at all
          }
          assert.ok(
            u === null || (u.protocol !== "http:" && u.protocol !== "https:") ||
              /^\.*$/.test(u.hostname),
            `${JSON.stringify(input)} against ${base} is ${u?.href}`,
          );
          return;
        }
        assert.ok(n.startsWith("http://") || n.startsWith("https://"));
        assert.ok(!n.includes("#"));
        assert.equal(normalizeUrl(n), n);
      },
    ),
    { numRuns: 5000 },
  );
});

Deno.test("fuzz: bodyText() decodes any bytes under any declared charset as TextDecoder does", async () => {
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
  const known = (label: string) => {
    try {
      return new TextDecoder(label).encoding;
    } catch {
      return null;
    }
  };
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 3000 }),
      fc.constantFrom(...charsets),
      fc.array(fc.nat(3000), { maxLength: 4 }),
      async (bytes, cs, cuts) => {
        // Random bytes hold no <meta charset>; a BOM wins over the header; with
        // no valid label the bytes decide (one chunk, so the whole body counts).
        const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
          ? "utf-8"
          : bytes[0] === 0xfe && bytes[1] === 0xff
          ? "utf-16be"
          : bytes[0] === 0xff && bytes[1] === 0xfe
          ? "utf-16le"
          : null;
        const declared = bom ?? known(cs);
        let enc = declared;
        if (enc === null) {
          const first = bytes.findIndex((b) => b >= 0x80);
          let valid = true;
          try {
            // A body of 1024 bytes or more is judged as it streams: a sequence
            // cut by its end might go on.
            new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(Math.max(first, 0)), {
              stream: bytes.length >= 1024,
            });
          } catch {
            valid = false;
          }
          enc = first === -1 || valid ? "utf-8" : "windows-1252";
        }
        const at = declared === null ? [] : [...new Set(cuts)].sort((a, b) => a - b);
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            let last = 0;
            for (const cut of [...at, bytes.length]) {
              const k = Math.min(cut, bytes.length);
              if (k > last) c.enqueue(bytes.slice(last, k));
              last = Math.max(last, k);
            }
            c.close();
          },
        });
        const res = new Response(body, { headers: { "content-type": `text/html; charset=${cs}` } });
        let text = "";
        for await (const s of bodyText(res, { maxBytes: 1e6, counter: { bytes: 0 } })) text += s;
        assert.equal(text, new TextDecoder(enc).decode(bytes), `${cs} as ${enc}`);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("fuzz: htmlTokens() yields the same tokens wherever the chunks are cut", async () => {
  const collect = async (chunks: AsyncIterable<string>) => {
    const out = [];
    for await (const batch of htmlTokens(chunks)) out.push(...batch);
    return out;
  };
  await fc.assert(
    fc.asyncProperty(htmlish, fc.array(fc.nat(400), { maxLength: 6 }), async (html, cuts) => {
      assert.deepEqual(await collect(split(html, cuts)), await collect(split(html, [])), html);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("fuzz: the indexOf text skipping of the main-content tokenizer reports what htmlparser2's own does", () => {
  const collect = (html: string, cuts: number[], Impl: typeof SpecTokenizer) => {
    const calls: unknown[] = [];
    const record = new Proxy({}, {
      get: (_, name) =>
        name === "isInForeignContext" ? () => false : (...args: unknown[]) => {
          calls.push([name, ...args]);
        },
    });
    const t = new Impl({ decodeEntities: false }, record as ConstructorParameters<typeof Impl>[1]);
    let last = 0;
    for (const c of [...cuts, html.length].sort((a, b) => a - b)) {
      const k = Math.min(c, html.length);
      if (k > last) t.write(html.slice(last, k));
      last = Math.max(last, k);
    }
    t.end();
    return calls;
  };
  fc.assert(
    fc.property(htmlish, fc.array(fc.nat(400), { maxLength: 6 }), (html, cuts) => {
      assert.deepEqual(collect(html, cuts, FastTokenizer), collect(html, cuts, SpecTokenizer));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("fuzz: extractHtmlBytes() gives what extractHtml() gives for the same bytes in one chunk", async () => {
  const contentTypes = [
    null,
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=windows-1251",
    "text/html; charset=shift_jis",
    "text/html; charset=bogus",
  ];
  const meta = [
    "",
    '<meta charset="windows-1252">',
    '<meta charset="euc-jp">',
    "<meta charset=utf-16>",
  ];
  const enc = new TextEncoder();
  const doc = fc.tuple(
    fc.constantFrom(...meta),
    htmlish,
    fc.uint8Array({ maxLength: 40 }),
    fc.nat(1500),
  ).map(([m, html, raw, pad]) => {
    // Around the 1024-byte prescan window too: short documents take their own branch.
    const text = enc.encode(m + html + " ".repeat(pad % 2 === 0 ? pad : 0));
    const bytes = new Uint8Array(text.length + raw.length);
    bytes.set(text);
    bytes.set(raw, text.length);
    return bytes;
  });
  await fc.assert(
    fc.asyncProperty(
      doc,
      fc.constantFrom(...contentTypes),
      fc.constantFrom("none", "text", "html") as fc.Arbitrary<"none" | "text" | "html">,
      fc.webUrl(),
      async (bytes, contentType, content, base) => {
        const page = normalizeUrl(base) ?? "http://a.test/";
        async function* one() {
          yield bytes;
        }
        const streamed = await extractHtml(one(), page, { contentType, content });
        const whole = extractHtmlBytes(bytes, page, { contentType, content });
        assert.deepEqual(whole, streamed);
      },
    ),
    { numRuns: 1500 },
  );
});
