import assert from "node:assert/strict";
import { hostnameOf, hostOf, originOf } from "../../src/url/url_parts.ts";

Deno.test("url parts read host, hostname and origin without parsing", () => {
  assert.equal(originOf("http://u:p@a.test:81/x"), "http://a.test:81");
  assert.equal(hostOf("https://a.test/x"), "a.test");
  assert.equal(hostnameOf("http://a.test:81/x"), "a.test");
  assert.equal(hostnameOf("http://[::1]:81/x"), "[::1]");
  assert.equal(originOf("http://a.test"), "http://a.test");
});
