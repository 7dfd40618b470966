import assert from "node:assert/strict";
import fc from "fast-check";
import { LinkResolver } from "../../src/url/resolve_href.ts";
import { normalizeUrl } from "../../src/url/normalize_url.ts";

/** The slow path, for comparison: parse and normalize every time. */
function reference(href: string, base: string): string | null {
  return normalizeUrl(href.trim(), base);
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

Deno.test("fuzz: LinkResolver.resolve() equals parse-and-normalize for any href", () => {
  const alphabet = fc.constantFrom(..."abc/.?#%&=~-_:@!$'()*+,;ABC019 é\\".split(""));
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
