import assert from "node:assert/strict";
import fc from "fast-check";
import { LinkResolver, stripHref } from "../../src/url/resolve_href.ts";
import { normalizeUrl } from "../../src/url/normalize_url.ts";

/** The slow path, for comparison: parse and normalize every time. */
function reference(href: string, base: string): string | null {
  return normalizeUrl(href, base);
}

Deno.test("LinkResolver.resolve() agrees with parse-and-normalize on common hrefs", () => {
  const bases = [
    "http://a.test/dir/page.html",
    "https://a.test:8443/",
    "http://a.test/x?y=1",
    "http://a.test/a/b/c/d.html",
  ];
  const hrefs = [
    "/s3/p12.html",
    "p12.html",
    "sub/p.html?x=1&y=2",
    "./p.html",
    "../up.html",
    "/a/../b",
    "/a/./b",
    "?only=query",
    "//other.test/x",
    "http://other.test/x",
    "HTTP://Other.TEST:80/x",
    "/%7euser",
    "/a b",
    "/é",
    "p.html#frag",
    "/p?",
    "mailto:x@y.z",
    "javascript:void(0)",
    "",
    "#top",
    "/a\\b",
    "a:b",
    "/.",
    "/..",
    "..",
    "/x/..",
    "../../../../x.html",
    "./../x",
    ".../x",
    "../",
    "./",
    "../s15/p623.html",
  ];
  for (const base of bases) {
    const r = new LinkResolver(base);
    for (const h of hrefs) assert.equal(r.resolve(h), reference(h, base), `${h} against ${base}`);
  }
});

// WHATWG URL: the parser strips leading and trailing "C0 control or space"
// and nothing else; HTML's href is handed to it as it is.
Deno.test("LinkResolver.resolve() strips only C0 controls and spaces around an href", () => {
  const r = new LinkResolver("http://a.test/dir/page");
  assert.equal(r.resolve(" \t\n\f\r/x \n"), "http://a.test/x");
  assert.equal(r.resolve("\u0001/x\u001f"), "http://a.test/x");
  assert.equal(r.resolve("\u00a0/x"), "http://a.test/dir/%C2%A0/x");
  assert.equal(r.resolve("\u3000/x"), "http://a.test/dir/%E3%80%80/x");
  assert.equal(r.resolve("\ufeff/x"), "http://a.test/dir/%EF%BB%BF/x");
  assert.equal(r.resolve("/x\u2028"), "http://a.test/x%E2%80%A8");
  assert.equal(stripHref(" \u00a0x\u3000 "), "\u00a0x\u3000");
});

Deno.test("fuzz: LinkResolver.resolve() equals parse-and-normalize for any href", () => {
  const alphabet = fc.constantFrom(..."abc/.?#%&=~-_:@!$'()*+,;ABC019 é\\\u00a0\u3000\t".split(""));
  const href = fc.array(alphabet, { maxLength: 24 }).map((a) => a.join(""));
  const base = fc.constantFrom(
    "http://a.test/",
    "http://a.test/dir/page.html",
    "https://a.test:8443/d/e/",
    "http://u:p@a.test/x",
    "http://a.test/%7Ex/y",
  );
  fc.assert(
    fc.property(href, base, (h, b) => {
      assert.equal(new LinkResolver(b).resolve(h), reference(h, b));
    }),
    { numRuns: 20000 },
  );
});

Deno.test("fuzz: LinkResolver.resolve() equals parse-and-normalize for absolute hrefs", () => {
  const hostPart = fc.constantFrom(
    ..."a b z 0 9 - . .. xn-- xn--bcher-kva 0x7f 1 255 256 A : :80 :8080 @ u@ é ß _ % %41 [::1] \t"
      .split(" "),
  );
  const host = fc.array(hostPart, { maxLength: 8 }).map((a) => a.join(""));
  const path = fc.array(fc.constantFrom(..."/ a . .. ? # %7e é \\ //".split(" ")), {
    maxLength: 5,
  }).map((a) => a.join(""));
  const scheme = fc.constantFrom("http://", "https://", "HTTP://", "http:", "http:/", "https:///");
  fc.assert(
    fc.property(scheme, host, path, (s, h, p) => {
      const href = s + h + p;
      assert.equal(
        new LinkResolver("http://a.test/d/").resolve(href),
        reference(href, "http://a.test/d/"),
      );
    }),
    { numRuns: 20000 },
  );
});
