import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeHrefQuery, queryEncoder } from "../../src/url/encode_query.ts";
import { LinkResolver } from "../../src/url/resolve_href.ts";

// WHATWG URL, query state: "Percent-encode after encoding, with encoding,
// buffer, and queryPercentEncodeSet" — and the encoder's errors become
// "&#" + code point + ";", which are then percent-encoded (%26%23...%3B).
Deno.test("encodeHrefQuery() encodes a query in the page's encoding", () => {
  const r = (href: string, encoding: string) =>
    new LinkResolver("http://a.test/d/p", { encoding }).resolve(href);
  assert.equal(r("?q=caf\u00e9", "windows-1252"), "http://a.test/d/p?q=caf%E9");
  assert.equal(
    r("/caf\u00e9?q=caf\u00e9#caf\u00e9", "windows-1252"),
    "http://a.test/caf%C3%A9?q=caf%E9",
  );
  assert.equal(r("?q=\u20ac", "windows-1252"), "http://a.test/d/p?q=%80");
  assert.equal(r("?q=\u0101", "windows-1252"), "http://a.test/d/p?q=%26%23257%3B");
  assert.equal(r("?q=\u{1F600}", "iso-8859-2"), "http://a.test/d/p?q=%26%23128512%3B");
  assert.equal(r("?q=\u041f\u0440\u0438", "windows-1251"), "http://a.test/d/p?q=%CF%F0%E8");
  assert.equal(r("?q=\u30c6\u30b9\u30c8", "shift_jis"), "http://a.test/d/p?q=%83e%83X%83g");
  assert.equal(r("?q=\u00e5", "shift_jis"), "http://a.test/d/p?q=%26%23229%3B");
  assert.equal(r("?q=\u00a5", "shift_jis"), "http://a.test/d/p?q=\\");
  assert.equal(r("?q=\uff71", "euc-jp"), "http://a.test/d/p?q=%8E%B1");
  assert.equal(r("?q=\u4e2d\u6587", "gbk"), "http://a.test/d/p?q=%D6%D0%CE%C4");
  assert.equal(r("?q=\u20ac", "gbk"), "http://a.test/d/p?q=%80");
  assert.equal(r("?q=\u00e5", "gbk"), "http://a.test/d/p?q=%26%23229%3B");
  assert.equal(r("?q=\u00e5", "gb18030"), "http://a.test/d/p?q=%810%8A2");
  assert.equal(r("?q=\u{1F600}", "gb18030"), "http://a.test/d/p?q=%949%FC6");
  assert.equal(r("?q=\ud55c\uad6d", "euc-kr"), "http://a.test/d/p?q=%C7%D1%B1%B9");
  assert.equal(r("?q=\u4e2d", "big5"), "http://a.test/d/p?q=%A4%A4");
  assert.equal(r("?q=caf\u00e9", "utf-8"), "http://a.test/d/p?q=caf%C3%A9");
  assert.equal(r("?q=caf\u00e9", "utf-16le"), "http://a.test/d/p?q=caf%C3%A9");
  assert.equal(r("?q=%E9&r=\u00e9", "windows-1252"), "http://a.test/d/p?q=%E9&r=%E9");
  assert.equal(encodeHrefQuery("/\u00e9#?\u00e9", "windows-1252"), "/\u00e9#?\u00e9");
  assert.equal(encodeHrefQuery("?\u00e9?\u00e9#\u00e9", "windows-1252"), "?%E9?%E9#\u00e9");
});

function percentDecodeBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%" && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s.charCodeAt(i));
  }
  return Uint8Array.from(out);
}

/**
 * The Encoding standard's one-way mappings: the Shift_JIS and EUC-JP
 * encoders write U+00A5 as 0x5C and U+203E as 0x7E, which decode as `\\` and `~`,
 * and U+2212 (minus sign) as U+FF0D's bytes, which decode as the full-width hyphen-minus.
 */
const ONE_WAY: Record<string, Record<string, string>> = {
  shift_jis: { "\u00a5": "\\", "\u203e": "~", "\u2212": "\uff0d" },
  "euc-jp": { "\u00a5": "\\", "\u203e": "~", "\u2212": "\uff0d" },
};

Deno.test("a yen sign or an overline in a Shift_JIS or EUC-JP query is written as the standard says", () => {
  for (const encoding of ["shift_jis", "euc-jp"]) {
    const u = new URL(encodeHrefQuery("/p?a=\u00a5\u203e", encoding), "http://a.test/");
    assert.equal(u.search, "?a=\\~", encoding); // 0x5C and 0x7E, which a query keeps as they are
  }
});

Deno.test("a minus sign in a Shift_JIS or EUC-JP query is written as the full-width hyphen-minus", () => {
  const bytes = { shift_jis: "?a=%81|", "euc-jp": "?a=%A1%DD" };
  for (const [encoding, search] of Object.entries(bytes)) {
    const u = new URL(encodeHrefQuery("/p?a=\u2212", encoding), "http://a.test/");
    assert.equal(u.search, search, encoding);
    assert.equal(new TextDecoder(encoding).decode(percentDecodeBytes(u.search.slice(3))), "\uff0d");
  }
});

// The encoders are the decoders' tables reversed: what a page's encoding can
// hold comes back from TextDecoder as it was; the rest is &#N;.
Deno.test("fuzz: a query encoded for a page decodes back with the page's TextDecoder", () => {
  const encodings = [
    "windows-1252",
    "windows-1251",
    "iso-8859-2",
    "iso-8859-7",
    "koi8-r",
    "macintosh",
    "shift_jis",
    "euc-jp",
    "euc-kr",
    "big5",
    "gbk",
    "gb18030",
  ];
  const known = fc.constantFrom(
    ..."aZ09=& +,;:-_.~!$()*/?@[]'\"<>".split(""),
    ..."\u00e9\u00fc\u00df\u20ac\u00a0\u041f\u0440\u03bb\u8868\u30c6\uff71\u4e2d\u6587\ud55c\u00e5\u00a5\u203e\u2212"
      .split(""),
    "\u{1F600}",
    "\u{20000}",
  );
  const any = fc.integer({ min: 0x80, max: 0x2ffff }).filter((c) => c < 0xd800 || c > 0xdfff)
    .map((c) => String.fromCodePoint(c));
  fc.assert(
    fc.property(
      fc.constantFrom(...encodings),
      fc.array(fc.oneof(known, any), { maxLength: 10 }),
      (encoding, chars) => {
        const enc = queryEncoder(encoding)!;
        const query = chars.join("");
        const u = new URL(encodeHrefQuery("/p?" + query + "z", encoding), "http://a.test/");
        const back = new TextDecoder(encoding).decode(percentDecodeBytes(u.search.slice(1, -1)));
        const expected = chars.map((c) =>
          c.charCodeAt(0) < 0x80
            ? c
            : enc(c.codePointAt(0)!) === null
            ? `&#${c.codePointAt(0)};`
            : (ONE_WAY[encoding]?.[c] ?? c)
        ).join("");
        assert.equal(back, expected, `${encoding}: ${JSON.stringify(query)}`);
      },
    ),
    { numRuns: 3000 },
  );
});
