import assert from "node:assert/strict";
import { startFixtureServer } from "../../fixtures/server.ts";
import { crawl, type Task } from "../../src/crawl/crawl.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";

Deno.test("crawl() reports each URL it queues before the page that found it, and each it drops at maxPages", async () => {
  await using srv = startFixtureServer();
  const queued: Task[] = [];
  const dropped: Task[] = [];
  const seen: string[] = [];
  const events: CrawlEvent[] = [];
  const seed = `${srv.origin}/h/fanout?n=20&ms=0`;
  for await (
    const ev of crawl([seed], { ignoreRobots: true, maxPages: 8 }, {
      onQueued: (t) => queued.push(t),
      onDropped: (t) => dropped.push(t),
    })
  ) {
    events.push(ev);
    if (ev.type === "page") {
      for (const l of ev.links) {
        // Every link of this page that was queued is reported before this event.
        if (queued.some((t) => t.url === l)) seen.push(l);
      }
    }
  }
  const fetched = events.filter((e) => e.type !== "done").map((e) => (e as { url: string }).url);
  assert.deepEqual(queued.map((t) => t.url).sort(), fetched.sort());
  assert.equal(queued.length, 8);
  assert.equal(queued[0].url, seed);
  assert.equal(queued[0].depth, 0);
  assert.ok(queued.slice(1).every((t) => t.parent === seed && t.depth === 1));
  assert.equal(seen.length, 7);
  assert.equal(dropped.length, 13);
  const done = events.at(-1);
  assert.equal(done?.type === "done" ? done.reason : done?.type, "max_pages");
});

Deno.test("crawl() with drain aborted lets fetches in flight finish, starts no new one, ends aborted", async () => {
  await using srv = startFixtureServer();
  const drain = new AbortController();
  const events: CrawlEvent[] = [];
  const seed = `${srv.origin}/h/fanout?n=20&ms=200`;
  for await (
    const ev of crawl([seed], { ignoreRobots: true, concurrency: 3, perHost: 3 }, {
      drain: drain.signal,
    })
  ) {
    events.push(ev);
    if (ev.type === "page" && ev.url === seed) {
      // The seed's links are queued; let three start, then drain.
      const until = Date.now() + 10_000;
      while (srv.localGauge.inFlight < 3) {
        if (Date.now() > until) throw new Error("three fetches never in flight");
        await new Promise((r) => setTimeout(r, 10));
      }
      drain.abort();
    }
  }
  const pages = events.filter((e) => e.type === "page");
  assert.equal(pages.length, 4, "the seed and the three in flight");
  assert.equal([...srv.hits.values()].reduce((a, b) => a + b, 0), 4, "nothing else requested");
  const done = events.at(-1);
  assert.equal(done?.type === "done" ? done.reason : done?.type, "aborted");
});

Deno.test("crawl() past heapLimitBytes admits no new URL, crawls those queued, ends memory_limit", async () => {
  await using srv = startFixtureServer();
  const queued: Task[] = [];
  let dropped = 0;
  const events: CrawlEvent[] = [];
  const seed = `${srv.origin}/h/fanout?n=1500&ms=0`;
  for await (
    const ev of crawl([seed], {
      ignoreRobots: true,
      maxPages: 100_000,
      concurrency: 32,
      perHost: 32,
    }, {
      heapLimitBytes: 1,
      onQueued: (t) => queued.push(t),
      onDropped: () => dropped++,
    })
  ) events.push(ev);
  // Checked at the 1,024th admission: the 1,023 before it were queued.
  assert.equal(queued.length, 1023);
  assert.equal(dropped, 1501 - 1023);
  assert.equal(events.filter((e) => e.type === "page").length, 1023);
  const done = events.at(-1);
  assert.equal(done?.type === "done" ? done.reason : done?.type, "memory_limit");
});
