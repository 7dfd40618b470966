/**
 * The API's failure paths: the database going away under every route that
 * reads it, shutting down, and the DNS check of seed host names.
 */
import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { ndjson, startTestApp } from "./_app.ts";
import { startTcpProxy } from "../e2e/_tcp_proxy.ts";
import { freshDbName, mongoTestConfig } from "../_mongo.ts";
import { MongoStore } from "../../src/store/mongo/mongo_store.ts";
import { openApiPath } from "../../src/service/openapi.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";
import type { Resolver } from "../../src/net/resolver.ts";
import { J } from "./_error_cases.ts";

const mongo = mongoTestConfig();

Deno.test({
  name: `every route that reads the database answers 503 store_unavailable while it is down${
    mongo.ignore ? ` (ignored: ${mongo.reason})` : ""
  }`,
  ignore: mongo.ignore,
  async fn() {
    if (mongo.uri === null) throw new Error(mongo.reason);
    const target = new URL(mongo.uri.replace(/^mongodb:/, "http:"));
    await using proxy = startTcpProxy({
      hostname: target.hostname,
      port: Number(target.port || 27017),
    });
    const db = freshDbName("skein_outage");
    const store = new MongoStore(`mongodb://127.0.0.1:${proxy.port}/?directConnection=true`, db, {
      serverSelectionTimeoutMS: 500,
      connectTimeoutMS: 500,
    });
    await store.init(AbortSignal.timeout(15_000));
    try {
      await using app = startTestApp({}, { store });
      const created = await app.call("POST", "/jobs", {
        json: { urls: ["http://127.0.0.1:9/"], options: { retries: 0, ignoreRobots: true } },
      });
      assert.equal(created.status, 201);
      const { id } = await created.json();
      proxy.down();
      try {
        // The routes that read the database are the ones whose contract lists a 503.
        const routes = app.handler.routes.filter((r) => r.doc.errors?.includes(503));
        assert.deepEqual(routes.map((r) => `${r.method} ${r.path}`).sort(), [
          "DELETE /jobs/:id",
          "GET /jobs",
          "GET /jobs/:id",
          "GET /jobs/:id/events",
          "GET /jobs/:id/pages",
          "POST /jobs",
        ]);
        for (const r of routes) {
          const path = r.path.replace(":id", id);
          const res = r.method === "POST"
            ? await app.call("POST", path, { json: { urls: ["http://127.0.0.1:9/"] } })
            : await app.call(r.method, path);
          const body = await res.json();
          assert.equal(
            res.status,
            503,
            `${r.method} ${openApiPath(r.path)}: ${JSON.stringify(body)}`,
          );
          assert.equal(body.error.code, "store_unavailable", `${r.method} ${r.path}`);
        }
        const health = await app.call("GET", "/healthz");
        assert.equal(health.status, 503);
        assert.equal((await health.json()).status, "unavailable");
        const metrics = await app.call("GET", "/metrics");
        assert.equal(metrics.status, 200, "metrics still answer (job counts read as 0)");
        assert.match(await metrics.text(), /skein_http_responses_total\{class="5xx"\} [1-9]/);
      } finally {
        proxy.up();
      }
      const again = await app.call("GET", `/jobs/${id}`);
      assert.equal(again.status, 200, "the API recovers when the database returns");
      await again.body?.cancel();
    } finally {
      await store.close();
      const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db(db).dropDatabase();
      } finally {
        await client.close();
      }
    }
  },
});

Deno.test("while shutting down, POST /jobs answers 503 shutting_down and reads still work", async () => {
  await using app = startTestApp();
  app.drain();
  const res = await app.call("POST", "/jobs", { json: { urls: ["http://127.0.0.1:9/"] } });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "5");
  const body = await res.json();
  assert.equal(body.error.code, "shutting_down");
  const list = await app.call("GET", "/jobs");
  assert.equal(list.status, 200);
  assert.deepEqual((await list.json()).jobs, [], "no job was created");
});

/** A fetcher that must never be called: the seed check happens before any fetch. */
const noFetch: Fetcher = () => Promise.reject(new Error("no fetch expected in this test"));

function stubResolver(table: Record<string, string[]>, asked: string[]): Resolver {
  return (host) => {
    asked.push(host);
    const a = table[host];
    if (!a) return Promise.reject(Object.assign(new Error("not found"), { code: "ENOTFOUND" }));
    return Promise.resolve(a.map((address) => ({ address, family: 4 as const })));
  };
}

Deno.test("POST /jobs resolves seed host names and refuses one that points at a blocked address", async () => {
  const asked: string[] = [];
  await using app = startTestApp({ CRAWLER_ALLOW_NETS: "" }, {
    fetcher: noFetch,
    resolve: stubResolver({ "ok.test": ["93.184.215.14"], "inside.test": ["10.0.0.7"] }, asked),
  });
  const res = await app.call("POST", "/jobs", {
    body: JSON.stringify({ urls: ["http://ok.test/", "http://inside.test/x"] }),
    headers: J,
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, "blocked_address");
  assert.equal(body.error.field, "urls[1]");
  assert.match(body.error.message, /inside\.test resolves to 10\.0\.0\.7/);
  assert.deepEqual(asked, ["ok.test", "inside.test"]);
  const list = await (await app.call("GET", "/jobs")).json();
  assert.deepEqual(list.jobs, [], "no job was created");
});

Deno.test("POST /jobs accepts seeds whose names resolve to allowed addresses or not at all", async () => {
  const asked: string[] = [];
  await using app = startTestApp({ CRAWLER_ALLOW_NETS: "", LIMIT_RUNNING_JOBS: "1" }, {
    fetcher: noFetch,
    resolve: stubResolver({ "ok.test": ["93.184.215.14"] }, asked),
  });
  await app.runner.stop(); // the job is only queued: nothing is fetched
  const res = await app.call("POST", "/jobs", {
    body: JSON.stringify({ urls: ["http://ok.test/", "http://gone.test/"] }),
    headers: J,
  });
  assert.equal(res.status, 201, "an unresolvable name is the crawl's dns error, not a refusal");
  await res.body?.cancel();
  assert.deepEqual(asked, ["ok.test", "gone.test"]);
});

Deno.test("POST /jobs with CRAWLER_ALLOW_PRIVATE (no guard) asks no resolver", async () => {
  const asked: string[] = [];
  await using app = startTestApp({ CRAWLER_ALLOW_PRIVATE: "1" }, {
    fetcher: noFetch,
    resolve: stubResolver({}, asked),
  });
  await app.runner.stop();
  const res = await app.call("POST", "/jobs", {
    body: JSON.stringify({ urls: ["http://inside.test/"] }),
    headers: J,
  });
  assert.equal(res.status, 201);
  await res.body?.cancel();
  assert.deepEqual(asked, []);
});

Deno.test("GET /jobs/:id/events of a job that ends while followed ends with done", async () => {
  await using app = startTestApp({}, { fetcher: noFetch });
  await app.runner.stop();
  const job = await (await app.call("POST", "/jobs", {
    json: { urls: ["http://127.0.0.1:9/"] },
  })).json();
  const follower = app.call("GET", `/jobs/${job.id}/events`).then((r) => ndjson(r));
  const del = await app.call("DELETE", `/jobs/${job.id}`);
  assert.equal((await del.json()).status, "cancelled");
  const events = await follower;
  assert.deepEqual(events.map((e) => e.type), ["done"]);
});
