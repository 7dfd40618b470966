import assert from "node:assert/strict";
import { HtmlDecoder } from "../../src/html/decode_html.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

async function decodeAll(
  parts: Uint8Array[],
  contentType: string | null = null,
): Promise<{ text: string; encoding: string }> {
  const decoder = new HtmlDecoder(contentType);
  async function* chunks() {
    for (const p of parts) yield p;
  }
  let text = "";
  for await (const s of decoder.decode(chunks())) text += s;
  return { text, encoding: decoder.encoding };
}

// WHATWG HTML "determining the character encoding": with no BOM, no transport
// charset and no <meta>, the fallback is implementation-defined, and
// windows-1252 is the one the standard names for most locales; valid UTF-8
// is detected as UTF-8 by browsers.
Deno.test("HtmlDecoder.decode() falls back to windows-1252 when undeclared bytes are not UTF-8", async () => {
  const short = await decodeAll([latin1("<p>caf\xe9 \x80</p>")]);
  assert.deepEqual(short, { text: "<p>café €</p>", encoding: "windows-1252" });
  // Past the 1024-byte prescan, in a later chunk, split anywhere.
  const pad = "<!--" + "x".repeat(2000) + "-->";
  const bytes = latin1(pad + "<a href='/caf\xe9'>\x93q\x94</a>");
  for (const cut of [10, 1500, 2010, bytes.length - 3]) {
    const r = await decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(r.text, pad + "<a href='/café'>\u201cq\u201d</a>", `cut at ${cut}`);
    assert.equal(r.encoding, "windows-1252");
  }
});

Deno.test("HtmlDecoder.decode() keeps UTF-8 for valid UTF-8 and ASCII, even split mid-character", async () => {
  const bytes = enc("<p>" + "y".repeat(1100) + "caf\u00e9 \u30c4 \u{1F600}</p>");
  for (let cut = 1100; cut < 1118; cut++) {
    const r = await decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(r.text, new TextDecoder().decode(bytes), `cut at ${cut}`);
    assert.equal(r.encoding, "utf-8");
  }
  assert.deepEqual(await decodeAll([enc("<p>plain</p>")]), {
    text: "<p>plain</p>",
    encoding: "utf-8",
  });
  assert.deepEqual(await decodeAll([]), { text: "", encoding: "utf-8" });
});

Deno.test("HtmlDecoder.decode() uses a declared charset whatever the bytes", async () => {
  const header = await decodeAll([latin1("caf\xe9")], "text/html; charset=utf-8");
  assert.deepEqual(header, { text: "caf\ufffd", encoding: "utf-8" });
  const meta = await decodeAll([latin1('<meta charset="windows-1251"><p>\xcf\xf0')]);
  assert.deepEqual(meta, { text: '<meta charset="windows-1251"><p>Пр', encoding: "windows-1251" });
  const bom = await decodeAll([new Uint8Array([0xef, 0xbb, 0xbf]), enc("\u00e9")]);
  assert.deepEqual(bom, { text: "\u00e9", encoding: "utf-8" });
});
