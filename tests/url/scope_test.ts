import assert from "node:assert/strict";
import { compileScope, inScope } from "../../src/url/scope.ts";

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
