import assert from "node:assert/strict";
import fc from "fast-check";
import { HtmlScanner, type ScanSink, type TagAttrs } from "../../src/html/html_scanner.ts";

/** Records what the scanner reports, with no foreign content. */
function scan(chunks: string[], options: { hugeTag?: number; all?: boolean } = {}): string[] {
  const seen: string[] = [];
  const sink: ScanSink = {
    isInForeignContext: () => false,
    allTags: () => options.all ?? false,
    startTag: (name: string, attrs: TagAttrs, selfClosing: boolean) =>
      seen.push(
        `<${name}${attrs.href !== undefined ? ` href=${attrs.href}` : ""}${
          selfClosing ? "/" : ""
        }>`,
      ),
    endTag: (name: string) => seen.push(`</${name}>`),
    title: (text: string) => seen.push(`title:${text}`),
  };
  const s = new HtmlScanner(sink, { hugeTag: options.hugeTag });
  for (const c of chunks) s.write(c);
  s.end();
  return seen;
}

const links = (html: string) => scan([html]).filter((t) => t.startsWith("<a"));

// WHATWG HTML §13.2.5.43-52: a comment ends at "-->" or "--!>", and "<!-->"
// and "<!--->" are empty comments.
Deno.test("HtmlScanner ends comments where the HTML tokenizer does", () => {
  assert.deepEqual(links("<!--><a href=1>"), ["<a href=1>"]);
  assert.deepEqual(links("<!---><a href=2>"), ["<a href=2>"]);
  assert.deepEqual(links("<!-- <a href=no> --!><a href=3>"), ["<a href=3>"]);
  assert.deepEqual(links("<!-- --!!> <a href=no> -- > <a href=no> ---><a href=4>"), [
    "<a href=4>",
  ]);
  assert.deepEqual(links('<!DOCTYPE html PUBLIC "a>b"><a href=5>'), ["<a href=5>"]);
  assert.deepEqual(links("<?xml <a href=no> ?><a href=6>"), ["<a href=6>"]);
  assert.deepEqual(links("</ x <a href=no>><a href=7>"), ["<a href=7>"]);
});

// §13.2.5.2-3 (RCDATA, RAWTEXT): only the element's own end tag, followed by
// white space, "/" or ">", ends it, in any case.
Deno.test("HtmlScanner reads raw text up to the element's own end tag", () => {
  assert.deepEqual(scan(["<title>a <b> </titlex> c</TITLE >x"]), [
    "<title>",
    "title:a <b> </titlex> c",
  ]);
  assert.deepEqual(links("<style>a{} <a href=no></style><a href=1>"), ["<a href=1>"]);
  assert.deepEqual(links("<textarea><a href=no></textarea/><a href=2>"), ["<a href=2>"]);
  assert.deepEqual(links("<xmp><a href=no></xmp><iframe><a href=no></iframe><a href=3>"), [
    "<a href=3>",
  ]);
  assert.deepEqual(links("<plaintext></plaintext><a href=no>"), []);
  // An unfinished title ends with the document.
  assert.deepEqual(scan(["<title>open </titl"]), ["<title>", "title:open </titl"]);
});

// §13.2.5.4 and 13.2.5.15-32: "<!--" in a script starts the escaped states,
// where "<script>" starts a double escape that "</script>" only leaves.
Deno.test("HtmlScanner follows the script data escape states", () => {
  assert.deepEqual(links("<script>if (a<b) x='</scrip'</script><a href=1>"), ["<a href=1>"]);
  assert.deepEqual(
    links("<script><!--<script>x</script><a href=no>--></script><a href=2>"),
    ["<a href=2>"],
  );
  assert.deepEqual(links("<script><!-- x </script><a href=3>"), ["<a href=3>"]);
  assert.deepEqual(links("<script><!--<script>--></script><a href=4>"), ["<a href=4>"]);
});

// §13.2.5.33-42: a quoted attribute value may hold ">", an end tag's too.
Deno.test("HtmlScanner reads attributes as the HTML tokenizer does", () => {
  assert.deepEqual(links(`<a title='>' href="/x">`), ["<a href=/x>"]);
  assert.deepEqual(links(`<a href=/y title=">"/>`), ["<a href=/y/>"]);
  assert.deepEqual(links(`<a href="/1" href="/2">`), ["<a href=/1>"]);
  assert.deepEqual(links(`<A HREF=/z/>`), ["<a href=/z/>"]);
  assert.deepEqual(links(`<a =x href=/e>`), ["<a href=/e>"]);
  assert.deepEqual(links(`<a href="/u&amp;v">`), ["<a href=/u&v>"]);
  assert.deepEqual(scan([`<a href='/s'/>`]), ["<a href=/s/>"]);
  // An unfinished tag at the end is dropped.
  assert.deepEqual(links(`<a href="/open`), []);
});

Deno.test("HtmlScanner reports end tags only while all tags matter", () => {
  assert.deepEqual(scan(["<p></p><a href=1></a>"]), ["<a href=1>"]);
  assert.deepEqual(scan(["<p></p><a href=1></a>"], { all: true }), [
    "<p>",
    "</p>",
    "<a href=1>",
    "</a>",
  ]);
});

const pieces = fc.array(
  fc.constantFrom(
    "<a href='/x y'>",
    '<a title=">" href=/q>',
    "<title>T &amp; t",
    "</title>",
    "<script>",
    "<!--",
    "-->",
    "</script>",
    "<style>",
    "</style >",
    "<p class=x>",
    "text",
    "<",
    ">",
    '"',
    "'",
    "</a>",
    "<area href=/r/>",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE html>",
    "<a href=" + "v".repeat(40) + ">",
    "<p data-x='" + "w".repeat(40) + "'>",
    "</p title='" + ">".repeat(3) + "'>",
  ),
  { maxLength: 30 },
).map((p) => p.join(""));

function cut(html: string, at: number[]): string[] {
  const out: string[] = [];
  let last = 0;
  for (const c of [...at].sort((a, b) => a - b)) {
    const k = Math.min(c, html.length);
    out.push(html.slice(last, k));
    last = k;
  }
  out.push(html.slice(last));
  return out;
}

Deno.test("fuzz: HtmlScanner reports the same wherever chunks are cut, huge tags included", () => {
  fc.assert(
    fc.property(pieces, fc.array(fc.nat(600), { maxLength: 12 }), fc.boolean(), (html, at, all) => {
      const whole = scan([html], { all });
      assert.deepEqual(scan(cut(html, at), { all }), whole, html);
      // With a tiny huge-tag limit, tags that span chunks take the resumable path.
      assert.deepEqual(scan(cut(html, at), { all, hugeTag: 4 }), whole, html);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("HtmlScanner keeps a tag that spans many chunks without re-reading it", () => {
  const value = "/" + "v".repeat(200_000);
  const html = `<p x='${"y".repeat(200_000)}'><a rel=n href="${value}">`;
  const chunks = cut(html, Array.from({ length: 100 }, (_, i) => i * 4096));
  const seen = scan(chunks);
  assert.deepEqual(seen, [`<a href=${value}>`]);
});
