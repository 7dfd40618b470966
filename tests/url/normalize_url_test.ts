import assert from "node:assert/strict";
import { normalizePercent, normalizeUrl } from "../../src/url/normalize_url.ts";

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
