import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { freshDbName, mongoTestConfig } from "../_mongo.ts";
import { frontierUrl } from "../../src/store/mongo/records.ts";
import { startFixtureServer } from "../../fixtures/server.ts";
import {
  ndjson,
  postJob,
  type ServiceProcess,
  startServiceProcess,
  waitForStatus,
} from "./_service.ts";

const cfg = mongoTestConfig();
const suffix = cfg.ignore ? ` (ignored: ${cfg.reason})` : "";

async function dropDb(uri: string, db: string) {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}

function pagesFetched(metrics: string): number {
  const m = /^skein_pages_fetched_total (\d+)$/m.exec(metrics);
  if (!m) throw new Error(`no skein_pages_fetched_total in:\n${metrics}`);
  return Number(m[1]);
}

Deno.test({
  name:
    `e2e: an API-only process and two workers share one database; the workers run the jobs${suffix}`,
  ignore: cfg.ignore,
  async fn() {
    if (cfg.uri === null) throw new Error(cfg.reason);
    const db = freshDbName("skein_worker");
    await using site = startFixtureServer();
    const env = {
      MONGODB_URI: cfg.uri,
      MONGODB_DB: db,
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
      JOB_POLL_MS: "100",
    };
    try {
      await using api = await startServiceProcess({ ...env, RUN_JOBS: "false" });
      assert.match(api.log(), /api only/);
      await using w1 = await startServiceProcess({ ...env, LIMIT_RUNNING_JOBS: "1" }, "worker.ts");
      await using w2 = await startServiceProcess({ ...env, LIMIT_RUNNING_JOBS: "1" }, "worker.ts");
      for (const w of [w1, w2]) {
        const health = await fetch(`${w.origin}/healthz`);
        assert.equal(health.status, 200);
        assert.equal((await health.json()).role, "worker");
        const jobs = await fetch(`${w.origin}/jobs`);
        assert.equal(jobs.status, 404, "a worker serves no API");
        await jobs.body?.cancel();
      }
      // Two jobs, one at a time per worker: each worker runs one.
      const jobs = await Promise.all([1, 2].map((k) =>
        postJob(api.origin, {
          urls: [`${site.origin}/h/fanout?n=10&ms=150&k=${k}`],
          options: { ignoreRobots: true, concurrency: 2, perHost: 2 },
        })
      ));
      for (const job of jobs) {
        const done = await waitForStatus(api.origin, job.id, ["completed"], 60_000);
        assert.equal((done.counters as { pages: number }).pages, 11);
        const events = await ndjson<{ type: string }>(
          await fetch(`${api.origin}/jobs/${job.id}/events`),
        );
        assert.equal(events.filter((e) => e.type === "page").length, 11);
        assert.equal(events.at(-1)?.type, "done");
      }
      const fetched = await Promise.all(
        [w1, w2].map(async (w) => pagesFetched(await (await fetch(`${w.origin}/metrics`)).text())),
      );
      assert.deepEqual(fetched, [11, 11], "each worker ran one job");
      const apiMetrics = await (await fetch(`${api.origin}/metrics`)).text();
      assert.equal(pagesFetched(apiMetrics), 0, "the API-only process fetched nothing");
      for (const p of [w1, w2, api]) assert.equal(await p.stop(), 0);
    } finally {
      await dropDb(cfg.uri, db);
    }
  },
});

/** Which of `workers` has fetched at least `min` pages (by its /metrics), waiting up to 30 s. */
async function workerWithPages(workers: ServiceProcess[], min: number): Promise<ServiceProcess> {
  const until = Date.now() + 30_000;
  for (;;) {
    for (const w of workers) {
      if (pagesFetched(await (await fetch(`${w.origin}/metrics`)).text()) >= min) return w;
    }
    if (Date.now() > until) throw new Error(`no worker fetched ${min} pages within 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test({
  name:
    `e2e: three workers on one job of three hosts at once: SIGKILL one, SIGTERM another, the third finishes; same pages, nothing pending, two API processes stream the same events${suffix}`,
  ignore: cfg.ignore,
  async fn() {
    if (cfg.uri === null) throw new Error(cfg.reason);
    const db = freshDbName("skein_worker");
    // Three hosts on loopback addresses; each page answers after 150 ms.
    await using s2 = startFixtureServer({ hostname: "127.0.0.2" });
    await using s3 = startFixtureServer({ hostname: "127.0.0.3" });
    await using s4 = startFixtureServer({ hostname: "127.0.0.4" });
    const sites = [s2, s3, s4];
    const env = {
      MONGODB_URI: cfg.uri,
      MONGODB_DB: db,
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
      JOB_POLL_MS: "100",
      JOB_LEASE_MS: "1500",
    };
    try {
      await using api1 = await startServiceProcess({ ...env, RUN_JOBS: "false" });
      await using api2 = await startServiceProcess({ ...env, RUN_JOBS: "false" });
      await using w1 = await startServiceProcess(env, "worker.ts");
      await using w2 = await startServiceProcess(env, "worker.ts");
      await using w3 = await startServiceProcess(env, "worker.ts");
      const n = 30;
      const seeds = sites.map((s) => `${s.origin}/h/fanout?n=${n}&ms=150`);
      const expected = sites.flatMap((s) => [
        `${s.origin}/h/fanout?n=${n}&ms=150`,
        ...Array.from({ length: n }, (_, i) => `${s.origin}/h/slow/${i + 1}?ms=150`),
      ]).sort();
      // perHost 2, concurrency 2: each worker holds one host at a time.
      const job = await postJob(api1.origin, {
        urls: seeds,
        options: { ignoreRobots: true, concurrency: 2, perHost: 2 },
      });
      // Followers on both API processes, from the start, while the job runs.
      type Ev = { seq: number; type: string; url?: string };
      const follow = (origin: string) =>
        fetch(`${origin}/jobs/${job.id}/events`).then((r) => ndjson<Ev>(r));
      const followers = [follow(api1.origin), follow(api2.origin)];

      // All three work at once: each has fetched pages before any is stopped.
      for (const w of [w1, w2, w3]) await workerWithPages([w], 2);
      const first = await workerWithPages([w1, w2, w3], 5);
      await first.kill();
      const rest = [w1, w2, w3].filter((w) => w !== first);
      const second = await workerWithPages(rest, 8);
      assert.equal(await second.stop(), 0, "SIGTERM exits 0");
      const third = rest.find((w) => w !== second)!;

      const done = await waitForStatus(api2.origin, job.id, ["completed"], 90_000);
      assert.equal((done.counters as { pages: number }).pages, expected.length);
      assert.ok(
        pagesFetched(await (await fetch(`${third.origin}/metrics`)).text()) > 0,
        "the third worker fetched",
      );
      const [a, b] = await Promise.all(followers);
      assert.deepEqual(a, b, "both API processes stream the same events");
      assert.deepEqual(a.map((e) => e.seq), a.map((_, i) => i + 1), "seq 1, 2, 3, ... once each");
      const pageUrls = a.filter((e) => e.type === "page").map((e) => e.url!).sort();
      assert.deepEqual(pageUrls, expected, "every page once, none lost");
      assert.equal(a.at(-1)?.type, "done");
      const stored = await ndjson<{ url: string }>(
        await fetch(`${api1.origin}/jobs/${job.id}/pages?limit=1000`),
      );
      assert.deepEqual(stored.map((p) => p.url).sort(), expected);
      // Nothing pending: every stored frontier entry has its result.
      const client = new MongoClient(cfg.uri, { serverSelectionTimeoutMS: 5000 });
      try {
        const frontier = await client.db(db).collection("frontier").find({}).toArray();
        assert.deepEqual(frontier.map((d) => frontierUrl(d as never)).sort(), expected);
      } finally {
        await client.close();
      }
      // A page is requested twice only if the killed worker had it in flight (concurrency 2)
      // or had fetched it but not yet written it (a flush every 100 ms, about two pages
      // here, plus the one being written); every other page exactly once.
      const twice = sites.flatMap((s) => [...s.hits].filter(([, count]) => count > 1));
      assert.ok(twice.length <= 8, `fetched twice: ${JSON.stringify(twice)}`);
      assert.ok(twice.every(([, count]) => count === 2), "never three times");
      for (const p of [third, api1, api2]) assert.equal(await p.stop(), 0);
    } finally {
      await dropDb(cfg.uri, db);
    }
  },
});

Deno.test("e2e: a worker without MONGODB_URI says so and exits 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../worker.ts", import.meta.url).pathname],
    env: { MONGODB_URI: "", PORT: "0" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /worker needs MONGODB_URI/);
});
