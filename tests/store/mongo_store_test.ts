import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { MongoStore } from "../../src/store/mongo/mongo_store.ts";
import { docIdRange } from "../../src/store/mongo/records.ts";
import { NO_META } from "../../src/html/page_meta.ts";
import { type JobDoc, newJob, StoreError } from "../../src/store/store.ts";
import { dropDatabase, freshDbName, mongoTestConfig } from "../_mongo.ts";
import { storeContract } from "./contract.ts";
import { JobRunner } from "../../src/service/job_runner.ts";
import { JobHub } from "../../src/service/job_hub.ts";
import { Metrics } from "../../src/service/metrics.ts";

const cfg = mongoTestConfig();
let unavailable: StoreError | null = null;

function requireUri(): string {
  if (cfg.uri === null) throw new Error(cfg.reason);
  // After one "unavailable", fail the other cases at once instead of waiting 5 s each.
  if (unavailable) throw unavailable;
  return cfg.uri;
}

/** A store on `dbName`, inited; remembers an `unavailable` server for {@linkcode requireUri}. */
async function openStore(uri: string, dbName: string): Promise<MongoStore> {
  const store = new MongoStore(uri, dbName);
  try {
    await store.init();
    return store;
  } catch (e) {
    if (e instanceof StoreError && e.code === "unavailable") unavailable = e;
    await store.close();
    throw e;
  }
}

storeContract(
  cfg.ignore ? `MongoStore (ignored: ${cfg.reason})` : "MongoStore",
  async () => {
    const uri = requireUri();
    const dbName = freshDbName("skein_store");
    const store = await openStore(uri, dbName);
    return {
      store,
      async cleanup() {
        await store.close();
        await dropDatabase(uri, dbName);
      },
    };
  },
  { ignore: cfg.ignore },
);

Deno.test("MongoStore.init() rejects with code unavailable when nothing listens", async () => {
  const store = new MongoStore("mongodb://user:secret@127.0.0.1:1/", "skein", {
    serverSelectionTimeoutMS: 300,
  });
  try {
    const started = performance.now();
    await assert.rejects(store.init(), (e) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, "unavailable");
      assert.match(e.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
    assert.ok(performance.now() - started < 5_000, "fails fast");
    await assert.rejects(store.ping(), (e) => e instanceof StoreError && e.code === "unavailable");
  } finally {
    await store.close();
  }
});

Deno.test("MongoStore.init() rejects with the signal's reason once aborted", async () => {
  const store = new MongoStore("mongodb://127.0.0.1:1/", "skein", {
    serverSelectionTimeoutMS: 300,
  });
  try {
    const reason = new Error("stop");
    await assert.rejects(store.init(AbortSignal.abort(reason)), (e) => e === reason);
  } finally {
    await store.close();
  }
});

Deno.test("MongoStore constructor throws code invalid for a malformed URI", () => {
  assert.throws(
    () => new MongoStore("http://not-mongo/", "skein"),
    (e) => e instanceof StoreError && e.code === "invalid",
  );
});

/** Runs `fn` with `n` stores on one fresh database (as `n` processes would be) and a raw client. */
async function withStores(
  n: number,
  fn: (stores: MongoStore[], client: MongoClient, dbName: string) => Promise<void>,
): Promise<void> {
  const uri = requireUri();
  const dbName = freshDbName("skein_store");
  const stores: MongoStore[] = [];
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    for (let i = 0; i < n; i++) stores.push(await openStore(uri, dbName));
    await fn(stores, client, dbName);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await client.close();
    if (!unavailable) await dropDatabase(uri, dbName);
  }
}

function queuedJob(id: string, createdAt: Date): JobDoc {
  return newJob(id, ["http://a.test/"], {}, createdAt);
}

const suffix = cfg.ignore ? ` (ignored: ${cfg.reason})` : "";

Deno.test({
  name: `MongoStore.claimJob() gives each job to one of several processes${suffix}`,
  ignore: cfg.ignore,
  async fn() {
    await withStores(4, async (stores) => {
      const t0 = new Date("2020-01-01T00:00:00Z");
      for (let i = 0; i < 3; i++) {
        await stores[0].createJob(queuedJob(`j${i}`, new Date(t0.getTime() + i)));
      }
      const now = new Date(t0.getTime() + 60_000);
      const claims = await Promise.all(
        stores.flatMap((
          s,
          i,
        ) => [s.claimJob(`w${i}a`, 30_000, now), s.claimJob(`w${i}b`, 30_000, now)]),
      );
      const won = claims.filter((c) => c !== null).map((c) => `${c.id}:${c.owner}`);
      assert.deepStrictEqual(won.map((w) => w.split(":")[0]).sort(), ["j0", "j1", "j2"]);
      for (const w of won) {
        const [id, owner] = w.split(":");
        assert.equal((await stores[1].getJob(id))?.owner, owner);
      }
    });
  },
});

Deno.test({
  name: `MongoStore.claimJob() skips a claim token that was never used once it is stale${suffix}`,
  ignore: cfg.ignore,
  async fn() {
    await withStores(1, async ([store], client, dbName) => {
      const t0 = new Date("2020-01-01T00:00:00Z");
      await store.createJob(queuedJob("j1", t0));
      // A claimer that inserted token 1 and died before updating the job.
      await client.db(dbName).collection<{ _id: string; [k: string]: unknown }>("claims").insertOne(
        {
          _id: "j1#1",
          jobId: "j1",
          gen: 1,
          owner: "dead",
          leaseUntil: new Date(t0.getTime() + 10_000),
        },
      );
      assert.equal(await store.claimJob("w1", 5_000, new Date(t0.getTime() + 9_999)), null);
      const job = await store.claimJob("w1", 5_000, new Date(t0.getTime() + 10_000));
      assert.equal(job?.owner, "w1");
      const tokens = await client.db(dbName).collection("claims").find({}).toArray();
      assert.deepStrictEqual(tokens.map((t) => t._id), ["j1#2"]);
    });
  },
});

Deno.test({
  name: `MongoStore.init() succeeds again on an existing database (a restart)${suffix}`,
  ignore: cfg.ignore,
  async fn() {
    await withStores(1, async ([first], _client, dbName) => {
      await first.createJob(queuedJob("j1", new Date("2020-01-01T00:00:00Z")));
      const again = await openStore(requireUri(), dbName);
      try {
        assert.equal((await again.getJob("j1"))?.id, "j1");
      } finally {
        await again.close();
      }
    });
  },
});

Deno.test({
  name: `MongoStore: a job's fetched page costs one frontier entry and one event, as BSON${
    cfg.ignore ? ` (ignored: ${cfg.reason})` : ""
  }`,
  ignore: cfg.ignore,
  async fn() {
    const uri = requireUri();
    const dbName = freshDbName("skein_store");
    const store = await openStore(uri, dbName);
    const hub = new JobHub({ lingerMs: 0 });
    // Page N links to pages 10N+1 .. 10N+10: 20 pages fetched, 1,000s of links left out.
    const fetcher = (url: string) => {
      const n = Number(new URL(url).pathname.split("/").at(-1));
      const links = Array.from({ length: 10 }, (_, i) => `<a href="/p/${n * 10 + i + 1}">x</a>`);
      return Promise.resolve(
        new Response(`<title>${n}</title>${links.join("")}`, {
          headers: { "content-type": "text/html" },
        }),
      );
    };
    const runner = new JobRunner(store, {
      owner: "t",
      leaseMs: 30_000,
      pollMs: 20,
      maxRunning: 1,
      fetcher,
      hub,
      metrics: new Metrics(),
      flushMs: 10,
      log: () => {},
    });
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    try {
      await store.createJob(
        newJob("j1", ["http://a.test/p/0"], { maxPages: 20, ignoreRobots: true }, new Date()),
      );
      runner.start();
      const until = Date.now() + 30_000;
      while ((await store.getJob("j1"))?.status !== "completed") {
        if (Date.now() > until) throw new Error("job not completed within 30 s");
        await new Promise((r) => setTimeout(r, 20));
      }
      const db = client.db(dbName);
      const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
      assert.deepEqual(names, [
        "batches",
        "claims",
        "events",
        "frontier",
        "jobs",
        "queue",
        "tokens",
      ]);
      for (const unused of ["batches", "queue", "tokens"]) {
        assert.equal(
          await db.collection(unused).countDocuments({}),
          0,
          `${unused} is for shared jobs`,
        );
      }
      assert.equal(
        await db.collection("frontier").countDocuments({ _id: docIdRange("j1") as never }),
        20,
      );
      assert.equal(await db.collection("events").countDocuments({ jobId: "j1" }), 21);
      const page = await db.collection("events").findOne({ jobId: "j1", type: "page" });
      assert.ok(Array.isArray(page?.links), "an event is a document, its links an array");
      const job = await db.collection("jobs").findOne({ _id: "j1" as unknown as never });
      assert.equal(job?.options?.maxPages, 20, "job options are a document");
    } finally {
      await runner.stop();
      hub.close();
      await client.close();
      await store.close();
      await dropDatabase(uri, dbName);
    }
  },
});

Deno.test({
  name:
    `MongoStore: a shared job's fetched page costs a frontier entry, an event, and a share of a batch and a chunk${
      cfg.ignore ? ` (ignored: ${cfg.reason})` : ""
    }`,
  ignore: cfg.ignore,
  async fn() {
    const uri = requireUri();
    const dbName = freshDbName("skein_store");
    const store = await openStore(uri, dbName);
    const hub = new JobHub({ lingerMs: 0 });
    // Page N links to pages 10N+1 .. 10N+10: 20 pages fetched, 1,000s of links left out.
    const fetcher = (url: string) => {
      const n = Number(new URL(url).pathname.split("/").at(-1));
      const links = Array.from({ length: 10 }, (_, i) => `<a href="/p/${n * 10 + i + 1}">x</a>`);
      return Promise.resolve(
        new Response(`<title>${n}</title>${links.join("")}`, {
          headers: { "content-type": "text/html" },
        }),
      );
    };
    const runner = new JobRunner(store, {
      owner: "t",
      leaseMs: 30_000,
      pollMs: 20,
      maxRunning: 1,
      fetcher,
      hub,
      metrics: new Metrics(),
      flushMs: 10,
      log: () => {},
      shared: true,
    });
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    try {
      await store.createJob(
        newJob("j1", ["http://a.test/p/0"], { maxPages: 20, ignoreRobots: true }, new Date()),
      );
      runner.start();
      const until = Date.now() + 30_000;
      while ((await store.getJob("j1"))?.status !== "completed") {
        if (Date.now() > until) throw new Error("job not completed within 30 s");
        await new Promise((r) => setTimeout(r, 20));
      }
      const db = client.db(dbName);
      const entries = await db.collection("frontier").find({ _id: docIdRange("j1") as never })
        .toArray();
      assert.equal(entries.length, 20);
      // An entry's job and URL are in its `_id` only; the seed's has no parent.
      for (const e of entries) {
        assert.deepEqual(
          Object.keys(e).sort(),
          String(e._id) === "2:j1:http://a.test/p/0"
            ? ["_id", "b", "blk", "depth", "w"]
            : ["_id", "b", "blk", "depth", "parent", "w"],
        );
      }
      // The 20 results; `done` is in the last batch of the event chain.
      assert.equal(await db.collection("events").countDocuments({ jobId: "j1" }), 20);
      const batches = await db.collection("batches").find({ jobId: "j1" }).sort({ k: 1 }).toArray();
      assert.ok(batches.length >= 2 && batches.length <= 21, `${batches.length} batches`);
      assert.deepEqual(
        batches.map((b) => b.first),
        batches.map((_, i) => i === 0 ? 1 : batches[i - 1].last + 1),
        "no gap",
      );
      assert.equal(batches.at(-1)?.last, 21);
      // A link holds numbers only; its events are in `batch_items`, under its writer tag.
      assert.equal(batches.some((b) => "items" in b), false, "links without their events");
      const last = batches.at(-1)!;
      const items = await db.collection("batch_items").findOne({
        _id: `2:j1:${last.w}#${last.b}` as unknown as never,
      });
      assert.equal(items?.items.length, last.last - last.first + 1);
      assert.equal(items?.items.at(-1)?.event?.type, "done");
      // Results by key alone (a string each), other events in full.
      assert.ok(items?.items.slice(0, -1).every((i: unknown) => typeof i === "string"));
      const chunks = await db.collection("queue").find({ jobId: "j1" }).toArray();
      // A chunk's URLs in groups by parent page: one string a URL.
      const urls = chunks.flatMap((c) =>
        c.groups.flatMap((g: { urls: string[]; depth: number; parent: string }) => {
          // The seed's group has no parent; a link's names the page it was found on
          // (page N links to pages 10N+1 .. 10N+10).
          const num = (u: string) => Number(u.split("/").at(-1));
          for (const u of g.urls) {
            if (g.parent === null) assert.equal(g.depth, 0);
            else assert.equal(Math.floor((num(u) - 1) / 10), num(g.parent));
          }
          return g.urls;
        })
      );
      assert.equal(urls.length, 20, "each URL in one chunk");
      assert.equal(new Set(urls).size, 20);
      const page = await db.collection("events").findOne({ jobId: "j1", type: "page" });
      assert.ok(Array.isArray(page?.links), "an event is a document, its links an array");
      // Stored compact: no nulls, no finalUrl equal to url, no single attempt.
      for (const f of ["finalUrl", "attempts", "content"]) {
        assert.equal(page && f in page, false, `${f} left out`);
      }
      // A page parsed with nothing found for `meta`: its `contentHash` says so.
      assert.equal(page && "meta" in page, false, "meta left out");
      assert.equal(typeof page?.contentHash, "string");
      assert.deepEqual(
        (await store.listPages("j1", { limit: 1, fields: ["meta"] }))[0],
        { meta: NO_META },
        "read back as the engine gave it, in a projection too",
      );
      const job = await db.collection("jobs").findOne({ _id: "j1" as unknown as never });
      assert.equal(job?.options?.maxPages, 20, "job options are a document");
    } finally {
      await runner.stop();
      hub.close();
      await client.close();
      await store.close();
      await dropDatabase(uri, dbName);
    }
  },
});

Deno.test({
  name:
    `MongoStore.recoverWriter() finishes the flush a dead writer left half written, once${suffix}`,
  ignore: cfg.ignore,
  async fn() {
    const uri = requireUri();
    const dbName = freshDbName("skein_store");
    const store = await openStore(uri, dbName);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const page = (url: string) => ({
        type: "page" as const,
        url,
        finalUrl: url,
        status: 200,
        depth: 1,
        parent: "http://a.test/",
        contentType: "text/html",
        title: "T",
        links: [],
        bytes: 10,
        ms: 1,
        attempts: 1,
        meta: null,
        contentHash: null,
        content: null,
      });
      // Writer "dead": flush 1 complete; flush 2 admitted two URLs and stored a result,
      // then died before appending their chunk and its event batch.
      await store.admitUrls("j1", [{ url: "http://a.test/1", depth: 1, parent: null }], {
        w: "dead",
        b: 1,
        blk: "0",
      }, 10);
      await store.appendEvents("j1", [{ key: "http://a.test/0", event: page("http://a.test/0") }], {
        w: "dead",
        b: 1,
      });
      const db = client.db(dbName);
      // One entry as written now (job and URL in `_id` only), one as before stop 20.
      await db.collection("frontier").insertMany([
        { _id: "2:j1:http://a.test/2", depth: 1, w: "dead", b: 2, blk: "0" },
        {
          _id: "2:j1:http://b.test/1",
          jobId: "j1",
          url: "http://b.test/1",
          host: "b.test",
          depth: 1,
          parent: null,
          w: "dead",
          b: 2,
          blk: "0",
        },
      ] as never);
      await db.collection("events").insertOne(
        {
          ...page("http://a.test/1"),
          _id: "2:j1:http://a.test/1",
          jobId: "j1",
          w: "dead",
          b: 2,
        } as never,
      );
      assert.equal(await store.maxSeq("j1"), 1);
      for (let i = 0; i < 2; i++) await store.recoverWriter("j1", "dead");
      assert.deepEqual(
        (await store.readEvents("j1", 0, 10)).map((e) => [e.seq, e.key]),
        [[1, "http://a.test/0"], [2, "http://a.test/1"]],
        "the orphan result got its event, once",
      );
      assert.deepEqual((await store.readQueue("j1", "a.test", 2))?.map((q) => q.url), [
        "http://a.test/2",
      ]);
      assert.equal(await store.readQueue("j1", "a.test", 3), null, "appended once");
      assert.deepEqual((await store.readQueue("j1", "b.test", 1))?.map((q) => q.url), [
        "http://b.test/1",
      ]);
      assert.deepEqual(await store.chainTotals("j1"), {
        pages: 2,
        errors: 0,
        skipped: 0,
        bytes: 20,
      });
    } finally {
      await client.close();
      await store.close();
      await dropDatabase(uri, dbName);
    }
  },
});
