import assert from "node:assert/strict";
import { fetchRobots, parseRobots } from "../../src/robots/robots_rules.ts";
import { RobotsCache } from "../../src/robots/robots_cache.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";

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

Deno.test("RobotsCache loads each origin once", async () => {
  let loads = 0;
  const cache = new RobotsCache((origin) => {
    loads++;
    return fetchRobots(origin, { fetcher: fakeFetcher(404), userAgent: "skein" });
  });
  await Promise.all([
    cache.get("http://a.test"),
    cache.get("http://a.test"),
    cache.get("http://b.test"),
  ]);
  assert.equal(loads, 2);
});
