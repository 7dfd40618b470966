import assert from "node:assert/strict";
import { startFixtureServer } from "../../fixtures/server.ts";
import { collect, EXPECTED_PAGES, paths } from "./_helpers.ts";
import type { PageEvent } from "../../src/crawl/events.ts";

Deno.test("crawl() visits exactly the fixture site's crawlable URLs, each once", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], { maxDepth: 10 });
  assert.deepEqual(paths(r.pages.map((p) => p.url)), EXPECTED_PAGES);
  assert.deepEqual(r.errors, []);
  const skipped = r.events.filter((e) => e.type === "skipped");
  assert.deepEqual(paths(skipped.map((e) => (e as { url: string }).url)), ["/private/secret.html"]);
  assert.equal(r.done.reason, "complete");
  // The server saw each fetched path once, robots.txt once, and nothing else.
  const hits = [...srv.hits.entries()];
  assert.deepEqual(hits.filter(([, n]) => n !== 1), []);
  assert.deepEqual(hits.map(([p]) => p).sort(), [...EXPECTED_PAGES, "/robots.txt"].sort());
});

Deno.test("crawl() decodes titles in windows-1251, Shift_JIS, windows-1252 and UTF-8 with BOM", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], { maxDepth: 10 });
  const title = (p: string) => (r.byUrl.get(srv.origin + p) as PageEvent).title;
  assert.equal(title("/win1251.html"), "Привет мир");
  assert.equal(title("/sjis.html"), "日本語のページ");
  assert.equal(title("/latin1.html"), "Café");
  assert.equal(title("/bom.html"), "BOM ✓");
  assert.equal(title("/index.html"), "Home");
});

Deno.test("crawl() records depth, parent, status and final URL of each page", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], { maxDepth: 10 });
  const page = (p: string) => r.byUrl.get(srv.origin + p) as PageEvent;
  assert.equal(page("/index.html").depth, 0);
  assert.equal(page("/index.html").parent, null);
  assert.equal(page("/deep/d.html").depth, 2);
  assert.equal(page("/deep/d.html").parent, `${srv.origin}/b/index.html`);
  assert.equal(page("/bom.html").depth, 5);
  assert.equal(page("/A.HTML").status, 404);
  assert.equal(page("/image.png").contentType, "image/png");
  assert.deepEqual(page("/wrong-type.txt").links, [], "text/plain is not parsed");
  assert.deepEqual(page("/meta-nofollow.html").links, []);
  assert.ok(!page("/index.html").links.some((l) => l.includes("nofollow.html")));
  assert.ok(page("/index.html").links.includes("http://offsite.invalid/offsite.html"));
});

Deno.test("crawl() stops at maxDepth", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], { maxDepth: 1 });
  assert.ok(r.pages.every((p) => p.depth <= 1));
  assert.deepEqual(paths(r.pages.map((p) => p.url)), [
    "/A.HTML",
    "/a.html",
    "/area.html",
    "/b/index.html",
    "/c.html",
    "/index.html",
  ]);
  const zero = await collect([`${srv.origin}/index.html`], { maxDepth: 0 });
  assert.deepEqual(paths(zero.pages.map((p) => p.url)), ["/index.html"]);
});

Deno.test("crawl() stops at maxPages and says so", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], { maxDepth: 10, maxPages: 4 });
  assert.equal(r.pages.length + r.errors.length, 4);
  assert.equal(r.done.reason, "max_pages");
});

Deno.test("crawl() with ignoreRobots fetches disallowed pages and never robots.txt", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], { maxDepth: 10, ignoreRobots: true });
  assert.ok(r.byUrl.get(`${srv.origin}/private/secret.html`)?.type === "page");
  assert.equal(srv.hits.get("/robots.txt"), undefined);
});

Deno.test("crawl() obeys the group of its user agent", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], { userAgent: "skein-blocked" });
  assert.deepEqual(r.pages, []);
  assert.equal(r.done.stats.skipped, 1);
  assert.deepEqual([...srv.hits.keys()], ["/robots.txt"]);
});

Deno.test("crawl() treats robots.txt 5xx as disallow all and 4xx as allow all", async () => {
  {
    await using srv = startFixtureServer({ robotsStatus: 500 });
    const r = await collect([`${srv.origin}/index.html`]);
    assert.equal(r.pages.length, 0);
    assert.equal(r.done.stats.skipped, 1);
  }
  {
    await using srv = startFixtureServer({ robotsStatus: 404 });
    const r = await collect([`${srv.origin}/index.html`], { maxDepth: 10 });
    assert.ok(r.byUrl.get(`${srv.origin}/private/secret.html`)?.type === "page");
  }
});

Deno.test("crawl() reports invalid seeds as invalid_url errors", async () => {
  const r = await collect(["mailto:x@y.z", "not a url"]);
  assert.deepEqual(r.errors.map((e) => e.code), ["invalid_url", "invalid_url"]);
  assert.equal(r.done.stats.errors, 2);
});

Deno.test("crawl() with scope all follows a redirect to another origin; scope origin does not", async () => {
  // Two servers on one host, different ports: two origins.
  await using a = startFixtureServer();
  await using b = startFixtureServer();
  const seed = `${a.origin}/h/redirect?to=${encodeURIComponent(b.origin + "/c.html")}`;
  const r = await collect([seed], { scope: "all", maxDepth: 1 });
  const first = r.byUrl.get(seed) as PageEvent;
  assert.equal(first.finalUrl, `${b.origin}/c.html`);
  assert.equal(first.title, "C");
  assert.equal(b.hits.get("/c.html"), 1);
  b.reset();
  const o = await collect([seed], { scope: "origin", maxDepth: 1 });
  assert.deepEqual(o.errors.map((e) => e.code), ["out_of_scope"]);
  assert.equal(b.hits.get("/c.html"), undefined);
});

Deno.test("crawl() with parseWorkers finds the same pages, titles and links as inline parsing", async () => {
  await using srv = startFixtureServer();
  const inline = await collect([`${srv.origin}/index.html`], { maxDepth: 10 });
  const pooled = await collect([`${srv.origin}/index.html`], { maxDepth: 10, parseWorkers: 2 });
  const view = (r: typeof inline) =>
    r.pages.map((p) => ({ url: p.url, title: p.title, links: p.links })).sort((a, b) =>
      a.url < b.url ? -1 : 1
    );
  assert.deepEqual(view(pooled), view(inline));
});

Deno.test("crawl() applies include and exclude to every discovered URL", async () => {
  await using srv = startFixtureServer();
  const r = await collect([`${srv.origin}/index.html`], {
    maxDepth: 10,
    include: ["/index\\.html$", "/[abc]\\.html"],
    exclude: ["\\?x=1$"],
  });
  // /b/index.html matches, /deep/d.html (only linked from /b/) and /a.html?x=1 do not.
  assert.deepEqual(paths(r.pages.map((p) => p.url)), [
    "/a.html",
    "/b/index.html",
    "/c.html",
    "/index.html",
  ]);
});
