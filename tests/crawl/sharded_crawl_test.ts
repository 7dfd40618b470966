import assert from "node:assert/strict";
import { startFixtureServer } from "../../fixtures/server.ts";
import { collectSharded, EXPECTED_PAGES, paths } from "./_helpers.ts";
import type { CrawlEvent, SitemapEvent } from "../../src/crawl/events.ts";
import { type Route, serveRoutes } from "../content/_routes.ts";
import type { NdjsonText } from "../../src/streams/write_ndjson.ts";
import { shardedCrawl } from "../../src/crawl/sharded_crawl.ts";
import { shardOf } from "../../src/crawl/shard_plan.ts";
import { defaultFetcher, type Fetcher } from "../../src/net/fetcher.ts";
import { waitUntil, within } from "../_wait_until.ts";

const FAST = { ignoreRobots: true, backoffMs: 10 };

/** Deno's fetch, counting the requests it makes (shard 0's; the workers make their own). */
function counting(): { fetcher: Fetcher; count: () => number } {
  let n = 0;
  return {
    fetcher: (url, init) => {
      n++;
      return defaultFetcher(url, init);
    },
    count: () => n,
  };
}

Deno.test("shardedCrawl() over 2 threads visits exactly the fixture site's URLs, each once", async () => {
  await using srv = startFixtureServer();
  const shard0 = counting();
  const r = await collectSharded([`${srv.origin}/index.html`], { maxDepth: 10 }, {
    threads: 2,
    fetcher: shard0.fetcher,
  });
  assert.deepEqual(paths(r.pages.map((p) => p.url)), EXPECTED_PAGES);
  assert.equal(r.done.reason, "complete");
  assert.equal(r.done.stats.pages, EXPECTED_PAGES.length);
  const pageHits = [...srv.hits].filter(([p]) => p !== "/robots.txt");
  assert.deepEqual(pageHits.filter(([, n]) => n !== 1), [], "no page fetched twice");
  assert.equal(srv.hits.get("/robots.txt"), 1, "robots.txt read once for both threads");
  const skipped = r.events.filter((e) => e.type === "skipped").map((e) =>
    (e as { url: string }).url
  );
  assert.deepEqual(paths(skipped), ["/private/secret.html"]);
  // Shard 0 (this thread's fetcher) made some of the requests, the worker the rest.
  const own = shard0.count();
  assert.ok(own > 0 && own < pageHits.length, `shard 0 made ${own} of ${pageHits.length}`);
});

Deno.test("shardedCrawl() holds the whole crawl to maxPages", async () => {
  await using srv = startFixtureServer();
  const r = await collectSharded([`${srv.origin}/h/fanout?n=60&ms=1`], {
    ...FAST,
    maxPages: 25,
  }, { threads: 3 });
  assert.equal(r.pages.length + r.errors.length, 25);
  assert.equal(r.done.reason, "max_pages");
  const fetched = [...srv.hits.values()].reduce((a, b) => a + b, 0);
  assert.equal(fetched, 25);
});

Deno.test("shardedCrawl() holds a host to perHost fetches at once, all shards together", async () => {
  await using srv = startFixtureServer();
  // 200 ms answers: each shard's two overlap at the server even on a loaded machine.
  const r = await collectSharded([`${srv.origin}/h/fanout?n=24&ms=200`], {
    ...FAST,
    concurrency: 16,
    perHost: 4,
  }, { threads: 2 });
  assert.equal(r.pages.length, 25);
  assert.ok(srv.localGauge.maxInFlight <= 4, `at most 4 at once: ${srv.localGauge.maxInFlight}`);
  assert.ok(srv.localGauge.maxInFlight > 2, "both shards fetched at once");
});

Deno.test("shardedCrawl() keeps a host in one shard when perHost is below the threads", async () => {
  await using srv = startFixtureServer();
  const r = await collectSharded([`${srv.origin}/h/fanout?n=12&ms=50`], {
    ...FAST,
    concurrency: 16,
    perHost: 1,
  }, { threads: 2 });
  assert.equal(r.pages.length, 13);
  assert.equal(srv.localGauge.maxInFlight, 1);
});

Deno.test("shardedCrawl() with one thread is the plain crawl", async () => {
  await using srv = startFixtureServer();
  const r = await collectSharded([`${srv.origin}/index.html`], { maxDepth: 10 }, { threads: 1 });
  assert.deepEqual(paths(r.pages.map((p) => p.url)), EXPECTED_PAGES);
  assert.equal(srv.hits.get("/robots.txt"), 1);
});

Deno.test("shardedCrawl() stops every shard when its signal aborts", async () => {
  await using srv = startFixtureServer();
  const ac = new AbortController();
  const run = shardedCrawl([`${srv.origin}/h/fanout?n=40&ms=60000`], FAST, {
    threads: 2,
    signal: ac.signal,
  });
  const first = await within(run.next(), "the seed's page");
  assert.equal(!first.done && "type" in first.value && first.value.type, "page");
  // perHost 4 over two shards: the worker's two requests are out too.
  await waitUntil(() => srv.localGauge.inFlight === 4, "both shards wait on answers");
  ac.abort();
  const rest: (CrawlEvent | NdjsonText)[] = [];
  await within(
    (async () => {
      for await (const e of run) rest.push(e);
    })(),
    "the end",
  );
  const last = rest.at(-1);
  assert.ok(last !== undefined && "type" in last && last.type === "done");
  assert.equal(last.reason, "aborted");
});

Deno.test("shardedCrawl() stops every shard when the consumer stops reading", async () => {
  await using srv = startFixtureServer();
  const run = shardedCrawl([`${srv.origin}/h/fanout?n=40&ms=60000`], FAST, { threads: 2 });
  await within(run.next(), "the seed's page");
  await waitUntil(() => srv.localGauge.inFlight === 4, "both shards wait on answers");
  const end = await within(run.return!(undefined), "the stop");
  assert.equal(end.done, true);
  // Nothing is left running on this thread: the sanitizers would report a timer or socket.
  assert.equal((await run.next()).done, true);
});

Deno.test("shardedCrawl() reports a bad seed once", async () => {
  await using srv = startFixtureServer();
  const r = await collectSharded(["ftp://nope/", `${srv.origin}/c.html`], {
    ...FAST,
    maxDepth: 0,
  }, { threads: 2 });
  assert.deepEqual(r.errors.map((e) => e.code), ["invalid_url"]);
  assert.equal(r.pages.length, 1);
});

Deno.test("shardedCrawl() fails with the worker's error when a shard cannot run", async () => {
  await using srv = startFixtureServer();
  const run = shardedCrawl([`${srv.origin}/h/fanout?n=10&ms=1`], FAST, {
    threads: 2,
    workerFetcher: { denyPrivate: true, allowNets: "not-a-network" },
  });
  await assert.rejects(
    within(
      (async () => {
        for await (const _ of run) { /* to the end */ }
      })(),
      "the failure",
    ),
    /crawl shard 1 failed/,
  );
});

Deno.test("shardedCrawl() reads the sitemaps once and counts the URLs it admitted", async () => {
  let origin = "";
  const listed = Array.from({ length: 12 }, (_, i) => `/p${i}`);
  const text = { "content-type": "text/plain" };
  const routes: Record<string, Route> = {
    "/": { body: "home" },
    "/robots.txt": { headers: text, body: "User-agent: *\nAllow: /\n" },
    "/sitemap.xml": {
      headers: text,
      body: () =>
        ReadableStream.from([new TextEncoder().encode(listed.map((p) => origin + p).join("\n"))]),
    },
  };
  for (const p of listed) routes[p] = { body: `page ${p}` };
  await using srv = serveRoutes(routes);
  origin = srv.origin;
  const r = await collectSharded([origin + "/"], { sitemaps: true }, { threads: 2 });
  const sitemaps = r.events.filter((e): e is SitemapEvent => e.type === "sitemap");
  assert.deepEqual(sitemaps.map((e) => [new URL(e.url).pathname, e.admitted]), [[
    "/sitemap.xml",
    12,
  ]]);
  assert.deepEqual(paths(r.pages.map((p) => p.url)), ["/", ...listed].sort());
  assert.equal(srv.hits.get("/sitemap.xml"), 1);
  assert.deepEqual([...listed, "/"].map((p) => srv.hits.get(p)), Array(13).fill(1));
});

Deno.test("shardedCrawl() does not fetch again a redirect target another thread followed", async () => {
  const routes: Record<string, Route> = {};
  await using srv = serveRoutes(routes);
  const owners = { shards: 2, by: "url" as const, seeds: new Set([srv.origin + "/"]) };
  const owner = (path: string) => shardOf(srv.origin + path, owners);
  // /late answers once the redirects were followed, linking to their targets. Each /rN
  // belongs to the other thread than /tN and /late: the thread that finds /tN on /late
  // owns it, and only a word from the thread that followed /rN keeps it from fetching it.
  const pairs: [string, string][] = [];
  for (let i = 0; pairs.length < 4; i++) {
    const [from, to] = [`/r${i}`, `/t${i}`];
    if (owner(to) === owner("/late") && owner(from) !== owner("/late")) pairs.push([from, to]);
  }
  const links = (paths: string[]) => paths.map((p) => `<a href="${p}">${p}</a>`).join("");
  routes["/"] = { body: links([...pairs.map(([from]) => from), "/late"]) };
  routes["/late"] = {
    body: () =>
      new ReadableStream({
        async start(c) {
          await new Promise((r) => setTimeout(r, 500));
          c.enqueue(new TextEncoder().encode(links(pairs.map(([, to]) => to))));
          c.close();
        },
      }),
  };
  for (const [from, to] of pairs) {
    routes[from] = { status: 302, headers: { location: to }, body: "" };
    routes[to] = { body: "target" };
  }
  const r = await collectSharded([srv.origin + "/"], FAST, { threads: 2 });
  assert.equal(r.pages.length, 2 + pairs.length);
  assert.deepEqual(pairs.map(([, to]) => srv.hits.get(to)), pairs.map(() => 1));
});

Deno.test("shardedCrawl() lets a thread use the fetch slots another leaves idle", async () => {
  const routes: Record<string, Route> = {};
  await using srv = serveRoutes(routes);
  const owners = { shards: 2, by: "url" as const, seeds: new Set([srv.origin + "/"]) };
  // Eight slow pages, all belonging to thread 1: thread 0 has nothing to fetch.
  const slow: string[] = [];
  for (let i = 0; slow.length < 8; i++) {
    if (shardOf(`${srv.origin}/s${i}`, owners) === 1) slow.push(`/s${i}`);
  }
  let inFlight = 0, most = 0;
  routes["/"] = { body: slow.map((p) => `<a href="${p}">${p}</a>`).join("") };
  for (const p of slow) {
    routes[p] = {
      body: () =>
        new ReadableStream({
          async start(c) {
            most = Math.max(most, ++inFlight);
            await new Promise((r) => setTimeout(r, 200));
            inFlight--;
            c.enqueue(new TextEncoder().encode("slow"));
            c.close();
          },
        }),
    };
  }
  const r = await collectSharded([srv.origin + "/"], { ...FAST, concurrency: 4, perHost: 4 }, {
    threads: 2,
  });
  assert.equal(r.pages.length, 9);
  assert.equal(most, 4, "thread 1 took thread 0's two slots too, and no more");
});
