import assert from "node:assert/strict";
import { createGauge, startFixtureServer } from "../../fixtures/server.ts";
import { collect } from "./_helpers.ts";
import { crawl } from "../../src/crawl/crawl.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";
import { delay } from "../../src/async/delay.ts";
import { defaultFetcher, type Fetcher } from "../../src/net/fetcher.ts";
import { waitUntil, within } from "../_wait_until.ts";

const FAST = { ignoreRobots: true, backoffMs: 10 };

Deno.test("crawl() holds each host to perHost fetches at once", async () => {
  await using srv = startFixtureServer();
  // 200 ms answers: the three overlap at the server even on a loaded machine.
  const r = await collect([`${srv.origin}/h/fanout?n=24&ms=200`], {
    ...FAST,
    concurrency: 16,
    perHost: 3,
  });
  assert.equal(r.pages.length, 25);
  assert.equal(srv.localGauge.maxInFlight, 3);
});

Deno.test("crawl() holds all hosts together to concurrency fetches at once", async () => {
  const gauge = createGauge();
  await using a = startFixtureServer({ hostname: "127.0.0.1", gauge });
  await using b = startFixtureServer({ hostname: "127.0.0.2", gauge });
  await using c = startFixtureServer({ hostname: "127.0.0.3", gauge });
  const seeds = [a, b, c].map((s) => `${s.origin}/h/fanout?n=12&ms=200`);
  const r = await collect(seeds, { ...FAST, concurrency: 5, perHost: 4 });
  assert.equal(r.pages.length, 39);
  assert.equal(gauge.maxInFlight, 5, "global limit reached and never passed");
  for (const s of [a, b, c]) assert.ok(s.localGauge.maxInFlight <= 4);
});

Deno.test("crawl() emits events as fetches complete, not in seed order", async () => {
  await using srv = startFixtureServer();
  const ac = new AbortController();
  // The first seed answers after a minute: the second one's page must not wait for it.
  const run = crawl(
    [`${srv.origin}/h/slow/first?ms=60000`, `${srv.origin}/h/slow/second?ms=1`],
    { ...FAST, maxDepth: 0 },
    { signal: ac.signal },
  );
  try {
    const first = await within(run.next(), "the first event");
    assert.equal(first.value?.type === "page" && first.value.title, "second");
  } finally {
    ac.abort();
    for await (const _ of run) { /* drain to done */ }
  }
});

/** A fetcher that records when each request (robots.txt aside) starts. */
function timedFetcher(starts: number[]): Fetcher {
  return (url, init) => {
    if (!url.endsWith("/robots.txt")) starts.push(performance.now());
    return defaultFetcher(url, init);
  };
}

/**
 * Checks that request `i` started no sooner than `i * delayMs` after `t0`.
 * The delay spaces the dispatches of a host's tasks; a request goes out a
 * little after its dispatch, later on a loaded machine, so two neighbouring
 * requests may be closer than the delay, but never ahead of the schedule.
 */
function assertSpaced(starts: number[], t0: number, delayMs: number): void {
  const offsets = starts.map((t) => Math.round(t - t0));
  // The frontier counts in whole ms of Date.now(): allow that rounding.
  assert.ok(
    offsets.every((t, i) => t >= i * delayMs - 2),
    `requests started at ${offsets} ms, ${delayMs} ms apart at least`,
  );
}

Deno.test("crawl() spaces fetches to one host by delayMs", async () => {
  await using srv = startFixtureServer();
  const starts: number[] = [];
  const t0 = performance.now();
  const r = await collect([`${srv.origin}/h/fanout?n=4&ms=1`], {
    ...FAST,
    perHost: 4,
    delayMs: 150,
  }, { fetcher: timedFetcher(starts) });
  assert.equal(r.pages.length, 5);
  assert.equal(starts.length, 5);
  assertSpaced(starts, t0, 150);
});

Deno.test("crawl() takes robots.txt Crawl-delay as the host's delay", async () => {
  await using srv = startFixtureServer({ robots: "User-agent: *\nCrawl-delay: 0.2\n" });
  const starts: number[] = [];
  const t0 = performance.now();
  const r = await collect([`${srv.origin}/h/fanout?n=3&ms=1`], { perHost: 4 }, {
    fetcher: timedFetcher(starts),
  });
  assert.equal(r.pages.length, 4);
  assert.equal(starts.length, 4);
  assertSpaced(starts, t0, 200);
});

Deno.test("crawl() stops within a second when its signal aborts, and still ends with done", async () => {
  await using srv = startFixtureServer();
  const ac = new AbortController();
  const events: CrawlEvent[] = [];
  // Each would drip for hours: only the abort can end them.
  const seeds = [1, 2, 3, 4].map((i) => `${srv.origin}/h/drip?bytes=100000&ms=100&i=${i}`);
  const consuming = (async () => {
    for await (const e of crawl(seeds, { ...FAST, perHost: 8 }, { signal: ac.signal })) {
      events.push(e);
    }
  })();
  let t0 = performance.now();
  try {
    await waitUntil(() => srv.localGauge.inFlight === 4, "the four responses are dripping");
  } finally {
    t0 = performance.now();
    ac.abort();
  }
  await within(consuming, "the aborted crawl to end", 20_000);
  const elapsed = performance.now() - t0;
  assert.ok(elapsed < 1000, `stopped ${Math.round(elapsed)} ms after the abort (promise: 1 s)`);
  assert.deepEqual(events.map((e) => e.type), ["done"], "aborted fetches are not reported");
  assert.equal(events[0].type === "done" && events[0].reason, "aborted");
  // The dripping responses were cancelled at the server too.
  await waitUntil(() => srv.localGauge.inFlight === 0, "the server sees the responses cancelled");
  assert.equal(srv.localGauge.maxInFlight, 4);
});

Deno.test("crawl() cleans up when the consumer stops reading early", async () => {
  await using srv = startFixtureServer();
  // The links answer after a minute: only the clean-up can end their requests.
  const run = crawl([`${srv.origin}/h/fanout?n=30&ms=60000`], { ...FAST, perHost: 8 });
  const first = await run.next();
  assert.equal(first.value?.type, "page");
  await waitUntil(() => srv.localGauge.inFlight === 8, "eight slow links are in flight");
  // What `break` in a for-await loop does; it waits for the in-flight fetches to end.
  const end = await within(run.return!(undefined), "return() to abort the slow fetches");
  assert.equal(end.done, true);
  assert.equal(run.progress.inFlight, 0, "no fetch left running");
  // Test sanitizers fail this test if a timer or socket was left behind.
});

Deno.test("crawl() pauses fetching while its consumer does not read", async () => {
  await using srv = startFixtureServer();
  const fetched = () => [...srv.hits.values()].reduce((a, b) => a + b, 0);
  const run = crawl([`${srv.origin}/h/trap/0`], {
    ...FAST,
    concurrency: 8,
    perHost: 8,
    maxDepth: 100000,
    maxPages: 5000,
  });
  await run.next();
  // The consumer is busy elsewhere: wait until the crawl has nothing in flight
  // and the server count has stopped moving (the crawl paused by itself).
  let last = -1;
  await waitUntil(
    () => {
      const now = fetched();
      const still = now === last && run.progress.inFlight === 0;
      last = now;
      return still;
    },
    "the crawl pauses",
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const paused = fetched();
  await delay(300);
  assert.equal(fetched(), paused, "nothing more is fetched while nobody reads");
  // Finished events wait in a 256-event buffer, and at most concurrency + 256 more
  // pages may be fetched but not handed on: the crawl stops well short of maxPages.
  assert.ok(paused <= 1 + 256 + 8 + 256, `fetched ${paused} while paused`);
  let more = 0;
  for await (const e of run) if (e.type === "page" && ++more === 50) break;
  assert.equal(more, 50, "and it goes on when read again");
});

Deno.test("crawl() resumes: done URLs are not fetched again, pending ones are", async () => {
  await using srv = startFixtureServer();
  const o = srv.origin;
  const r = await collect([], { maxDepth: 10 }, {
    resume: [
      { url: `${o}/index.html`, depth: 0, parent: null, state: "page" },
      { url: `${o}/a.html`, depth: 1, parent: `${o}/index.html`, state: "page" },
      { url: `${o}/c.html`, depth: 1, parent: `${o}/index.html`, state: "pending" },
    ],
  });
  assert.equal(srv.hits.get("/index.html"), undefined);
  assert.equal(srv.hits.get("/a.html"), undefined);
  assert.equal(srv.hits.get("/c.html"), 1);
  assert.ok(r.byUrl.has(`${o}/~user/page.html`), "links of resumed pages are followed");
  assert.ok(!r.byUrl.has(`${o}/a.html`), "a done URL is not reported again");
  assert.equal(r.done.stats.pages, r.pages.length + 2, "totals include the earlier run");
});

Deno.test("crawl() exposes live progress", async () => {
  await using srv = startFixtureServer();
  const run = crawl([`${srv.origin}/h/fanout?n=10&ms=100`], { ...FAST, perHost: 2 });
  let sawQueue = false;
  for await (const e of run) {
    if (e.type === "page" && run.progress.queued > 0) sawQueue = true;
  }
  assert.ok(sawQueue);
  assert.equal(run.progress.pages, 11);
  assert.equal(run.progress.inFlight, 0);
});

Deno.test("crawl() rejects bad options before starting", () => {
  assert.throws(() => crawl(["http://a.test/"], { concurrency: 0 }), /concurrency/);
  assert.throws(() => crawl(["http://a.test/"], { include: ["("] }), /include/);
});
