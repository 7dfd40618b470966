import assert from "node:assert/strict";
import { JobRunner } from "../../src/service/job_runner.ts";
import { JobHub } from "../../src/service/job_hub.ts";
import { Metrics } from "../../src/service/metrics.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { type JobDoc, newJob, type Store } from "../../src/store/store.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";
import { MongoStore } from "../../src/store/mongo/mongo_store.ts";
import { dropDatabase, freshDbName, mongoTestConfig } from "../_mongo.ts";

const HOSTS = ["a.test", "b.test", "c.test"];

/**
 * Three hosts of 21 pages; page N of a host links to pages fN+1 .. fN+f
 * (`fanout` f, 4 by default; up to 20) of the same host and to page N of the
 * next host. `hits` counts requests per URL (robots.txt
 * answers 404), `inFlight` the most requests in flight per host at once.
 */
function multiHostSite(ms = 2, fanout = 4) {
  const hits = new Map<string, number>();
  const busy = new Map<string, number>();
  const maxBusy = new Map<string, number>();
  const by = new Map<string, number>();
  const fetcher = (who: string): Fetcher => async (url, init) => {
    init.signal.throwIfAborted();
    const u = new URL(url);
    if (u.pathname === "/robots.txt") return new Response("", { status: 404 });
    hits.set(url, (hits.get(url) ?? 0) + 1);
    by.set(who, (by.get(who) ?? 0) + 1);
    busy.set(u.hostname, (busy.get(u.hostname) ?? 0) + 1);
    maxBusy.set(u.hostname, Math.max(maxBusy.get(u.hostname) ?? 0, busy.get(u.hostname)!));
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      busy.set(u.hostname, busy.get(u.hostname)! - 1);
    }
    const n = Number(u.pathname.split("/").at(-1) ?? 0);
    const next = HOSTS[(HOSTS.indexOf(u.hostname) + 1) % HOSTS.length];
    const links = Array.from({ length: fanout }, (_, i) => n * fanout + i + 1)
      .filter((k) => k <= 20)
      .map((k) => `<a href="/p/${k}">x</a>`);
    links.push(`<a href="http://${next}/p/${n}">next</a>`);
    return new Response(`<html><title>${n}</title>${links.join("")}</html>`, {
      headers: { "content-type": "text/html" },
    });
  };
  return { fetcher, hits, maxBusy, by };
}

function sharedRunner(store: Store, fetcher: Fetcher, owner: string) {
  const hub = new JobHub({ lingerMs: 0 });
  const runner = new JobRunner(store, {
    owner,
    leaseMs: 3000,
    pollMs: 20,
    maxRunning: 2,
    fetcher,
    hub,
    metrics: new Metrics(),
    flushMs: 10,
    log: () => {},
    shared: true,
  });
  return { runner, hub };
}

async function waitStatus(store: Store, id: string, want: string[], ms = 30_000): Promise<JobDoc> {
  const until = Date.now() + ms;
  for (;;) {
    const job = await store.getJob(id);
    if (job && want.includes(job.status)) return job;
    if (Date.now() > until) {
      throw new Error(`job ${id} did not reach ${want} within ${ms} ms: ${job?.status}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Pages 0 .. 20 of each host. */
const EXPECTED = HOSTS.flatMap((h) => Array.from({ length: 21 }, (_, i) => `http://${h}/p/${i}`))
  .sort();

/** Registers the cases on one kind of store. */
function sharedCases(
  name: string,
  make: () => Promise<{ store: Store; cleanup(): Promise<void> }>,
  ignore = false,
): void {
  function test(title: string, fn: (store: Store) => Promise<void>): void {
    Deno.test({
      name: `${title} (${name})`,
      ignore,
      async fn() {
        const { store, cleanup } = await make();
        try {
          await fn(store);
        } finally {
          await cleanup();
        }
      },
    });
  }

  test("JobRunner (shared) works one job from two processes: every page once, seq 1..N, perHost held", async (store) => {
    const site = multiHostSite();
    const a = sharedRunner(store, site.fetcher("a"), "pa");
    const b = sharedRunner(store, site.fetcher("b"), "pb");
    await store.createJob(
      newJob("j1", HOSTS.map((h) => `http://${h}/p/0`), {
        maxDepth: 10,
        concurrency: 2,
        perHost: 2,
      }, new Date()),
    );
    a.runner.start();
    b.runner.start();
    try {
      const done = await waitStatus(store, "j1", ["completed", "failed"]);
      assert.equal(done.status, "completed", done.error ?? "");
      const events = await store.readEvents("j1", 0, 1000);
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "seq 1, 2, 3, ...");
      assert.equal(events.at(-1)?.event.type, "done");
      const pages = events.filter((e) => e.event.type === "page").map((e) => e.key).sort();
      assert.deepEqual(pages, EXPECTED, "every page once");
      assert.deepEqual(
        [...site.hits].filter(([, n]) => n !== 1),
        [],
        "every URL fetched once",
      );
      assert.ok(
        (site.by.get("a") ?? 0) > 0 && (site.by.get("b") ?? 0) > 0,
        "both processes fetched",
      );
      for (const [host, n] of site.maxBusy) {
        assert.ok(n <= 2, `${host}: ${n} in flight > perHost 2`);
      }
      assert.equal(done.counters.pages, EXPECTED.length);
      const doneEvent = events.at(-1)!.event;
      assert.equal(doneEvent.type === "done" && doneEvent.reason, "complete");
      assert.equal(doneEvent.type === "done" && doneEvent.stats.pages, EXPECTED.length);
    } finally {
      await Promise.all([a.runner.stop(), b.runner.stop()]);
      a.hub.close();
      b.hub.close();
    }
  });

  test("JobRunner (shared) holds maxPages exactly across two processes", async (store) => {
    const site = multiHostSite();
    const a = sharedRunner(store, site.fetcher("a"), "pa");
    const b = sharedRunner(store, site.fetcher("b"), "pb");
    await store.createJob(
      newJob("j1", HOSTS.map((h) => `http://${h}/p/0`), {
        maxDepth: 10,
        maxPages: 25,
        concurrency: 4,
        perHost: 2,
      }, new Date()),
    );
    a.runner.start();
    b.runner.start();
    try {
      const done = await waitStatus(store, "j1", ["completed", "failed"]);
      assert.equal(done.status, "completed", done.error ?? "");
      const events = await store.readEvents("j1", 0, 1000);
      const pages = events.filter((e) => e.event.type === "page");
      assert.equal(pages.length, 25);
      assert.equal(new Set(pages.map((e) => e.key)).size, 25);
      assert.equal(site.hits.size, 25, "no URL beyond the budget was fetched");
      const last = events.at(-1)!.event;
      assert.equal(last.type === "done" && last.reason, "max_pages");
    } finally {
      await Promise.all([a.runner.stop(), b.runner.stop()]);
      a.hub.close();
      b.hub.close();
    }
  });

  test("JobRunner (shared): a process takes the chunks it appends to its hosts without reading them back", async (store) => {
    // Counts what the run asks of the store: chunks appended, chunk lookups.
    let appended = 0;
    let lookups = 0;
    const counting = new Proxy(store, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== "function") return value;
        if (key === "admitUrls") {
          return async (...args: Parameters<Store["admitUrls"]>) => {
            const r = await target.admitUrls(...args);
            appended += r.chunks.length;
            return r;
          };
        }
        if (key === "readQueues") {
          return (...args: Parameters<Store["readQueues"]>) => {
            lookups += args[1].length;
            return target.readQueues(...args);
          };
        }
        if (key === "readQueue") {
          return (...args: Parameters<Store["readQueue"]>) => {
            lookups++;
            return target.readQueue(...args);
          };
        }
        return value.bind(target);
      },
    });
    // A chain of pages a host: links come a page at a time, each in a chunk of its own.
    const site = multiHostSite(5, 1);
    const a = sharedRunner(counting, site.fetcher("a"), "pa");
    await store.createJob(
      newJob("j1", HOSTS.map((h) => `http://${h}/p/0`), {
        maxDepth: 30,
        concurrency: 6,
        perHost: 2,
      }, new Date()),
    );
    a.runner.start();
    try {
      const done = await waitStatus(store, "j1", ["completed", "failed"]);
      assert.equal(done.status, "completed", done.error ?? "");
      const pages = (await store.readEvents("j1", 0, 1000))
        .filter((e) => e.event.type === "page").map((e) => e.key).sort();
      assert.deepEqual(pages, EXPECTED, "every page once");
      assert.ok(appended >= 5 * HOSTS.length, `${appended} chunks appended`);
      // Looked up: each host's first chunk and its end, before release and before the end;
      // reading every chunk back would take one lookup per chunk appended, and more.
      assert.ok(lookups < appended, `${lookups} chunk lookups for ${appended} chunks appended`);
    } finally {
      await a.runner.stop();
      a.hub.close();
    }
  });

  test("JobRunner (shared): one process stopping hands its hosts back; the other finishes", async (store) => {
    const site = multiHostSite(15);
    const a = sharedRunner(store, site.fetcher("a"), "pa");
    const b = sharedRunner(store, site.fetcher("b"), "pb");
    await store.createJob(
      newJob("j1", HOSTS.map((h) => `http://${h}/p/0`), {
        maxDepth: 10,
        concurrency: 2,
        perHost: 2,
      }, new Date()),
    );
    a.runner.start();
    b.runner.start();
    try {
      const until = Date.now() + 20_000;
      while ((site.by.get("a") ?? 0) < 3) {
        if (Date.now() > until) throw new Error("process a never fetched 3 pages");
        await new Promise((r) => setTimeout(r, 5));
      }
      await a.runner.stop();
      const fetchedByA = site.by.get("a");
      const done = await waitStatus(store, "j1", ["completed", "failed"]);
      assert.equal(done.status, "completed", done.error ?? "");
      assert.equal(site.by.get("a"), fetchedByA, "nothing fetched by a stopped process");
      const events = await store.readEvents("j1", 0, 1000);
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
      const pages = events.filter((e) => e.event.type === "page").map((e) => e.key).sort();
      assert.deepEqual(pages, EXPECTED);
      assert.deepEqual([...site.hits].filter(([, n]) => n !== 1), [], "every URL fetched once");
    } finally {
      await Promise.all([a.runner.stop(), b.runner.stop()]);
      a.hub.close();
      b.hub.close();
    }
  });
}

sharedCases("MemoryStore", () => {
  const store = new MemoryStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});

const cfg = mongoTestConfig();
sharedCases(
  cfg.ignore ? `MongoStore, ignored: ${cfg.reason}` : "MongoStore",
  async () => {
    if (cfg.uri === null) throw new Error(cfg.reason);
    const uri = cfg.uri;
    const dbName = freshDbName("skein_shared");
    const store = new MongoStore(uri, dbName);
    await store.init();
    return {
      store,
      async cleanup() {
        await store.close();
        await dropDatabase(uri, dbName);
      },
    };
  },
  cfg.ignore,
);
