import assert from "node:assert/strict";
import { normalizePercent, normalizeUrl } from "../../src/url/normalize_url.ts";
import { compileScope, inScope } from "../../src/url/scope.ts";
import { hostnameOf, hostOf, originOf } from "../../src/url/url_parts.ts";

const cases: [string, string | null][] = [
  ["HTTP://Example.COM/", "http://example.com/"],
  ["http://example.com:80/a", "http://example.com/a"],
  ["https://example.com:443/a", "https://example.com/a"],
  ["https://example.com:8443/a", "https://example.com:8443/a"],
  ["http://example.com/a/./b/../c", "http://example.com/a/c"],
  ["http://example.com/page#section", "http://example.com/page"],
  ["http://example.com/%7euser/%2f?q=%41%2a", "http://example.com/~user/%2F?q=A%2A"],
  ["http://example.com", "http://example.com/"],
  ["http://bücher.example/", "http://xn--bcher-kva.example/"],
  ["http://example.com./x", "http://example.com/x"],
  ["http://example.com..:8080/x", "http://example.com:8080/x"],
  ["http://./", null],
  ["http://..:81/", null],
  ["http://2130706433/", "http://127.0.0.1/"],
  ["http://0x7f.1/", "http://127.0.0.1/"],
  ["http://[::FFFF:127.0.0.1]:80/", "http://[::ffff:7f00:1]/"],
  ["mailto:a@b.c", null],
  ["javascript:void(0)", null],
  ["ftp://example.com/", null],
  ["not a url", null],
  ["http://", null],
];

for (const [input, want] of cases) {
  Deno.test(`normalizeUrl() maps ${JSON.stringify(input)} to ${want}`, () => {
    assert.equal(normalizeUrl(input), want);
  });
}

Deno.test("normalizeUrl() resolves relative references against a base", () => {
  assert.equal(normalizeUrl("../x?y#z", "http://a.test/b/c/d"), "http://a.test/b/x?y");
  assert.equal(normalizeUrl("//other.test/p", "https://a.test/"), "https://other.test/p");
});

Deno.test("normalizeUrl() is idempotent", () => {
  for (const [input] of cases) {
    const once = normalizeUrl(input);
    if (once !== null) assert.equal(normalizeUrl(once), once);
  }
});

Deno.test("normalizePercent() leaves malformed escapes alone", () => {
  assert.equal(normalizePercent("/a%zz%4"), "/a%zz%4");
  assert.equal(normalizePercent("/%e2%82%ac"), "/%E2%82%AC");
});

Deno.test("url parts read host, hostname and origin without parsing", () => {
  assert.equal(originOf("http://u:p@a.test:81/x"), "http://a.test:81");
  assert.equal(hostOf("https://a.test/x"), "a.test");
  assert.equal(hostnameOf("http://a.test:81/x"), "a.test");
  assert.equal(hostnameOf("http://[::1]:81/x"), "[::1]");
  assert.equal(originOf("http://a.test"), "http://a.test");
});

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

Deno.test("inScope() with domain scope uses the registrable domain (public suffix list)", () => {
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
