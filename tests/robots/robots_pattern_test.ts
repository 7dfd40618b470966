import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalRobotsPath, robotsPatternMatches } from "../../src/robots/robots_pattern.ts";

Deno.test("canonicalRobotsPath() follows the table of RFC 9309 §2.2.2", () => {
  // | Path | Encoded path | Path to match |
  assert.equal(canonicalRobotsPath("/foo/bar?baz=quz"), "/foo/bar?baz=quz");
  assert.equal(canonicalRobotsPath("/foo/bar/\u30c4"), "/foo/bar/%E3%83%84");
  assert.equal(canonicalRobotsPath("/foo/bar/%E3%83%84"), "/foo/bar/%E3%83%84");
  assert.equal(canonicalRobotsPath("/foo/bar/%62%61%7A"), "/foo/bar/baz");
  assert.equal(canonicalRobotsPath("/a%2fb%3F"), "/a%2Fb%3F", "reserved escapes stay escaped");
  assert.equal(canonicalRobotsPath("/f[0]|x y"), "/f[0]%7Cx%20y");
  assert.equal(canonicalRobotsPath("/\u{1F600}"), "/%F0%9F%98%80");
  assert.equal(canonicalRobotsPath("/100%"), "/100%", "a lone % stays");
});

// Whatever the URL parser does to a path written in an href, the rule written
// the same way must still match it.
Deno.test("canonicalRobotsPath() agrees with the WHATWG URL parser's output", () => {
  const piece = fc.oneof(
    fc.constantFrom(
      ..."abcXYZ019-_~/?[]@!$&'()*+,;=:|^`{}<>\" %".split(""),
      "%7e",
      "%7E",
      "%41",
      "%2F",
      "%5b",
      "%c3%a9",
      "\u00e9",
      "\u30c4",
      "\u{1F600}",
      "\u00a0",
    ),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
      const raw = "/p/" + parts.join("") + "z"; // the parser trims trailing spaces
      const u = new URL(raw, "http://a.test");
      const parsed = u.href.slice(u.origin.length);
      assert.equal(
        canonicalRobotsPath(parsed),
        canonicalRobotsPath(raw),
        `${raw} parsed as ${parsed}`,
      );
    }),
    { numRuns: 500 },
  );
});

Deno.test("robotsPatternMatches() treats * as any run and a final $ as the end", () => {
  assert.equal(robotsPatternMatches("/a", "/abc"), true);
  assert.equal(robotsPatternMatches("/a$", "/abc"), false);
  assert.equal(robotsPatternMatches("/a$", "/a"), true);
  assert.equal(robotsPatternMatches("*", "/anything"), true);
  assert.equal(robotsPatternMatches("/*/c$", "/a/b/c"), true);
  assert.equal(robotsPatternMatches("/*/c$", "/a/b/cd"), false);
  assert.equal(robotsPatternMatches("/a*b*c", "/axxbyyc/z"), true);
  assert.equal(robotsPatternMatches("/a*b*c", "/axxcyyb"), false);
  assert.equal(robotsPatternMatches("/$x", "/$x"), true, "a $ inside is a character");
  assert.equal(robotsPatternMatches("b", "/b"), false, "the match starts at the first character");
});
