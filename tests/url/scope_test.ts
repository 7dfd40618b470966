import assert from "node:assert/strict";
import { compileScope, inScope, loadScopeKind } from "../../src/url/scope.ts";
import fc from "fast-check";
import { normalizeUrl } from "../../src/url/normalize_url.ts";
import { originOf } from "../../src/url/url_parts.ts";

Deno.test("inScope() with origin scope keeps scheme, host and port", () => {
  const s = compileScope(["http://a.example.com/"], {});
  assert.ok(inScope(s, "http://a.example.com/x"));
  assert.ok(!inScope(s, "https://a.example.com/x"));
  assert.ok(!inScope(s, "http://a.example.com:8080/x"));
  assert.ok(!inScope(s, "http://b.example.com/x"));
});

Deno.test("inScope() with host scope ignores scheme and port", () => {
  const s = compileScope(["http://a.example.com/"], { scope: "host" });
  assert.ok(inScope(s, "https://a.example.com:8443/x"));
  assert.ok(!inScope(s, "http://b.example.com/x"));
});

Deno.test("inScope() with domain scope uses the registrable domain (public suffix list)", async () => {
  await loadScopeKind("domain");
  const s = compileScope(["http://www.example.co.uk/"], { scope: "domain" });
  assert.ok(inScope(s, "https://shop.example.co.uk/"));
  assert.ok(!inScope(s, "https://other.co.uk/"));
  const gh = compileScope(["https://alice.github.io/"], { scope: "domain" });
  assert.ok(!inScope(gh, "https://bob.github.io/"), "private suffixes split sites");
});

Deno.test("inScope() applies include then exclude to the normalized URL", () => {
  const s = compileScope(["http://a.test/"], {
    scope: "all",
    include: ["/docs/"],
    exclude: ["\\.pdf$"],
  });
  assert.ok(inScope(s, "http://elsewhere.test/docs/x.html"));
  assert.ok(!inScope(s, "http://a.test/blog/x.html"));
  assert.ok(!inScope(s, "http://a.test/docs/x.pdf"));
});

Deno.test("inScope() with origin scope agrees with originOf() on tricky and random URLs", () => {
  const seeds = ["http://a.test/", "https://a.test:8443/x", "http://[::1]:8080/", "http://b.test/"];
  const scope = compileScope(seeds.map((s) => normalizeUrl(s)!), { scope: "origin" });
  const expected = (href: string) => scope.keys.has(originOf(href));
  const tricky = [
    "http://a.test/",
    "http://a.test/p?q#f",
    "http://a.test:80/",
    "http://a.test:8080/",
    "http://a.testx/",
    "http://a.tes/",
    "https://a.test/",
    "https://a.test:8443/",
    "https://a.test:844/",
    "https://a.test:44301/",
    "http://user@a.test/",
    "http://user:pw@a.test/x",
    "http://a.test@b.test/",
    "http://a.test/@b.test/",
    "http://[::1]:8080/x",
    "http://[::1]/x",
    "http://b.test/",
    "http://b.test.evil/",
  ];
  for (const href of tricky) {
    const n = normalizeUrl(href);
    assert.ok(n !== null, href);
    assert.equal(inScope(scope, n), expected(n), n);
  }
  fc.assert(
    fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
      const n = normalizeUrl(url);
      if (n !== null) assert.equal(inScope(scope, n), expected(n), n);
    }),
    { numRuns: 2000 },
  );
  // A scope of many origins takes the slow path only, with the same answers.
  const wide = compileScope(
    Array.from({ length: 6 }, (_, i) => `http://h${i}.test/`).concat("http://a.test/"),
    { scope: "origin" },
  );
  assert.equal(inScope(wide, "http://a.test/x"), true);
  assert.equal(inScope(wide, "http://h5.test/"), true);
  assert.equal(inScope(wide, "http://h6.test/"), false);
});
