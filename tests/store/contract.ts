/**
 * The contract every {@linkcode Store} passes: one suite, run against
 * `MemoryStore` and `MongoStore`.
 *
 * @example
 * ```ts ignore
 * import { storeContract } from "./contract.ts";
 * import { MemoryStore } from "../../src/store/memory_store.ts";
 * storeContract("MemoryStore", () => {
 *   const store = new MemoryStore();
 *   return Promise.resolve({ store, cleanup: () => store.close() });
 * });
 * ```
 * @module
 */
import assert from "node:assert/strict";
import type { CrawlEvent, PageEvent } from "../../src/crawl/events.ts";
import {
  type FrontierEntry,
  type JobDoc,
  newJob,
  type QueuedUrl,
  type Store,
  type StoredEvent,
  StoreError,
  type WriteBatch,
} from "../../src/store/store.ts";

/** A store under test and how to dispose of it. */
export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

/** Options of {@linkcode storeContract}. */
export interface StoreContractOptions {
  /**
   * Register every case as ignored (say why in `name`).
   *
   * @default {false}
   */
  ignore?: boolean;
}

/**
 * Registers the contract's `Deno.test` cases, named `<name>: <case>`; each
 * case gets a fresh store from `make` and calls its `cleanup` at the end.
 *
 * @example
 * ```ts ignore
 * import { storeContract } from "./contract.ts";
 * import { MemoryStore } from "../../src/store/memory_store.ts";
 * storeContract("MemoryStore (ignored: demo)", () => {
 *   const store = new MemoryStore();
 *   return Promise.resolve({ store, cleanup: () => store.close() });
 * }, { ignore: true });
 * ```
 */
export function storeContract(
  name: string,
  make: () => Promise<StoreFixture>,
  opts: StoreContractOptions = {},
): void {
  function test(title: string, fn: (store: Store) => Promise<void>): void {
    Deno.test({
      name: `${name}: ${title}`,
      ignore: opts.ignore ?? false,
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

  test("ping() resolves, and rejects with an aborted signal's reason", async (store) => {
    assert.equal(await store.ping(), undefined);
    const reason = new Error("stop");
    await assert.rejects(store.ping(AbortSignal.abort(reason)), (e) => e === reason);
  });

  test("createJob() then getJob() returns an equal, detached job", async (store) => {
    const job = makeJob("j1", { options: { maxPages: 5, nested: { a: [1, "b", null] } } });
    await store.createJob(job);
    const got = await store.getJob("j1");
    assert.deepStrictEqual(got, job);
    got!.urls.push("http://changed.test/");
    got!.counters.pages = 99;
    assert.deepStrictEqual(await store.getJob("j1"), job);
    assert.equal(await store.getJob("missing"), null);
  });

  test("createJob() rejects a taken id with code duplicate", async (store) => {
    await store.createJob(makeJob("j1"));
    await assert.rejects(
      store.createJob(makeJob("j1", { urls: ["http://other.test/"] })),
      (e) => e instanceof StoreError && e.code === "duplicate",
    );
    assert.deepStrictEqual((await store.getJob("j1"))?.urls, ["http://a.test/"]);
  });

  test("listJobs() returns the most recent first, at most limit", async (store) => {
    await store.createJob(makeJob("old", { createdAt: at(1) }));
    await store.createJob(makeJob("new", { createdAt: at(3) }));
    await store.createJob(makeJob("mid", { createdAt: at(2) }));
    assert.deepStrictEqual((await store.listJobs(10)).map((j) => j.id), ["new", "mid", "old"]);
    assert.deepStrictEqual((await store.listJobs(2)).map((j) => j.id), ["new", "mid"]);
    assert.deepStrictEqual(await store.listJobs(0), []);
  });

  test("updateJob() sets the patch and updatedAt; false for an unknown id", async (store) => {
    const job = makeJob("j1", { updatedAt: at(0) });
    await store.createJob(job);
    const patch = {
      status: "completed" as const,
      counters: { pages: 3, errors: 1, skipped: 2, bytes: 4096 },
      startedAt: at(10),
      finishedAt: at(20),
      cancelRequested: true,
      error: "boom",
    };
    assert.equal(await store.updateJob("j1", patch), true);
    const got = await store.getJob("j1");
    assert.ok(got);
    assert.ok(got.updatedAt.getTime() > at(0).getTime(), "updatedAt moves forward");
    assert.deepStrictEqual({ ...got, updatedAt: job.updatedAt }, { ...job, ...patch });
    assert.equal(await store.updateJob("missing", { status: "failed" }), false);
    assert.equal(await store.getJob("missing"), null);
  });

  test("countJobs() counts jobs per status", async (store) => {
    assert.deepStrictEqual(withoutZeros(await store.countJobs()), {});
    await store.createJob(makeJob("a", { status: "queued" }));
    await store.createJob(makeJob("b", { status: "queued" }));
    await store.createJob(makeJob("c", { status: "running" }));
    await store.createJob(makeJob("d", { status: "failed" }));
    assert.deepStrictEqual(withoutZeros(await store.countJobs()), {
      queued: 2,
      running: 1,
      failed: 1,
    });
  });

  test("claimJob() takes a queued job once; it stays taken while leased", async (store) => {
    await store.createJob(makeJob("j1"));
    const now = at(100);
    const claimed = await store.claimJob("w1", 30_000, now);
    assert.ok(claimed);
    assert.equal(claimed.id, "j1");
    assert.equal(claimed.status, "queued", "the status is left as it was");
    assert.equal(claimed.owner, "w1");
    assert.deepStrictEqual(claimed.leaseUntil, new Date(now.getTime() + 30_000));
    assert.deepStrictEqual(await store.getJob("j1"), claimed);
    assert.equal(await store.claimJob("w2", 30_000, now), null);
    assert.equal(await store.claimJob("w2", 30_000, new Date(now.getTime() + 29_999)), null);
    assert.equal(await store.claimJob("w1", 30_000, new Date(now.getTime() + 1)), null);
  });

  test("claimJob() takes a job again once its lease has expired", async (store) => {
    await store.createJob(makeJob("j1"));
    const now = at(100);
    assert.ok(await store.claimJob("w1", 1_000, now));
    await store.updateJob("j1", { status: "running" });
    const later = new Date(now.getTime() + 1_000);
    const taken = await store.claimJob("w2", 5_000, later);
    assert.ok(taken);
    assert.equal(taken.id, "j1");
    assert.equal(taken.owner, "w2");
    assert.equal(taken.status, "running");
    assert.deepStrictEqual(taken.leaseUntil, new Date(later.getTime() + 5_000));
    assert.equal(await store.renewLease("j1", "w1", 1_000, later), false);
  });

  test("claimJob() takes the oldest job, skipping finished and leased ones", async (store) => {
    const now = at(1_000);
    await store.createJob(makeJob("done", { status: "completed", createdAt: at(1) }));
    await store.createJob(makeJob("cancelled", { status: "cancelled", createdAt: at(2) }));
    await store.createJob(makeJob("failed", { status: "failed", createdAt: at(3) }));
    await store.createJob(
      makeJob("leased", {
        status: "running",
        createdAt: at(4),
        owner: "other",
        leaseUntil: new Date(now.getTime() + 60_000),
      }),
    );
    await store.createJob(makeJob("newer", { createdAt: at(7) }));
    await store.createJob(makeJob("orphan", { status: "running", createdAt: at(6) }));
    await store.createJob(makeJob("oldest", { createdAt: at(5) }));
    const order = [];
    for (let i = 0; i < 4; i++) order.push((await store.claimJob(`w${i}`, 60_000, now))?.id);
    assert.deepStrictEqual(order, ["oldest", "orphan", "newer", undefined]);
  });

  test("claimJob() hands one job to exactly one of many concurrent claimers", async (store) => {
    await store.createJob(makeJob("j1"));
    const now = at(100);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.claimJob(`w${i}`, 60_000, now)),
    );
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    assert.equal((await store.getJob("j1"))?.owner, winners[0]!.owner);
  });

  test("renewLease() extends the owner's lease and refuses anyone else", async (store) => {
    await store.createJob(makeJob("j1"));
    const now = at(100);
    await store.claimJob("w1", 1_000, now);
    const later = new Date(now.getTime() + 500);
    assert.equal(await store.renewLease("j1", "w1", 10_000, later), true);
    assert.deepStrictEqual(
      (await store.getJob("j1"))?.leaseUntil,
      new Date(later.getTime() + 10_000),
    );
    assert.equal(await store.renewLease("j1", "w2", 10_000, later), false);
    assert.equal(await store.renewLease("missing", "w1", 10_000, later), false);
    assert.equal((await store.getJob("j1"))?.owner, "w1");
    assert.equal(await store.claimJob("w2", 1_000, new Date(now.getTime() + 5_000)), null);
  });

  test("write() stores each queued URL and event once when replayed", async (store) => {
    await store.createJob(makeJob("j1"));
    const batch: WriteBatch = {
      frontier: [
        queued("http://a.test/", 0, null),
        queued("http://a.test/b"),
        queued("http://a.test/c"),
      ],
      events: [
        {
          seq: 1,
          key: "http://a.test/",
          event: page("http://a.test/", { depth: 0, parent: null }),
        },
      ],
      counters: { pages: 1, errors: 0, skipped: 0, bytes: 100 },
    };
    await store.write("j1", batch);
    await store.write("j1", batch);
    assert.deepStrictEqual(sortByUrl(await store.loadFrontier("j1")), [
      entry("http://a.test/", "page", 0, null),
      entry("http://a.test/b", "pending"),
      entry("http://a.test/c", "pending"),
    ]);
    assert.deepStrictEqual(await store.listPages("j1", { limit: 10 }), [
      page("http://a.test/", { depth: 0, parent: null }),
    ]);
    assert.deepStrictEqual(await store.readEvents("j1", 0, 10), batch.events);
    assert.deepStrictEqual((await store.getJob("j1"))?.counters, batch.counters);
  });

  test("write() makes a URL's first event its state; a URL queued again keeps its entry", async (store) => {
    const url = "http://a.test/x";
    await store.write("j1", { frontier: [queued(url, 1, "http://a.test/")], events: [] });
    assert.deepStrictEqual(await store.loadFrontier("j1"), [
      entry(url, "pending", 1, "http://a.test/"),
    ]);
    await store.write("j1", { frontier: [], events: [errorEvent(1, url)] });
    assert.deepStrictEqual(await store.loadFrontier("j1"), [
      entry(url, "error", 1, "http://a.test/"),
    ]);
    await store.write("j1", { frontier: [queued(url, 2, "http://a.test/y")], events: [] });
    await store.write("j1", {
      frontier: [],
      events: events([2]).map((e) => ({
        ...e,
        key: url,
        event: { ...e.event, url } as CrawlEvent,
      })),
    });
    assert.deepStrictEqual(await store.loadFrontier("j1"), [
      entry(url, "error", 1, "http://a.test/"),
    ]);
    assert.deepStrictEqual((await store.readEvents("j1", 0, 10)).map((e) => e.seq), [1]);
  });

  test("write() stores queued URLs and their results of one batch together", async (store) => {
    const url = "http://a.test/x";
    await store.write("j1", {
      frontier: [queued(url), queued("http://a.test/new"), queued("http://a.test/err")],
      events: [
        { seq: 1, key: url, event: page(url) },
        events([2]).map((e) => ({
          ...e,
          key: "http://a.test/new",
          event: { ...e.event, url: "http://a.test/new" } as CrawlEvent,
        }))[0],
        errorEvent(3, "http://a.test/err"),
        { seq: 4, key: "done", event: doneEvent() },
      ],
    });
    assert.deepStrictEqual(sortByUrl(await store.loadFrontier("j1")), [
      entry("http://a.test/err", "error"),
      entry("http://a.test/new", "skipped"),
      entry(url, "page"),
    ]);
    assert.deepStrictEqual((await store.listPages("j1", { limit: 10 })).map((p) => p.url), [url]);
  });

  test("write() keeps the first event of a key: a page is stored once", async (store) => {
    const url = "http://a.test/";
    await store.write("j1", {
      frontier: [],
      events: [{ seq: 1, key: url, event: page(url, { status: 500 }) }],
    });
    await store.write("j1", {
      frontier: [],
      events: [{ seq: 7, key: url, event: page(url, { status: 200, title: "Again" }) }],
    });
    assert.deepStrictEqual(await store.listPages("j1", { limit: 10 }), [
      page(url, { status: 500 }),
    ]);
    assert.deepStrictEqual(await store.readEvents("j1", 0, 10), [
      { seq: 1, key: url, event: page(url, { status: 500 }) },
    ]);
    assert.equal(await store.maxSeq("j1"), 1);
  });

  test("write() rejects an event whose key is not its URL (or done) with code invalid", async (store) => {
    const invalid = (e: unknown) => e instanceof StoreError && e.code === "invalid";
    await assert.rejects(
      store.write("j1", {
        frontier: [],
        events: [{ seq: 1, key: "http://a.test/other", event: page("http://a.test/") }],
      }),
      invalid,
    );
    await assert.rejects(
      store.write("j1", { frontier: [], events: [{ seq: 1, key: "x", event: doneEvent() }] }),
      invalid,
    );
    assert.deepStrictEqual(await store.readEvents("j1", 0, 10), []);
  });

  test("write() with an owner writes only while that owner holds the lease", async (store) => {
    await store.createJob(makeJob("j1"));
    await store.claimJob("w1", 60_000, at(100));
    const url = "http://a.test/x";
    const batch = (owner: string): WriteBatch => ({
      frontier: [queued(url)],
      events: [{ seq: 1, key: url, event: page(url) }],
      counters: { pages: 1, errors: 0, skipped: 0, bytes: 1 },
      owner,
    });
    const lost = (e: unknown) => e instanceof StoreError && e.code === "lease_lost";
    await assert.rejects(store.write("j1", batch("w2")), lost);
    await assert.rejects(store.write("missing", batch("w1")), lost);
    assert.deepStrictEqual(await store.loadFrontier("j1"), []);
    assert.deepStrictEqual(await store.readEvents("j1", 0, 10), []);
    assert.deepStrictEqual((await store.getJob("j1"))?.counters, makeJob("j1").counters);
    await store.write("j1", batch("w1"));
    assert.deepStrictEqual(await store.loadFrontier("j1"), [entry(url, "page")]);
  });

  test("write() sets counters only on its own job and ignores a missing job", async (store) => {
    await store.createJob(makeJob("j1"));
    await store.createJob(makeJob("j2"));
    const counters = { pages: 7, errors: 2, skipped: 1, bytes: 12345 };
    await store.write("j1", { frontier: [], events: [], counters });
    await store.write("missing", { frontier: [], events: [], counters });
    assert.deepStrictEqual((await store.getJob("j1"))?.counters, counters);
    assert.deepStrictEqual((await store.getJob("j2"))?.counters, makeJob("j2").counters);
    assert.equal(await store.getJob("missing"), null);
  });

  test("loadFrontier() returns only the job's entries", async (store) => {
    await store.write("j1", { frontier: [queued("http://a.test/")], events: [] });
    await store.write("j2", {
      frontier: [queued("http://b.test/")],
      events: [{ seq: 1, key: "http://b.test/", event: page("http://b.test/") }],
    });
    assert.deepStrictEqual(await store.loadFrontier("j1"), [entry("http://a.test/", "pending")]);
    assert.deepStrictEqual(await store.loadFrontier("j2"), [entry("http://b.test/", "page")]);
    assert.deepStrictEqual(await store.loadFrontier("j3"), []);
  });

  test("jobs whose ids share a prefix keep their frontiers and pages apart", async (store) => {
    const ids = ["j1", "j10", "j1:", "1:j1"];
    for (const [i, id] of ids.entries()) {
      const url = `http://a.test/${i}`;
      await store.write(id, {
        frontier: [queued(url), queued(`http://a.test/pending${i}`)],
        events: [{ seq: 1, key: url, event: page(url) }],
      });
    }
    for (const [i, id] of ids.entries()) {
      assert.deepStrictEqual(sortByUrl(await store.loadFrontier(id)), [
        entry(`http://a.test/${i}`, "page"),
        entry(`http://a.test/pending${i}`, "pending"),
      ]);
      assert.deepStrictEqual((await store.listPages(id, { limit: 10 })).map((p) => p.url), [
        `http://a.test/${i}`,
      ]);
    }
  });

  test("maxSeq() is the highest stored seq of the job, 0 when none", async (store) => {
    assert.equal(await store.maxSeq("j1"), 0);
    await store.write("j1", { frontier: [], events: events([3, 1, 2]) });
    await store.write("j2", { frontier: [], events: events([10]) });
    assert.equal(await store.maxSeq("j1"), 3);
    assert.equal(await store.maxSeq("j2"), 10);
  });

  test("readEvents() returns events after a seq, ascending, at most limit", async (store) => {
    await store.write("j1", { frontier: [], events: events([5, 2, 4, 1, 3]) });
    await store.write("j2", { frontier: [], events: events([6]) });
    const seqs = async (after: number, limit: number) =>
      (await store.readEvents("j1", after, limit)).map((e) => e.seq);
    assert.deepStrictEqual(await seqs(0, 100), [1, 2, 3, 4, 5]);
    assert.deepStrictEqual(await seqs(2, 100), [3, 4, 5]);
    assert.deepStrictEqual(await seqs(1, 2), [2, 3]);
    assert.deepStrictEqual(await seqs(5, 100), []);
    assert.deepStrictEqual(await seqs(0, 0), []);
    const done: CrawlEvent = {
      type: "done",
      reason: "complete",
      stats: { pages: 1, errors: 0, skipped: 0, bytes: 10, durationMs: 12.5 },
    };
    await store.write("j1", { frontier: [], events: [{ seq: 6, key: "done", event: done }] });
    assert.deepStrictEqual(await store.readEvents("j1", 5, 10), [{
      seq: 6,
      key: "done",
      event: done,
    }]);
  });

  test("listPages() returns meta, contentHash and content, and only the fields asked for", async (store) => {
    const meta = {
      description: "D",
      canonical: "http://a.test/c",
      lang: "en",
      robots: ["noindex"],
      author: null,
      publishedTime: null,
      siteName: null,
      image: null,
      alternates: { "x-default": "http://a.test/c", "de-de": "http://a.test/de" },
    };
    const full = page("http://a.test/m", {
      meta,
      contentHash: "ab".repeat(32),
      content: "# Title\n\nText é",
      contentTruncated: false,
      source: "sitemap",
      lastmod: "2024-01-01",
    });
    await store.write("j1", {
      frontier: [],
      events: [
        { seq: 1, key: full.url, event: full },
        { seq: 2, key: "http://a.test/n", event: page("http://a.test/n") },
      ],
    });
    assert.deepStrictEqual(await store.listPages("j1", { limit: 1 }), [full]);
    assert.deepStrictEqual(
      await store.listPages("j1", { limit: 5, fields: ["url", "title", "content", "source"] }),
      [
        { url: "http://a.test/m", title: "Title", content: "# Title\n\nText é", source: "sitemap" },
        { url: "http://a.test/n", title: "Title", content: null },
      ],
    );
    await assert.rejects(
      store.listPages("j1", { limit: 5, fields: ["url", "$where"] }),
      (e) => e instanceof StoreError && e.code === "invalid" && /\$where/.test(e.message),
    );
  });

  test("listPages() filters by status, url and after; sorted by URL, limited", async (store) => {
    const urls = ["http://a.test/d", "http://a.test/a", "http://a.test/c", "http://a.test/b"];
    await store.write("j1", {
      frontier: [],
      events: [
        ...urls.map((u, i) => ({
          seq: i + 1,
          key: u,
          event: page(u, { status: i % 2 === 0 ? 200 : 404 }),
        })),
        errorEvent(9, "http://a.test/e"),
      ],
    });
    await store.write("j2", {
      frontier: [],
      events: [{ seq: 1, key: "http://a.test/0", event: page("http://a.test/0") }],
    });
    const list = async (q: Parameters<Store["listPages"]>[1]) =>
      (await store.listPages("j1", q)).map((p) => `${p.url} ${p.status}`);
    assert.deepStrictEqual(await list({ limit: 10 }), [
      "http://a.test/a 404",
      "http://a.test/b 404",
      "http://a.test/c 200",
      "http://a.test/d 200",
    ]);
    assert.deepStrictEqual(await list({ limit: 2 }), [
      "http://a.test/a 404",
      "http://a.test/b 404",
    ]);
    assert.deepStrictEqual(await list({ limit: 10, status: 200 }), [
      "http://a.test/c 200",
      "http://a.test/d 200",
    ]);
    assert.deepStrictEqual(await list({ limit: 10, url: "http://a.test/c" }), [
      "http://a.test/c 200",
    ]);
    assert.deepStrictEqual(await list({ limit: 10, url: "http://a.test/c", status: 404 }), []);
    assert.deepStrictEqual(await list({ limit: 10, after: "http://a.test/b" }), [
      "http://a.test/c 200",
      "http://a.test/d 200",
    ]);
    assert.deepStrictEqual(await list({ limit: 1, after: "http://a.test/a", status: 200 }), [
      "http://a.test/c 200",
    ]);
    assert.deepStrictEqual(
      await list({ limit: 10, url: "http://a.test/a", after: "http://a.test/a" }),
      [],
    );
    assert.deepStrictEqual(await list({ limit: 0 }), []);
  });

  test("stores URLs and options with $ and dots as plain data", async (store) => {
    const url = "http://a.test/$where?x.y=1&$gt=2";
    const options = { "$where": "sleep(1)", "a.b": { "$ne": null }, "c": [{ "$gt": "" }] };
    await store.createJob(makeJob("j.$1", { urls: [url], options }));
    assert.deepStrictEqual((await store.getJob("j.$1"))?.options, options);
    assert.deepStrictEqual((await store.getJob("j.$1"))?.urls, [url]);
    const ev: StoredEvent = {
      seq: 1,
      key: url,
      event: {
        type: "error",
        url,
        depth: 1,
        parent: null,
        code: "network",
        message: "$x.y",
        attempts: 2,
      },
    };
    const pageUrl = "http://a.test/$set?a.b=$gt";
    const pageEv: StoredEvent = {
      seq: 2,
      key: pageUrl,
      event: page(pageUrl, { links: ["http://a.test/$inc.x"], title: "$and.or" }),
    };
    await store.write("j.$1", { frontier: [queued(url), queued(pageUrl)], events: [ev, pageEv] });
    assert.deepStrictEqual(sortByUrl(await store.loadFrontier("j.$1")), [
      entry(pageUrl, "page"),
      entry(url, "error"),
    ]);
    assert.deepStrictEqual(await store.listPages("j.$1", { limit: 5, url: pageUrl }), [
      pageEv.event,
    ]);
    assert.deepStrictEqual(
      await store.listPages("j.$1", { limit: 5, after: "http://a.test/$" }),
      [pageEv.event],
    );
    assert.deepStrictEqual(await store.readEvents("j.$1", 0, 5), [ev, pageEv]);
  });

  test("rejects query values of the wrong type with code invalid", async (store) => {
    await store.write("j1", {
      frontier: [],
      events: [{ seq: 1, key: "http://a.test/", event: page("http://a.test/") }],
    });
    const injected = { $ne: null } as unknown as string;
    const invalid = (e: unknown) => e instanceof StoreError && e.code === "invalid";
    await assert.rejects(store.listPages("j1", { limit: 10, url: injected }), invalid);
    await assert.rejects(store.listPages("j1", { limit: 10, after: injected }), invalid);
    await assert.rejects(store.listPages(injected, { limit: 10 }), invalid);
    await assert.rejects(store.listPages("j1", { limit: -1 }), invalid);
    await assert.rejects(store.readEvents("j1", 0, 1.5), invalid);
    await assert.rejects(
      store.write("j1", { frontier: [queued(injected)], events: [] }),
      invalid,
    );
    assert.deepStrictEqual(await store.loadFrontier("j1"), []);
  });

  // Shared jobs (issue 11).

  test("admitUrls() admits each URL once across writers, in host chunks, up to limit", async (store) => {
    const a = { w: "wa", b: 1, blk: "0" };
    const first = await store.admitUrls(
      "j1",
      [
        queued("http://a.test/1"),
        queued("http://b.test/1"),
        queued("http://a.test/2"),
      ],
      a,
      10,
    );
    assert.deepStrictEqual(first.added.map((q) => q.url), [
      "http://a.test/1",
      "http://b.test/1",
      "http://a.test/2",
    ]);
    assert.equal(first.used, 3);
    // Another writer: the known URL is not added; the limit counts new URLs only.
    const second = await store.admitUrls(
      "j1",
      [
        queued("http://a.test/1"),
        queued("http://a.test/3"),
        queued("http://a.test/4"),
        queued("http://a.test/5"),
      ],
      { w: "wb", b: 1, blk: "1" },
      2,
    );
    assert.deepStrictEqual(second.added.map((q) => q.url), ["http://a.test/3", "http://a.test/4"]);
    assert.equal(second.used, 3, "the fifth URL was not looked at");
    assert.deepStrictEqual(
      (await store.readQueue("j1", "a.test", 1))?.map((q) => q.url),
      ["http://a.test/1", "http://a.test/2"],
    );
    assert.deepStrictEqual(
      (await store.readQueue("j1", "a.test", 2))?.map((q) => q.url),
      ["http://a.test/3", "http://a.test/4"],
    );
    assert.equal(await store.readQueue("j1", "a.test", 3), null);
    assert.deepStrictEqual(await store.readQueue("j1", "b.test", 1), [queued("http://b.test/1")]);
    assert.equal(await store.countAdmitted("j1", "0"), 3);
    assert.equal(await store.countAdmitted("j1", "1"), 2);
    assert.equal(await store.countAdmitted("j2", "0"), 0);
    assert.equal((await store.loadFrontier("j1")).length, 5);
  });

  test("admitUrls() says which chunks it appended; readQueues() reads many hosts' at once", async (store) => {
    const first = await store.admitUrls(
      "j1",
      [queued("http://a.test/1"), queued("http://b.test/1"), queued("http://a.test/2")],
      { w: "wa", b: 1, blk: "0" },
      10,
    );
    const byHost = (r: typeof first) =>
      r.chunks.map((c) => [c.host, c.n, c.urls.map((q) => q.url)]).sort();
    assert.deepStrictEqual(byHost(first), [
      ["a.test", 1, ["http://a.test/1", "http://a.test/2"]],
      ["b.test", 1, ["http://b.test/1"]],
    ]);
    const second = await store.admitUrls(
      "j1",
      [queued("http://a.test/1"), queued("http://a.test/3")],
      { w: "wb", b: 1, blk: "1" },
      10,
    );
    assert.deepStrictEqual(byHost(second), [["a.test", 2, ["http://a.test/3"]]]);
    // Nothing new: no chunk.
    const third = await store.admitUrls(
      "j1",
      [queued("http://b.test/1")],
      { w: "wb", b: 2, blk: "1" },
      10,
    );
    assert.deepStrictEqual(third.chunks, []);
    const found = await store.readQueues("j1", [
      { host: "a.test", n: 2 },
      { host: "b.test", n: 1 },
      { host: "b.test", n: 2 },
      { host: "c.test", n: 1 },
    ]);
    assert.deepStrictEqual(
      [...found].map(([k, urls]) => [k, urls.map((q) => q.url)]).sort(),
      [["a.test#2", ["http://a.test/3"]], ["b.test#1", ["http://b.test/1"]]],
    );
    assert.deepStrictEqual(await store.readQueues("j2", [{ host: "a.test", n: 1 }]), new Map());
    await assert.rejects(
      store.readQueues("j1", [{ host: 7 as unknown as string, n: 1 }]),
      StoreError,
    );
  });

  test("appendEvents() numbers two writers' batches 1, 2, 3, ... with no gap and no repeat", async (store) => {
    const e1 = await store.appendEvents("j1", [
      { key: "http://a.test/1", event: page("http://a.test/1") },
      { key: "http://a.test/2", event: errorEvent(0, "http://a.test/2").event },
    ], { w: "wa", b: 1 });
    const e2 = await store.appendEvents("j1", [
      { key: "http://a.test/3", event: page("http://a.test/3") },
      // Stored already by the other writer: no second event.
      { key: "http://a.test/1", event: page("http://a.test/1", { title: "again" }) },
    ], { w: "wb", b: 1 });
    const e3 = await store.appendEvents("j1", [{ key: "done", event: doneEvent() }], {
      w: "wa",
      b: 2,
    });
    assert.deepStrictEqual([...e1, ...e2, ...e3].map((e) => [e.seq, e.key]), [
      [1, "http://a.test/1"],
      [2, "http://a.test/2"],
      [3, "http://a.test/3"],
      [4, "done"],
    ]);
    // A replayed flush (same tag) appends nothing new.
    await store.appendEvents("j1", [{ key: "http://a.test/3", event: page("http://a.test/3") }], {
      w: "wb",
      b: 1,
    });
    const read = await store.readEvents("j1", 0, 10);
    assert.deepStrictEqual(read.map((e) => [e.seq, e.key, e.event.type]), [
      [1, "http://a.test/1", "page"],
      [2, "http://a.test/2", "error"],
      [3, "http://a.test/3", "page"],
      [4, "done", "done"],
    ]);
    assert.deepStrictEqual(read[0].event, page("http://a.test/1"));
    assert.deepStrictEqual(read[3].event, doneEvent());
    assert.deepStrictEqual((await store.readEvents("j1", 2, 1)).map((e) => e.seq), [3]);
    assert.equal(await store.maxSeq("j1"), 4);
    assert.deepStrictEqual(
      (await store.listPages("j1", { limit: 10 })).map((p) => [p.url, p.title]),
      [["http://a.test/1", "Title"], ["http://a.test/3", "Title"]],
    );
    assert.deepStrictEqual(
      await store.resultsOf("j1", ["http://a.test/1", "http://a.test/2", "http://a.test/9"]),
      new Set(["http://a.test/1", "http://a.test/2"]),
    );
    // Recovering a writer whose flushes all completed changes nothing.
    await store.recoverWriter("j1", "wa");
    assert.equal(await store.maxSeq("j1"), 4);
  });

  test("putToken() inserts a key once; listTokens() lists one kind", async (store) => {
    const t = (key: string, owner: string | null) => ({
      kind: "lease",
      key,
      owner,
      data: { host: "a.test", gen: 1 },
      at: at(1),
    });
    assert.equal(await store.putToken("j1", t("a.test#1", "p1")), true);
    assert.equal(await store.putToken("j1", t("a.test#1", "p2")), false, "the second taker loses");
    assert.equal(await store.putToken("j1", t("a.test#2", null)), true);
    assert.equal(await store.putToken("j2", t("a.test#1", "p2")), true, "per job");
    assert.equal(
      await store.putToken("j1", { kind: "host", key: "a.test", owner: "p1", data: {}, at: at(2) }),
      true,
    );
    const leases = (await store.listTokens("j1", "lease")).sort((a, b) => a.key < b.key ? -1 : 1);
    assert.deepStrictEqual(leases, [t("a.test#1", "p1"), t("a.test#2", null)]);
    assert.equal((await store.listTokens("j1", "host")).length, 1);
    assert.deepStrictEqual(await store.listTokens("j3", "lease"), []);
  });

  test("putMark() inserts a key once; hasMark() finds it, per job", async (store) => {
    assert.equal(await store.putMark("j1", "qdone a.test#1"), true);
    assert.equal(await store.putMark("j1", "qdone a.test#1"), false);
    assert.equal(await store.hasMark("j1", "qdone a.test#1"), true);
    assert.equal(await store.hasMark("j1", "qdone a.test#2"), false);
    assert.equal(await store.hasMark("j2", "qdone a.test#1"), false);
  });

  test("renewMember() creates then replaces a member; listMembers() lists the job's", async (store) => {
    const m = {
      owner: "p1/a",
      leaseUntil: at(10),
      idle: false,
      work: 1,
      counters: { pages: 1, errors: 0, skipped: 0, bytes: 10 },
    };
    await store.renewMember("j1", m);
    const appended = [{ host: "a.test", n: 3 }, { host: "b.test", n: 0 }];
    await store.renewMember("j1", {
      ...m,
      leaseUntil: at(20),
      idle: true,
      work: 2,
      appended,
      left: true,
    });
    await store.renewMember("j1", { ...m, owner: "p2/b" });
    await store.renewMember("j2", m);
    const got = (await store.listMembers("j1")).sort((a, b) => a.owner < b.owner ? -1 : 1);
    assert.deepStrictEqual(got, [
      { ...m, leaseUntil: at(20), idle: true, work: 2, appended, left: true },
      { ...m, owner: "p2/b", appended: [], left: false },
    ]);
  });
}

/** A date `n` seconds after a fixed origin. */
function at(n: number): Date {
  return new Date(Date.UTC(2020, 0, 1) + n * 1000);
}

function makeJob(id: string, over: Partial<JobDoc> = {}): JobDoc {
  return { ...newJob(id, ["http://a.test/"], { maxDepth: 2 }, at(0)), ...over };
}

function entry(
  url: string,
  state: FrontierEntry["state"],
  depth = 1,
  parent: string | null = "http://a.test/",
): FrontierEntry {
  return { url, depth, parent, state };
}

function page(url: string, over: Partial<PageEvent> = {}): PageEvent {
  return {
    type: "page",
    url,
    finalUrl: url,
    status: 200,
    depth: 1,
    parent: "http://a.test/",
    contentType: "text/html; charset=utf-8",
    title: "Title",
    links: ["http://a.test/1", "http://a.test/2"],
    bytes: 1234,
    ms: 5.25,
    attempts: 1,
    meta: null,
    contentHash: null,
    content: null,
    ...over,
  };
}

/** Events with these seqs, keyed by a URL of their seq. */
function events(seqs: number[]): StoredEvent[] {
  return seqs.map((seq) => {
    const url = `http://a.test/${seq}`;
    return {
      seq,
      key: url,
      event: { type: "skipped", url, reason: "robots", depth: 1, parent: null },
    };
  });
}

function queued(url: string, depth = 1, parent: string | null = "http://a.test/"): QueuedUrl {
  return { url, depth, parent };
}

function errorEvent(seq: number, url: string): StoredEvent {
  return {
    seq,
    key: url,
    event: {
      type: "error",
      url,
      depth: 1,
      parent: "http://a.test/",
      code: "network",
      message: "refused",
      attempts: 1,
    },
  };
}

function doneEvent(): CrawlEvent {
  return {
    type: "done",
    reason: "complete",
    stats: { pages: 1, errors: 0, skipped: 0, bytes: 10, durationMs: 12.5 },
  };
}

function sortByUrl(entries: FrontierEntry[]): FrontierEntry[] {
  return [...entries].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
}

function withoutZeros(counts: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).filter(([, n]) => n !== undefined && n > 0),
  ) as Record<string, number>;
}
