import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { freshDbName, mongoTestConfig } from "../_mongo.ts";
import { startFixtureServer } from "../../fixtures/server.ts";
import { ndjson, postJob, startServiceProcess, waitForStatus } from "./_service.ts";

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
