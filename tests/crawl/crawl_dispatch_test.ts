import assert from "node:assert/strict";
import { crawl } from "../../src/crawl/crawl.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";
import type { FetcherInit } from "../../src/net/fetcher.ts";
import { unparsedBudgetBytes } from "../../src/crawl/unparsed_budget.ts";
import { waitUntil } from "../_wait_until.ts";
import { collect, paths } from "./_helpers.ts";

const ORIGIN = "http://dispatch.test";

function html(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/html", ...headers } });
}

/**
 * A fetcher over a fixed table of answers that records each request and,
 * like the HTTP client with a page that came whole with its head, calls
 * `onBodyEnd` before it returns: `requestedAtEnd` is what had been requested
 * once each answer's `onBodyEnd` returned.
 */
function tableFetcher(answers: Record<string, () => Response>) {
  const requested: string[] = [];
  const requestedAtEnd = new Map<string, string[]>();
  const fetcher = (url: string, init: FetcherInit): Promise<Response> => {
    const path = new URL(url).pathname;
    requested.push(path);
    const res = answers[path]?.() ?? html("gone", 404);
    init.onBodyEnd?.(res.status);
    requestedAtEnd.set(`${path} ${res.status}`, [...requested]);
    return Promise.resolve(res);
  };
  return { fetcher, requested, requestedAtEnd };
}

Deno.test("crawl() sends the next request from the fetcher's onBodyEnd, before the answered page is parsed", async () => {
  const t = tableFetcher({
    "/a": () => html(`<a href="/c">c</a>`),
    "/b": () => html("b"),
    "/c": () => html("c"),
  });
  const run = await collect([`${ORIGIN}/a`, `${ORIGIN}/b`], {
    concurrency: 1,
    ignoreRobots: true,
  }, { fetcher: t.fetcher });
  // Concurrency 1: /b could only start once /a's slot was free, and it started inside
  // /a's onBodyEnd, that is before /a's body was read or parsed.
  assert.deepEqual(t.requestedAtEnd.get("/a 200"), ["/a", "/b"]);
  assert.deepEqual(t.requested, ["/a", "/b", "/c"]);
  assert.deepEqual(paths(run.pages.map((p) => p.url)), ["/a", "/b", "/c"]);
});

Deno.test("crawl() keeps the slot through a redirect and a retried answer, whose bodies end first", async () => {
  let calls503 = 0;
  const t = tableFetcher({
    "/a": () => html("moved", 301, { location: "/a2" }),
    "/a2": () => html("a2"),
    "/r": () => calls503++ === 0 ? html("busy", 503) : html("r"),
    "/b": () => html("b"),
    "/s": () => html("s"),
  });
  const run = await collect([`${ORIGIN}/a`, `${ORIGIN}/b`, `${ORIGIN}/r`, `${ORIGIN}/s`], {
    concurrency: 1,
    ignoreRobots: true,
    retries: 1,
    backoffMs: 1,
  }, { fetcher: t.fetcher });
  // The 301's body ended, but the task goes on to /a2 on the same slot: /b waits.
  assert.deepEqual(t.requestedAtEnd.get("/a 301"), ["/a"]);
  assert.deepEqual(t.requestedAtEnd.get("/a2 200"), ["/a", "/a2", "/b"]);
  // The 503 will be retried: its slot is not given away either.
  assert.deepEqual(t.requestedAtEnd.get("/r 503"), ["/a", "/a2", "/b", "/r"]);
  assert.deepEqual(t.requestedAtEnd.get("/r 200"), ["/a", "/a2", "/b", "/r", "/r", "/s"]);
  assert.deepEqual(paths(run.pages.map((p) => p.url)), ["/a", "/b", "/r", "/s"]);
  assert.equal(run.pages.find((p) => p.url.endsWith("/r"))?.attempts, 2);
});

Deno.test("crawl() requests a page's links on free slots before the page's event is handed on", async () => {
  const links = ["/l1", "/l2", "/l3"].map((p) => `<a href="${p}">x</a>`).join("");
  const requested: string[] = [];
  const fetcher = (url: string): Promise<Response> => {
    const path = new URL(url).pathname;
    requested.push(path);
    return Promise.resolve(html(path === "/" ? links : "leaf"));
  };
  const seenAtSeedEvent: string[][] = [];
  const events: CrawlEvent[] = [];
  for await (
    const ev of crawl([`${ORIGIN}/`], { concurrency: 8, ignoreRobots: true }, { fetcher })
  ) {
    events.push(ev);
    if (ev.type === "page" && ev.url === `${ORIGIN}/`) seenAtSeedEvent.push([...requested]);
  }
  assert.deepEqual(seenAtSeedEvent, [["/", "/l1", "/l2", "/l3"]]);
  assert.equal(events.filter((e) => e.type === "page").length, 4);
});

Deno.test("crawl() stops handing slots on once drain is aborted", async () => {
  const drain = new AbortController();
  const requested: string[] = [];
  const fetcher = (url: string, init: FetcherInit): Promise<Response> => {
    const path = new URL(url).pathname;
    requested.push(path);
    if (path === "/a") drain.abort(); // a graceful stop while /a is answered
    const res = html(path);
    init.onBodyEnd?.(200);
    return Promise.resolve(res);
  };
  const run = await collect([`${ORIGIN}/a`, `${ORIGIN}/b`], {
    concurrency: 1,
    ignoreRobots: true,
  }, { fetcher, drain: drain.signal });
  assert.deepEqual(requested, ["/a"]);
  assert.equal(run.done.reason, "aborted");
  assert.deepEqual(paths(run.pages.map((p) => p.url)), ["/a"]);
});

/**
 * A fetcher whose answers are all in at once (it calls `onBodyEnd` with the
 * body's size before it returns) but whose bodies can be read only once the
 * test opens their gate: each page stays answered and unparsed until then.
 */
function gatedFetcher(bytes: number) {
  const requested: string[] = [];
  const gates = new Map<string, () => void>();
  const page = new TextEncoder().encode(`<p>${"x".repeat(bytes - 3)}`);
  const fetcher = (url: string, init: FetcherInit): Promise<Response> => {
    const path = new URL(url).pathname;
    requested.push(path);
    const gate = Promise.withResolvers<void>();
    gates.set(path, gate.resolve);
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        await gate.promise;
        c.enqueue(page);
        c.close();
      },
    }, { highWaterMark: 0 });
    init.onBodyEnd?.(200, page.byteLength);
    return Promise.resolve(new Response(body, { headers: { "content-type": "text/html" } }));
  };
  const open = (path: string) => {
    const gate = gates.get(path);
    assert.ok(gate, `${path} was requested`);
    gate();
  };
  return { fetcher, requested, open, openAll: () => [...gates.keys()].forEach(open) };
}

/** Lets timers and I/O callbacks run a few times: what the crawl would do next, it has done. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

const FOUR = ["/p1", "/p2", "/p3", "/p4"].map((p) => ORIGIN + p);

Deno.test("crawl() gives slots away before parsing while the unparsed pages' bytes fit the budget", async () => {
  // Concurrency 1: a budget of 2 KiB, which four 500-byte pages fit.
  const t = gatedFetcher(500);
  const run = collect(FOUR, { concurrency: 1, ignoreRobots: true }, { fetcher: t.fetcher });
  // Concurrency 1, nothing parsed yet: every slot went before its page was parsed.
  await waitUntil(
    () => t.requested.length === 4,
    "all four 500-byte pages are requested unparsed",
  );
  t.openAll();
  assert.deepEqual(paths((await run).pages.map((p) => p.url)), ["/p1", "/p2", "/p3", "/p4"]);
});

Deno.test("crawl() keeps a page's slot until it is parsed when its bytes would overrun the budget", async () => {
  const t = gatedFetcher(Math.ceil(unparsedBudgetBytes(1) * 0.75));
  const run = collect(FOUR, { concurrency: 1, ignoreRobots: true }, { fetcher: t.fetcher });
  // /p1 fits alone: its slot goes to /p2 unparsed. /p2 would make 1.5 budgets: it keeps it.
  await waitUntil(() => t.requested.length >= 2, "/p1's slot goes to /p2");
  await settle();
  assert.deepEqual(t.requested, ["/p1", "/p2"]);
  // /p1 parsed gives its bytes back; /p2 may now go early, once its body is read.
  t.open("/p1");
  await settle();
  assert.deepEqual(t.requested, ["/p1", "/p2"], "/p2 is still unread: its slot stays");
  t.open("/p2");
  await waitUntil(() => t.requested.length >= 3, "/p2's slot goes to /p3");
  t.openAll();
  await waitUntil(() => t.requested.length === 4, "/p4 is requested");
  t.openAll();
  assert.deepEqual(paths((await run).pages.map((p) => p.url)), ["/p1", "/p2", "/p3", "/p4"]);
});
