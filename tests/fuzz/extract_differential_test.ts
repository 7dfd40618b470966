/**
 * skein's link extraction (htmlparser2's tokenizer, no tree) against a
 * spec-compliant HTML parser (parse5, which passes the html5lib tests): on
 * generated hostile markup, the links skein finds are the `a[href]` and
 * `area[href]` elements of parse5's DOM, resolved and normalized the same way.
 *
 * Documented choices (README "Behaviour"), applied to the oracle below:
 * - The oracle parses with scripting disabled: a crawler runs no scripts, so
 *   it reads `<noscript>` content as markup, as such a browser would.
 * - `a[href]` matches elements named `a` or `area` in any namespace (SVG and
 *   MathML `<a href>` too) whose `href` attribute has no namespace: an SVG
 *   `xlink:href` is not matched, as in `document.querySelectorAll`.
 * - `<template>` content is not part of the document tree (it is a separate
 *   fragment, which `querySelectorAll` does not search), so its links do not
 *   count.
 * - The base URL is the first HTML `<base>` with an `href` in the tree.
 * - HTML end tags inside SVG/MathML content are not generated (see
 *   `htmlEndTagInForeign`): skein does not track HTML elements.
 * - Links are compared as sets: skein lists them in source order, the DOM in
 *   tree order (foster parenting moves an `<a>` out of a table).
 * - `<select>` is not generated: parse5 8.1.1 still drops tags inside it (the
 *   former "in select" insertion mode), while the current HTML standard
 *   (whatwg/html#10557, customizable select) parses them as in `<body>`, as
 *   skein does: a link inside `<select>` is a link.
 * - `<frameset>` is not generated: once a frameset starts, the tree builder
 *   drops everything but frames; skein, having no tree builder, keeps links
 *   written after it (an obsolete construct; Scrapy's lxml keeps them too).
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse } from "parse5";
import { extractPage, resolveLinks } from "../../src/html/extract_page.ts";

const PAGE = "http://a.test/dir/page.html";
const HTML_NS = "http://www.w3.org/1999/xhtml";

interface P5Node {
  nodeName: string;
  tagName?: string;
  namespaceURI?: string;
  attrs?: { name: string; value: string; namespace?: string }[];
  childNodes?: P5Node[];
}

/** The links a browser's `querySelectorAll("a[href], area[href]")` gives, resolved like skein. */
function oracleLinks(html: string): string[] {
  const doc = parse(html, { scriptingEnabled: false }) as unknown as P5Node;
  const hrefs: string[] = [];
  let baseHref: string | null = null;
  const walk = (n: P5Node) => {
    if (n.tagName !== undefined) {
      const href = n.attrs?.find((a) => a.name === "href" && !a.namespace);
      if (href && (n.tagName === "a" || n.tagName === "area")) hrefs.push(href.value);
      if (href && n.tagName === "base" && n.namespaceURI === HTML_NS) baseHref ??= href.value;
    }
    // A <template>'s children live in its `content` fragment, not in childNodes.
    for (const c of n.childNodes ?? []) walk(c);
  };
  walk(doc);
  const page = new URL(PAGE);
  let base = page;
  if (baseHref !== null) {
    try {
      const b = new URL(baseHref, page);
      if (b.protocol === "http:" || b.protocol === "https:") base = b;
    } catch {
      // ignored, as by skein and browsers
    }
  }
  return resolveLinks(hrefs, base, { page });
}

async function skeinLinks(html: string, cuts: number[]): Promise<string[]> {
  async function* chunks() {
    let last = 0;
    for (const c of [...cuts].sort((a, b) => a - b)) {
      const k = Math.min(c, html.length);
      yield html.slice(last, k);
      last = k;
    }
    yield html.slice(last);
  }
  return (await extractPage(chunks(), PAGE)).links;
}

const hrefValue = fc.array(
  fc.constantFrom(
    "/a",
    "b",
    "c/",
    "?q=1",
    "#f",
    "",
    " ",
    "\t",
    "\n",
    "&nbsp;",
    "\u00a0",
    "\u3000",
    "&amp;",
    "&amp",
    "&ampx",
    "&lt;",
    "&#x41;",
    "&#0;",
    "&notit;",
    "&not",
    "=",
    "&",
    "%20",
    "http://o.test/x",
    "//p.test/y",
    "javascript:x",
    "../u",
    "x y",
    "\u00e9",
    '"',
    "'",
    ">",
    "<",
    "/",
  ),
  { maxLength: 4 },
).map((p) => p.join(""));

const quoted = hrefValue.chain((v) =>
  fc.constantFrom(
    `"${v.replaceAll('"', "&quot;")}"`,
    `'${v.replaceAll("'", "&#39;")}'`,
    v.replace(/[\s"'<>=`]/g, "") || "z",
  )
);

const attrs = fc.array(
  fc.oneof(
    quoted.map((q) => `href=${q}`),
    quoted.map((q) => `HREF = ${q}`),
    quoted.map((q) => `xlink:href=${q}`),
    fc.constantFrom("class=x", "hre=y", "/", "title='<a href=/t>'", "href", 'a="b"'),
  ),
  { maxLength: 3 },
).map((a) => a.map((x) => " " + x).join(""));

const tag = fc.tuple(
  fc.constantFrom("a", "A", "area", "base", "p", "div", "span", "font", "img", "br", "table", "b"),
  attrs,
  fc.constantFrom(">", "/>", " >", ""),
).map(([t, a, end]) => `<${t}${a}${end}`);

const piece = fc.oneof(
  { weight: 6, arbitrary: tag },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      "</a>",
      "</area>",
      "text",
      " & ",
      "<",
      ">",
      "&amp;",
      "<!--",
      "-->",
      "<!-->",
      "<!--->",
      "--!>",
      "<!-- <a href=/c> -->",
      "<! bogus >",
      "<?pi <a href=/pi> ?>",
      "</ x>",
      "</>",
      "<!doctype html>",
      "<script>",
      "</script>",
      "<style>",
      "</style>",
      "<title>",
      "</title>",
      "<textarea>",
      "</textarea>",
      "<xmp>",
      "</xmp>",
      "<iframe>",
      "</iframe>",
      "<noembed>",
      "</noembed>",
      "<noframes>",
      "</noframes>",
      "<noscript>",
      "</noscript>",
      "<template>",
      "</template>",
      "<svg>",
      "</svg>",
      "<svg/>",
      "<math>",
      "</math>",
      "<foreignObject>",
      "</foreignObject>",
      "<foreignobject>",
      "<desc>",
      "</desc>",
      "<mi>",
      "</mi>",
      "<mtext>",
      "</mtext>",
      '<annotation-xml encoding="text/html">',
      "<annotation-xml>",
      "</annotation-xml>",
      "<![CDATA[",
      "]]>",
      "<font color=red>",
      "<font>",
      "<div>",
      "</div>",
      "</span>",
      "<g>",
      "</g>",
      "<image>",
      "<svg><svg>",
      "<math><svg>",
      "<tr><td>",
      "</td>",
      "<plaintext>",
      "<a",
      "<a href=",
      "<li>",
      "</title",
      "<mglyph>",
      "<malignmark/>",
      '<annotation-xml encoding="Application/XHTML+XML">',
      "<svg><foreignObject><p>",
      "<desc/>",
      "<title/>",
      "<svg><title><p></title>",
      "<![CDATA[x]]>",
      "]]",
      "<!--<a href=/c>--!><a href=/d>",
      "</p>",
      "</br>",
      "<table>",
      "<head>",
      "<body>",
      "</body>",
      "</html>",
      "<script><!--",
      "<!--<script>",
      "</script >",
      "<script>x</script/>",
      "-->",
      "<ScRiPt>",
      "</SCRIPT>",
      '<!DOCTYPE x "a>b">',
      "<title>a</title x='>'>",
    ),
  },
);

const hostile = fc.array(piece, { maxLength: 25 }).map((p) => p.join(""));

/** End tags the tokenizer's model of SVG and MathML content handles exactly. */
const FOREIGN_END_TAGS = new Set([
  "svg",
  "math",
  "foreignobject",
  "desc",
  "title",
  "mi",
  "mo",
  "mn",
  "ms",
  "mtext",
  "annotation-xml",
  "g",
  "mglyph",
  "malignmark",
  "p",
  "br",
]);

/**
 * The documented approximation: skein does not track HTML elements, so an
 * HTML end tag met inside SVG or MathML content (`<div><svg></div>`), which the
 * tree builder may take as closing the SVG through an HTML ancestor, is not
 * modelled. Such inputs are left out (found by a plain scan, which leaves out
 * a few more than needed).
 */
function htmlEndTagInForeign(html: string): boolean {
  let depth = 0;
  for (const m of html.matchAll(/<(\/?)([A-Za-z][^\s/>]*)/g)) {
    const name = m[2].toLowerCase();
    const isEnd = m[1] === "/";
    if (name === "svg" || name === "math") depth = Math.max(0, depth + (isEnd ? -1 : 1));
    else if (isEnd && depth > 0 && !FOREIGN_END_TAGS.has(name)) return true;
  }
  return false;
}

Deno.test("fuzz: extractPage() finds the a[href] and area[href] of a spec parser's DOM", async () => {
  await fc.assert(
    fc.asyncProperty(hostile, fc.array(fc.nat(300), { maxLength: 4 }), async (html, cuts) => {
      fc.pre(!htmlEndTagInForeign(html));
      // Compared as sets: skein lists links in source order, the DOM in tree
      // order (foster parenting moves an <a> in a table before the table, the
      // adoption agency clones <a> elements).
      const sorted = (xs: string[]) => [...xs].sort();
      assert.deepEqual(sorted(await skeinLinks(html, cuts)), sorted(oracleLinks(html)), html);
    }),
    { numRuns: Number(Deno.env.get("FUZZ_RUNS") ?? 3000) },
  );
});

Deno.test("extractPage() agrees with the spec parser on SVG, MathML and template content", async () => {
  const cases: [string, string[]][] = [
    [`<svg><title><a href="/t">t</a></title></svg>`, ["/t"]],
    [`<svg><desc><a href="/d">d</a></desc></svg>`, ["/d"]],
    [`<svg><foreignObject><p><a href="/f">f</a></p></foreignObject></svg>`, ["/f"]],
    [`<svg><a href="/s">s</a><a xlink:href="/x">x</a></svg>`, ["/s"]],
    [`<svg><style><a href="/st"></style></svg>`, ["/st"]],
    [`<svg><script><a href="/sc"></script></svg>`, ["/sc"]],
    [`<math><mi><a href="/mi">m</a></mi></math>`, ["/mi"]],
    [`<svg><![CDATA[<a href="/cd">]]></svg><![CDATA[ > <a href="/h">]]>`, ["/h"]],
    [`<template><a href="/tpl">t</a></template><a href="/after">a</a>`, ["/after"]],
    [`<title><a href="/in-title"></title><textarea><a href="/ta"></textarea>`, []],
    [`<noscript><a href="/ns">n</a></noscript>`, ["/ns"]],
  ];
  for (const [html, want] of cases) {
    const expected = want.map((p) => new URL(p, PAGE).href);
    assert.deepEqual(oracleLinks(html), expected, `oracle: ${html}`);
    assert.deepEqual(await skeinLinks(html, []), expected, html);
  }
});

Deno.test("extractPage() keeps links where skein deliberately differs from parse5 8.1", async () => {
  // The current HTML standard parses <select> content as in <body>; parse5 drops it.
  assert.deepEqual(oracleLinks(`<select><a href="/s">s</a></select>`), []);
  assert.deepEqual(await skeinLinks(`<select><a href="/s">s</a></select>`, []), [
    new URL("/s", PAGE).href,
  ]);
  // A crawler runs no scripts: <noscript> holds markup (the oracle is told so too).
  assert.deepEqual(await skeinLinks(`<noscript><a href="/n">n</a></noscript>`, []), [
    new URL("/n", PAGE).href,
  ]);
});
