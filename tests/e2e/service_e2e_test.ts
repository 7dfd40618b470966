import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { freshDbName, mongoTestConfig } from "../_mongo.ts";
import { startFixtureServer } from "../../fixtures/server.ts";
import { ndjson, postJob, startServiceProcess, waitForPages, waitForStatus } from "./_service.ts";
import { startTcpProxy } from "./_tcp_proxy.ts";
import { ERROR_CASES } from "../service/_error_cases.ts";

const cfg = mongoTestConfig();
const suffix = cfg.ignore ? ` (ignored: ${cfg.reason})` : "";

/** A test against the database, with a fresh database `db` dropped afterwards. */
function e2e(name: string, fn: (uri: string, db: string) => Promise<void>) {
  Deno.test({
    name: `e2e: ${name}${suffix}`,
    ignore: cfg.ignore,
    async fn() {
      if (cfg.uri === null) throw new Error(cfg.reason);
      const db = freshDbName("skein_e2e");
      try {
        await fn(cfg.uri, db);
      } finally {
        await dropDb(cfg.uri, db);
      }
    },
  });
}

async function dropDb(uri: string, db: string) {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}

type Ev = { seq: number; type: string; url?: string; reason?: string };

/** The seed of a fixture fan-out page and, sorted, every URL a crawl of it stores. */
function fanoutSite(origin: string, n: number, ms: number): { seed: string; expected: string[] } {
  const seed = `${origin}/h/fanout?n=${n}&ms=${ms}`;
  const slow = Array.from({ length: n }, (_, i) => `${origin}/h/slow/${i + 1}?ms=${ms}`);
  return { seed, expected: [seed, ...slow].sort() };
}

e2e(
  "a job's events, followed by three clients, match the pages stored in MongoDB",
  async (uri, db) => {
    await using site = startFixtureServer();
    await using svc = await startServiceProcess({
      MONGODB_URI: uri,
      MONGODB_DB: db,
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
    });
    const res = await fetch(`${svc.origin}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ urls: [`${site.origin}/index.html`], options: { maxDepth: 10 } }),
    });
    assert.equal(res.status, 201);
    const job = await res.json();
    const follow = () => fetch(`${svc.origin}${job.links.events}`).then((r) => ndjson<Ev>(r));
    const [a, b, c] = await Promise.all([follow(), follow(), follow()]);
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.equal(a.at(-1)?.type, "done");
    const fromEvents = a.filter((e) => e.type === "page").map((e) => e.url!).sort();
    assert.equal(fromEvents.length, 16);
    const stored = await ndjson<{ url: string }>(await fetch(`${svc.origin}${job.links.pages}`));
    assert.deepEqual(stored.map((p) => p.url).sort(), fromEvents);
    const done = await waitForStatus(svc.origin, job.id, ["completed"]);
    assert.equal((done.counters as { pages: number }).pages, 16);
    const health = await fetch(`${svc.origin}/healthz`);
    assert.equal((await health.json()).store, "mongodb");
    assert.equal(await svc.stop(), 0, "SIGTERM exits 0");
  },
);

e2e("DELETE cancels a running job within a second", async (uri, db) => {
  await using site = startFixtureServer();
  await using svc = await startServiceProcess({
    MONGODB_URI: uri,
    MONGODB_DB: db,
    CRAWLER_ALLOW_NETS: "127.0.0.0/8",
  });
  const job = await postJob(svc.origin, {
    urls: [`${site.origin}/h/fanout?n=30&ms=20000`],
    options: { ignoreRobots: true, concurrency: 8, perHost: 8 },
  });
  const deadline = Date.now() + 15_000;
  while (site.localGauge.inFlight < 8) {
    if (Date.now() > deadline) {
      throw new Error(`8 fetches in flight not reached in 15 s (${site.localGauge.inFlight})`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const t0 = performance.now();
  const res = await fetch(`${svc.origin}/jobs/${job.id}`, { method: "DELETE" });
  await res.body?.cancel();
  await waitForStatus(svc.origin, job.id, ["cancelled"], 5000);
  assert.ok(performance.now() - t0 < 1000, "cancelled within a second");
  const events = await ndjson<Ev>(await fetch(`${svc.origin}/jobs/${job.id}/events`));
  assert.equal(events.at(-1)?.reason, "aborted");
  assert.equal(await svc.stop(), 0);
});

e2e(
  "after kill -9 mid-crawl, a restarted service finishes the job: same pages, no duplicates",
  async (uri, db) => {
    await using site = startFixtureServer();
    const env = {
      MONGODB_URI: uri,
      MONGODB_DB: db,
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
      JOB_LEASE_MS: "1500",
      JOB_POLL_MS: "200",
    };
    const n = 60;
    const { seed, expected } = fanoutSite(site.origin, n, 150);
    const first = await startServiceProcess(env);
    const job = await postJob(first.origin, {
      urls: [seed],
      options: { ignoreRobots: true, concurrency: 4, perHost: 4 },
    });
    // Let part of the crawl reach the database, then kill the process outright.
    await waitForPages(first.origin, job.id, 10);
    await first.kill();
    const hitsBefore = site.hits.size;
    assert.ok(hitsBefore < n + 1, "killed before the crawl finished");

    await using second = await startServiceProcess(env);
    const done = await waitForStatus(second.origin, job.id, ["completed"], 60_000);
    const pages = await ndjson<{ url: string }>(
      await fetch(`${second.origin}/jobs/${job.id}/pages`),
    );
    const urls = pages.map((p) => p.url).sort();
    assert.deepEqual(urls, expected, "every page stored once, none lost");
    assert.equal((done.counters as { pages: number }).pages, n + 1);
    const events = await ndjson<Ev>(await fetch(`${second.origin}/jobs/${job.id}/events`));
    const pageEvents = events.filter((e) => e.type === "page").map((e) => e.url!);
    assert.equal(new Set(pageEvents).size, pageEvents.length, "no URL has two page events");
    assert.deepEqual(pageEvents.sort(), expected);
    assert.equal(events.filter((e) => e.type === "done").length, 1);
    assert.equal(await second.stop(), 0);
  },
);

e2e(
  "SIGTERM checkpoints a running job, hands its lease back at once, and a restart fetches nothing twice",
  async (uri, db) => {
    await using site = startFixtureServer();
    const env = {
      MONGODB_URI: uri,
      MONGODB_DB: db,
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
      JOB_POLL_MS: "200",
      JOB_LEASE_MS: "30000",
    };
    const n = 30;
    const { seed, expected } = fanoutSite(site.origin, n, 150);
    const first = await startServiceProcess(env);
    const job = await postJob(first.origin, {
      urls: [seed],
      options: { ignoreRobots: true, concurrency: 2, perHost: 2 },
    });
    await waitForPages(first.origin, job.id, 4);
    assert.equal(await first.stop(), 0);
    const hitsAtStop = [...site.hits.values()].reduce((a, b) => a + b, 0);
    assert.ok(hitsAtStop < n + 1, "stopped before the crawl finished");

    const t0 = performance.now();
    await using second = await startServiceProcess(env);
    // Resumed when the fixture sees a new request; with the lease not released
    // that would take the whole 30 s lease.
    const until = Date.now() + 25_000;
    while ([...site.hits.values()].reduce((a, b) => a + b, 0) === hitsAtStop) {
      if (Date.now() > until) throw new Error("the restarted service did not resume within 25 s");
      await new Promise((r) => setTimeout(r, 25));
    }
    const resumedMs = performance.now() - t0;
    assert.ok(resumedMs < 10_000, `resumed in ${Math.round(resumedMs)} ms, well under the lease`);
    const done = await waitForStatus(second.origin, job.id, ["completed"], 60_000);
    assert.equal((done.counters as { pages: number }).pages, n + 1);
    const twice = [...site.hits].filter(([, count]) => count > 1);
    assert.deepEqual(twice, [], "no page fetched twice");
    const fetched = [...site.hits.keys()].map((k) => `${site.origin}${k}`).sort();
    assert.deepEqual(fetched, expected);
    assert.equal(await second.stop(), 0);
  },
);

Deno.test("e2e: an unreachable database at start-up gives one clear line and exit 1", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      new URL("../../main.ts", import.meta.url).pathname,
    ],
    env: { PORT: "0", MONGODB_URI: `mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=1000` },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const err = new TextDecoder().decode(out.stderr);
  assert.match(err, /skein: cannot start: .*(unavailable|connect|ECONNREFUSED|Server selection)/i);
});

Deno.test("e2e: without MONGODB_URI the service says loudly that nothing persists", async () => {
  await using svc = await startServiceProcess({ MONGODB_URI: "" });
  assert.match(svc.log(), /WARNING: MONGODB_URI is not set; using the in-memory store/);
  const res = await fetch(`${svc.origin}/healthz`);
  assert.equal((await res.json()).store, "memory");
  assert.equal(await svc.stop(), 0);
});

e2e(
  "a database outage mid-crawl pauses the job; nothing is lost when it returns",
  async (uri, db) => {
    const target = new URL(uri.replace(/^mongodb:/, "http:"));
    await using proxy = startTcpProxy({
      hostname: target.hostname,
      port: Number(target.port || 27017),
    });
    await using site = startFixtureServer();
    const n = 40;
    const { seed, expected } = fanoutSite(site.origin, n, 100);
    await using svc = await startServiceProcess({
      MONGODB_URI:
        `mongodb://127.0.0.1:${proxy.port}/?serverSelectionTimeoutMS=2000&directConnection=true`,
      MONGODB_DB: db,
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
    });
    const job = await postJob(svc.origin, {
      urls: [seed],
      options: { ignoreRobots: true, concurrency: 2, perHost: 2 },
    });
    await waitForPages(svc.origin, job.id, 5);
    proxy.down();
    await new Promise((r) => setTimeout(r, 500));
    const health = await fetch(`${svc.origin}/healthz`);
    assert.equal(health.status, 503, "healthz says the database is gone");
    await health.body?.cancel();
    await new Promise((r) => setTimeout(r, 2500));
    proxy.up();
    await waitForStatus(svc.origin, job.id, ["completed"], 60_000);
    const pages = await ndjson<{ url: string }>(await fetch(`${svc.origin}/jobs/${job.id}/pages`));
    assert.deepEqual(pages.map((p) => p.url).sort(), expected);
    const events = await ndjson<Ev>(await fetch(`${svc.origin}/jobs/${job.id}/events`));
    assert.deepEqual(events.filter((e) => e.type === "page").map((e) => e.url!).sort(), expected);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "no gap, no repeat");
    assert.equal(await svc.stop(), 0);
  },
);

e2e("two service processes share one database and split the jobs", async (uri, db) => {
  await using site = startFixtureServer();
  const env = {
    MONGODB_URI: uri,
    MONGODB_DB: db,
    CRAWLER_ALLOW_NETS: "127.0.0.0/8",
    LIMIT_RUNNING_JOBS: "1",
    JOB_POLL_MS: "100",
  };
  await using a = await startServiceProcess(env);
  await using b = await startServiceProcess(env);
  const jobs = [];
  for (let i = 0; i < 4; i++) {
    jobs.push(
      await postJob(a.origin, {
        urls: [`${site.origin}/h/fanout?n=8&ms=150&job=${i}`],
        options: { ignoreRobots: true, concurrency: 2, perHost: 2 },
      }),
    );
  }
  for (const job of jobs) {
    const done = await waitForStatus(b.origin, job.id, ["completed"], 60_000);
    assert.equal((done.counters as { pages: number }).pages, 9);
  }
  const fetched = async (origin: string) =>
    Number(
      /skein_pages_fetched_total (\d+)/.exec(await (await fetch(`${origin}/metrics`)).text())![1],
    );
  const [na, nb] = [await fetched(a.origin), await fetched(b.origin)];
  assert.equal(na + nb, 36, "every page fetched once across both");
  assert.ok(na > 0 && nb > 0, `both processes worked (${na} and ${nb} pages)`);
  assert.equal(await a.stop(), 0);
  assert.equal(await b.stop(), 0);
});

e2e("every 4xx path answers the same from a real service process", async (uri, db) => {
  const base = { MONGODB_URI: uri, MONGODB_DB: db, CRAWLER_ALLOW_NETS: "127.0.0.0/8" };
  // One process per distinct environment the cases need.
  const groups = Map.groupBy(ERROR_CASES, (c) => JSON.stringify(c.env ?? {}));
  for (const [envJson, cases] of groups) {
    await using svc = await startServiceProcess({ ...base, ...JSON.parse(envJson) });
    for (const c of cases) {
      const res = await fetch(`${svc.origin}${c.path}`, {
        method: c.method,
        headers: c.headers,
        body: c.body,
      });
      const body = await res.json();
      assert.equal(res.status, c.status, `${c.name}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, c.code, c.name);
      if (c.field !== undefined) assert.equal(body.error.field, c.field, c.name);
    }
    assert.equal(await svc.stop(), 0);
  }
});
