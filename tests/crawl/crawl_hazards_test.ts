import assert from "node:assert/strict";
import { startFixtureServer } from "../../fixtures/server.ts";
import { collect as collectWith, type Collected, paths } from "./_helpers.ts";
import { createPinnedFetcher } from "../../src/net/pinned_fetcher.ts";
import { parseAllowNets } from "../../src/net/address_policy.ts";
import type { CrawlOptions } from "../../src/crawl/options.ts";
import type { PageEvent } from "../../src/crawl/events.ts";

const FAST = { ignoreRobots: true, backoffMs: 10 };

type Collect = (seeds: string[], options?: Partial<CrawlOptions>) => Promise<Collected>;

// Every hazard is met by both HTTP clients: Deno's fetch (the engine's default)
// and the guarded HTTP/1.1 client (the CLI's default, and the service's SSRF guard).
const CLIENTS = [
  { name: "fetch", make: () => undefined },
  {
    name: "http1",
    make: () =>
      createPinnedFetcher({ allowNets: parseAllowNets("0.0.0.0/0,::/0"), allowedPorts: null }),
  },
];

for (const client of CLIENTS) {
  const test = (name: string, fn: (collect: Collect) => Promise<void>) =>
    Deno.test(`${name} [${client.name}]`, async () => {
      const fetcher = client.make();
      try {
        await fn((seeds, options = {}) => collectWith(seeds, options, { fetcher }));
      } finally {
        fetcher?.close();
      }
    });

  test("crawl() cuts off slow headers at timeoutMs (error timeout)", async (collect) => {
    await using srv = startFixtureServer();
    const t0 = performance.now();
    const r = await collect([`${srv.origin}/h/slow-headers?ms=10000`], {
      ...FAST,
      timeoutMs: 300,
      retries: 0,
    });
    assert.equal(r.errors[0].code, "timeout");
    assert.ok(performance.now() - t0 < 5000, "well before the server would answer");
  });

  test("crawl() cuts off a dripping body at timeoutMs: the deadline covers the body", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/drip?bytes=100000&ms=50`], {
      ...FAST,
      timeoutMs: 500,
      retries: 1,
    });
    assert.equal(r.errors[0].code, "timeout");
    assert.equal(r.errors[0].attempts, 2, "timeouts are retried");
  });

  test("crawl() stops a huge body at maxBytes (too_large) without reading it all", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/huge?mb=200`], { ...FAST, maxBytes: 1 << 20 });
    assert.equal(r.errors[0].code, "too_large");
    assert.ok((srv.sentBytes.get("/h/huge") ?? 0) < 20 * (1 << 20), "server stopped early");
  });

  for (const enc of ["gzip", "br"]) {
    test(`crawl() counts decoded bytes, so a ${enc} bomb stops at maxBytes`, async (collect) => {
      await using srv = startFixtureServer();
      const r = await collect([`${srv.origin}/h/bomb?mb=100&enc=${enc}`], {
        ...FAST,
        maxBytes: 1 << 20,
      });
      assert.equal(r.errors[0].code, "too_large");
    });
  }

  test("crawl() ends a redirect loop with an error event", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/loop/a`], FAST);
    assert.equal(r.errors[0].code, "redirect_loop");
  });

  test("crawl() follows redirects by hand and records requested and final URL", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/chain?n=3`], { ...FAST, maxDepth: 1 });
    const first = r.byUrl.get(`${srv.origin}/h/chain?n=3`) as PageEvent;
    assert.equal(first.status, 200);
    assert.equal(first.finalUrl, `${srv.origin}/h/chain?n=0`);
    assert.equal(first.title, "Chain end");
    const child = r.byUrl.get(`${srv.origin}/h/chain-child.html`) as PageEvent;
    assert.equal(child.depth, 1, "a redirect keeps the depth");
    assert.equal(child.parent, first.url);
  });

  test("crawl() gives up after maxRedirects hops", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/chain?n=6`], { ...FAST, maxRedirects: 5 });
    assert.equal(r.errors[0].code, "too_many_redirects");
    const ok = await collect([`${srv.origin}/h/chain?n=5`], { ...FAST, maxRedirects: 5 });
    assert.equal(ok.pages[0].status, 200);
  });

  test("crawl() checks each redirect hop against the scope", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/redirect-offsite`], FAST);
    assert.equal(r.errors[0].code, "out_of_scope");
    assert.equal(srv.hits.size, 1);
  });

  test("crawl() checks each redirect hop against robots.txt", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/redirect?to=/private/secret.html`], {});
    assert.equal(r.errors[0].code, "robots");
    assert.equal(srv.hits.get("/private/secret.html"), undefined);
  });

  test("crawl() retries a 429 and records the attempts", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/flaky?key=a&fail=2&status=429`], {
      ...FAST,
      retries: 2,
    });
    assert.equal(r.pages[0].status, 200);
    assert.equal(r.pages[0].title, "Recovered");
    assert.equal(r.pages[0].attempts, 3);
  });

  test("crawl() honours Retry-After on a 503", async (collect) => {
    await using srv = startFixtureServer();
    const t0 = performance.now();
    const r = await collect([`${srv.origin}/h/flaky?key=b&fail=1&status=503&retryAfter=1`], {
      ...FAST,
      retries: 1,
    });
    assert.equal(r.pages[0].status, 200);
    assert.ok(performance.now() - t0 >= 900, "waited for Retry-After");
  });

  test("crawl() caps Retry-After at retryAfterMaxMs", async (collect) => {
    await using srv = startFixtureServer();
    const t0 = performance.now();
    const r = await collect([`${srv.origin}/h/flaky?key=c&fail=1&status=503&retryAfter=3600`], {
      ...FAST,
      retries: 1,
      retryAfterMaxMs: 50,
    });
    assert.equal(r.pages[0].status, 200);
    assert.ok(performance.now() - t0 < 3000);
  });

  test("crawl() records the last 5xx as a page once retries run out", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/flaky?key=d&fail=5&status=503`], {
      ...FAST,
      retries: 1,
    });
    assert.equal(r.pages[0].status, 503);
    assert.equal(r.pages[0].attempts, 2);
  });

  test("crawl() retries network errors, then reports code network", async (collect) => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close(); // nothing listens there now
    const r = await collect([`http://127.0.0.1:${port}/`], { ...FAST, retries: 2 });
    assert.equal(r.errors[0].code, "network");
    assert.equal(r.errors[0].attempts, 3);
  });

  test("crawl() escapes an endless link trap through maxDepth and maxPages", async (collect) => {
    await using srv = startFixtureServer();
    const deep = await collect([`${srv.origin}/h/trap/0`], { ...FAST, maxDepth: 4 });
    assert.deepEqual(
      [...new Set(deep.pages.map((p) => p.depth))].sort(),
      [0, 1, 2, 3, 4],
      "every depth up to maxDepth, none beyond",
    );
    assert.equal(deep.done.reason, "complete");
    const many = await collect([`${srv.origin}/h/trap/0`], {
      ...FAST,
      maxDepth: 1000,
      maxPages: 30,
    });
    assert.equal(many.pages.length, 30);
    assert.equal(many.done.reason, "max_pages");
  });

  test("crawl() parses only HTML and does not read other bodies in full", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect(
      [
        `${srv.origin}/h/types/json`,
        `${srv.origin}/h/types/none`,
        `${srv.origin}/h/types/binary?mb=50`,
      ],
      FAST,
    );
    const byPath = new Map(r.pages.map((p) => [new URL(p.url).pathname, p]));
    assert.deepEqual(byPath.get("/h/types/json")?.links, []);
    assert.ok(
      (byPath.get("/h/types/none")?.links.length ?? 0) > 0,
      "no content type: sniffed as HTML",
    );
    assert.equal(byPath.get("/h/types/binary")?.bytes, 0);
    assert.ok((srv.sentBytes.get("/h/types/binary") ?? 0) < 20 * (1 << 20));
  });

  test("crawl() records error statuses as pages without following their links", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect([`${srv.origin}/h/status/500`, `${srv.origin}/h/status/404`], {
      ...FAST,
      retries: 0,
    });
    assert.deepEqual(r.pages.map((p) => p.status).sort(), [404, 500]);
    assert.ok(r.pages.every((p) => p.links.length === 0));
    assert.deepEqual(paths(r.pages.map((p) => p.url)), ["/h/status/404", "/h/status/500"]);
    assert.deepEqual(r.errors, [], "an error status is a page, not an error event");
  });

  test("crawl() with a parse worker still cuts off slow bodies and huge bodies", async (collect) => {
    await using srv = startFixtureServer();
    const r = await collect(
      [`${srv.origin}/h/drip?bytes=100000&ms=50`, `${srv.origin}/h/huge?mb=50`],
      { ...FAST, timeoutMs: 500, retries: 0, maxBytes: 1 << 20, parseWorkers: 1 },
    );
    const codes = new Map(r.errors.map((e) => [new URL(e.url).pathname, e.code]));
    assert.equal(codes.get("/h/drip"), "timeout");
    assert.equal(codes.get("/h/huge"), "too_large");
  });
}
