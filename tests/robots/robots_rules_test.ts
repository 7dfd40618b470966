import assert from "node:assert/strict";
import {
  fetchRobots,
  fetchRobotsFile,
  parseRobots,
  rulesOf,
} from "../../src/robots/robots_rules.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";
import { NetError } from "../../src/net/net_error.ts";
import { createPinnedFetcher } from "../../src/net/pinned_fetcher.ts";
import { parseAllowNets } from "../../src/net/address_policy.ts";
import { crawl } from "../../src/crawl/crawl.ts";
import { startFixtureServer } from "../../fixtures/server.ts";

function fakeFetcher(status: number, body = "", calls: string[] = []): Fetcher {
  return (url) => {
    calls.push(url);
    return Promise.resolve(new Response(body, { status }));
  };
}

Deno.test("parseRobots() applies the most specific group and Crawl-delay", () => {
  const r = parseRobots(
    "http://a.test/robots.txt",
    "User-agent: *\nDisallow: /private/\n\nUser-agent: skein\nDisallow: /nope\nCrawl-delay: 2\n",
  );
  assert.equal(r.isAllowed("http://a.test/private/x", "skein"), true);
  assert.equal(r.isAllowed("http://a.test/nope", "skein/0.1"), false);
  assert.equal(r.isAllowed("http://a.test/private/x", "other"), false);
  assert.equal(r.crawlDelayMs("skein"), 2000);
});

Deno.test("fetchRobots() follows RFC 9309 status rules", async () => {
  const ua = "skein";
  const ok = await fetchRobots("http://a.test", {
    fetcher: fakeFetcher(200, "User-agent: *\nDisallow: /"),
    userAgent: ua,
  });
  assert.equal(ok.isAllowed("http://a.test/x", ua), false);
  const missing = await fetchRobots("http://a.test", { fetcher: fakeFetcher(404), userAgent: ua });
  assert.equal(missing.isAllowed("http://a.test/x", ua), true);
  const broken = await fetchRobots("http://a.test", { fetcher: fakeFetcher(503), userAgent: ua });
  assert.equal(broken.isAllowed("http://a.test/x", ua), false);
  const unreachable = await fetchRobots("http://a.test", {
    fetcher: () => Promise.reject(new TypeError("connection refused")),
    userAgent: ua,
  });
  assert.equal(unreachable.source, "disallow_all");
});

Deno.test("fetchRobots() caps the size it reads", async () => {
  const big = "User-agent: *\n" + "# padding\n".repeat(100_000) + "Disallow: /\n";
  const r = await fetchRobots("http://a.test", {
    fetcher: fakeFetcher(200, big),
    userAgent: "skein",
    maxBytes: 1000,
  });
  assert.equal(r.isAllowed("http://a.test/x", "skein"), true, "rules past the cap are ignored");
});

// RFC 9309 §2.2.2: "Octets in the URI and robots.txt paths outside the range
// of the ASCII coded character set, and those in the reserved range defined
// by RFC 3986, MUST be percent-encoded ... If a percent-encoded ASCII octet is
// encountered in the URI, it MUST be unencoded prior to comparison, unless it
// is a reserved character in the URI ... or the character is outside the
// unreserved character range."
Deno.test("parseRobots() compares rule paths and URLs in one canonical form", () => {
  const r = parseRobots(
    "http://a.test/robots.txt",
    [
      "User-agent: *",
      "Disallow: /%7Ejoe/",
      "Disallow: /search?f[0]=",
      "Disallow: /a|b",
      "Disallow: /foo/bar/\u30c4",
      "Disallow: /p/%e3%83%85",
      "Disallow: /q/%62%61%7A",
      "Disallow: /sl%2Fash",
    ].join("\n"),
  );
  const blocked = (path: string) => !r.isAllowed("http://a.test" + path, "skein");
  assert.equal(blocked("/~joe/index.html"), true, "%7E in the rule is ~");
  assert.equal(blocked("/%7Ejoe/index.html"), true, "%7E in the URL is ~");
  assert.equal(blocked("/%7ejoe/index.html"), true, "hex case does not matter");
  assert.equal(blocked("/search?f[0]=x"), true, "[ and ] stay literal on both sides");
  assert.equal(blocked("/search?f%5B0%5D=x"), false, "reserved characters are not decoded");
  assert.equal(blocked("/a|b/c"), true, "| in both");
  assert.equal(blocked("/a%7Cb/c"), true, "| escaped in the URL");
  assert.equal(blocked("/foo/bar/%E3%83%84"), true, "non-ASCII in the rule is UTF-8 encoded");
  assert.equal(blocked("/p/\u30c5"), true, "non-ASCII in the URL is UTF-8 encoded");
  assert.equal(blocked("/q/baz"), true, "escaped unreserved characters are decoded");
  assert.equal(blocked("/sl/ash"), false, "%2F is not /");
  assert.equal(blocked("/sl%2fash"), true, "%2f is %2F");
  assert.equal(blocked("/other"), false);
});

// RFC 9309 §2.2.3: "*" matches zero or more characters, "$" the end of the pattern.
Deno.test("parseRobots() matches * and a final $ as RFC 9309 says", () => {
  const r = parseRobots(
    "http://a.test/robots.txt",
    "User-agent: *\nDisallow: /*.pdf$\nDisallow: /x/*/y\nDisallow: /cost$a\nDisallow: /**/z$\n",
  );
  const blocked = (path: string) => !r.isAllowed("http://a.test" + path, "skein");
  assert.equal(blocked("/a/b.pdf"), true);
  assert.equal(blocked("/a/b.pdf?x=1"), false, "$ anchors at the end of path and query");
  assert.equal(blocked("/a.pdf/b"), false);
  assert.equal(blocked("/x/1/2/y"), true);
  assert.equal(blocked("/x/y"), false, "a * between two slashes still needs both slashes");
  assert.equal(blocked("/cost$a"), true, "a $ before the end is a character");
  assert.equal(blocked("/q/z"), true);
  assert.equal(blocked("/q/z/"), false);
});

// RFC 9309 §2.2.2: "The most specific match found MUST be used. The most
// specific match is the match that has the most octets ... If an allow rule
// and a disallow rule are equivalent, then the allow rule SHOULD be used."
Deno.test("parseRobots() lets the longest match decide and allow win a tie", () => {
  const r = parseRobots(
    "http://a.test/robots.txt",
    [
      "User-agent: *",
      "Disallow: /",
      "Allow: /pub",
      "Disallow: /pub/private",
      "Allow: /pub/private/ok",
      "Disallow: /tie",
      "Allow: /tie",
      "Allow: /%7Ex",
      "Disallow: /~x",
      "Disallow: /page$",
      "Allow: /page*",
    ].join("\n"),
  );
  const ok = (path: string) => r.isAllowed("http://a.test" + path, "skein");
  assert.equal(ok("/"), false);
  assert.equal(ok("/pub/a"), true);
  assert.equal(ok("/pub/private/a"), false);
  assert.equal(ok("/pub/private/ok/b"), true);
  assert.equal(ok("/tie/x"), true, "allow wins a tie");
  assert.equal(ok("/~x"), true, "a tie after canonicalization too: %7E and ~ are one octet");
  assert.equal(ok("/page"), true, "/page* (6 octets) beats /page$ (6 octets) as allow");
  assert.equal(ok("/robots.txt"), true, "/robots.txt is implicitly allowed");
});

// RFC 9309 §2.1, §2.2.1: groups, product tokens, merging, the * fallback.
Deno.test("parseRobots() finds groups by product token, case-insensitively, and merges them", () => {
  const r = parseRobots(
    "http://a.test/robots.txt",
    [
      "Disallow: /before-any-group",
      "User-agent: *",
      "Disallow: /star",
      "",
      "User-agent: MyBot/2.0",
      "user-agent: OtherBot",
      "Disallow: /both",
      "",
      "USER-AGENT: mybot",
      "Disallow: /merged",
      "Sitemap: http://a.test/sitemap.xml",
      "Disallow: /after-sitemap",
      "",
      "User-agent: Empty",
      "Disallow:",
    ].join("\r\n"),
  );
  const ok = (path: string, agent: string) => r.isAllowed("http://a.test" + path, agent);
  assert.equal(ok("/both", "MYBOT"), false);
  assert.equal(ok("/merged", "MyBot"), false, "two groups naming one token are combined");
  assert.equal(ok("/after-sitemap", "mybot"), false, "other records do not end a group");
  assert.equal(ok("/star", "mybot"), true, "a named group replaces the * group");
  assert.equal(ok("/both", "otherbot"), false);
  assert.equal(ok("/merged", "otherbot"), true);
  assert.equal(ok("/star", "unknown"), false, "the * group applies to other agents");
  assert.equal(ok("/before-any-group", "unknown"), true, "rules before any group are ignored");
  assert.equal(ok("/star", "empty"), true, "an empty Disallow allows everything");
});

Deno.test("parseRobots() reads a Crawl-delay per group", () => {
  const r = parseRobots(
    "http://a.test/robots.txt",
    "User-agent: *\nCrawl-delay: 1.5\n\nUser-agent: slow\nCrawl-delay: 10\nDisallow: /x\n",
  );
  assert.equal(r.crawlDelayMs("skein"), 1500);
  assert.equal(r.crawlDelayMs("Slow"), 10000);
});

Deno.test("fetchRobots() gives refused rules when the address guard refuses the origin", async () => {
  const r = await fetchRobots("http://10.0.0.1", {
    fetcher: () => Promise.reject(new NetError("blocked_address", "Address 10.0.0.1 is private")),
    userAgent: "skein",
  });
  assert.equal(r.source, "refused");
  assert.equal((r.refusal as NetError).code, "blocked_address");
  // A refused redirect target is an unavailable robots.txt, not a refused origin.
  const calls: string[] = [];
  const viaRedirect = await fetchRobots("http://a.test", {
    fetcher: (url) => {
      calls.push(url);
      return url === "http://a.test/robots.txt"
        ? Promise.resolve(
          new Response(null, { status: 301, headers: { location: "http://10.0.0.1/robots.txt" } }),
        )
        : Promise.reject(new NetError("blocked_address", "Address 10.0.0.1 is private"));
    },
    userAgent: "skein",
  });
  assert.deepEqual(calls, ["http://a.test/robots.txt", "http://10.0.0.1/robots.txt"]);
  assert.equal(viaRedirect.source, "allow_all");
});

Deno.test("crawl() reports a URL whose robots.txt the address guard refuses as blocked_address", async () => {
  await using srv = startFixtureServer();
  await using fetcher = createPinnedFetcher({
    allowNets: parseAllowNets("127.0.0.1/32"),
    allowedPorts: null,
  });
  const port = new URL(srv.origin).port;
  const refused = `http://127.0.0.2:${port}/x`;
  const events = [];
  for await (
    const e of crawl(
      [`${srv.origin}/h/redirect?to=${encodeURIComponent(refused)}`, `http://127.0.0.3:${port}/`],
      { scope: "all", retries: 0 },
      { fetcher },
    )
  ) events.push(e);
  const errors = events.filter((e) => e.type === "error");
  assert.deepEqual(
    errors.map((e) => [new URL(e.url).hostname, e.code]).sort(),
    [["127.0.0.1", "blocked_address"], ["127.0.0.3", "blocked_address"]],
  );
  assert.equal(events.filter((e) => e.type === "skipped").length, 0);
});

// RFC 9309 §2.3.1.2: "crawlers SHOULD follow at least five consecutive redirects".
Deno.test("crawl() obeys a robots.txt reached through redirects, up to five hops", async () => {
  const rules = "User-agent: *\nDisallow: /private\n";
  const hits: string[] = [];
  let hops = 5;
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    if (path === "/robots.txt") return Response.redirect(new URL("/r1", req.url), 301);
    const m = /^\/r(\d+)$/.exec(path);
    if (m) {
      const n = Number(m[1]);
      return n < hops
        ? new Response(null, { status: n % 2 ? 302 : 307, headers: { location: `/r${n + 1}` } })
        : new Response(rules);
    }
    return new Response(`<a href="/private">p</a><a href="/public">q</a>`, {
      headers: { "content-type": "text/html" },
    });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const run = async () => {
    hits.length = 0;
    const out: Record<string, string> = {};
    for await (const e of crawl([`${origin}/`], { retries: 0 })) {
      if (e.type !== "done") out[new URL(e.url).pathname] = e.type;
    }
    return out;
  };
  // robots.txt -> r1 -> ... -> r5: five redirects, then the rules.
  assert.deepEqual(await run(), { "/": "page", "/private": "skipped", "/public": "page" });
  assert.deepEqual(hits.filter((p) => p !== "/" && p !== "/public"), [
    "/robots.txt",
    "/r1",
    "/r2",
    "/r3",
    "/r4",
    "/r5",
  ]);
  // One more hop and robots.txt counts as unavailable: everything is allowed.
  hops = 6;
  assert.deepEqual(await run(), { "/": "page", "/private": "page", "/public": "page" });
});

Deno.test("fetchRobotsFile() gives plain data that rulesOf() turns into the same rules after a clone", async () => {
  const answers: Record<string, Response> = {
    "http://ok.test/robots.txt": new Response("User-agent: *\nDisallow: /no\nCrawl-delay: 2\n"),
    "http://gone.test/robots.txt": new Response("", { status: 404 }),
    "http://down.test/robots.txt": new Response("", { status: 503 }),
  };
  const fetcher: Fetcher = (url) => {
    if (url.startsWith("http://blocked.test/")) {
      return Promise.reject(new NetError("blocked_address", "refused: 10.0.0.1"));
    }
    return Promise.resolve(answers[url]);
  };
  const options = { fetcher, userAgent: "skein" };
  const ok = rulesOf(structuredClone(await fetchRobotsFile("http://ok.test", options)));
  assert.equal(ok.isAllowed("http://ok.test/no", "skein"), false);
  assert.equal(ok.isAllowed("http://ok.test/yes", "skein"), true);
  assert.equal(ok.crawlDelayMs("skein"), 2000);
  const gone = rulesOf(structuredClone(await fetchRobotsFile("http://gone.test", options)));
  assert.equal(gone.source, "allow_all");
  const down = rulesOf(structuredClone(await fetchRobotsFile("http://down.test", options)));
  assert.equal(down.source, "disallow_all");
  const blocked = rulesOf(structuredClone(await fetchRobotsFile("http://blocked.test", options)));
  assert.equal(blocked.source, "refused");
  assert.ok(blocked.refusal instanceof NetError);
  assert.equal((blocked.refusal as NetError).code, "blocked_address");
});
