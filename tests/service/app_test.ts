import assert from "node:assert/strict";
import { ndjson, startTestApp } from "./_app.ts";
import { startFixtureServer } from "../../fixtures/server.ts";

type Ev = { seq: number; type: string; url?: string; reason?: string; status?: number };

/** Waits for `ok()` with a deadline; fails with `what` and the time waited. */
async function waitUntil(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitStatus(app: ReturnType<typeof startTestApp>, id: string, want: string[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const j = await (await app.call("GET", `/jobs/${id}`)).json();
    if (want.includes(j.status)) return j;
    if (Date.now() > deadline) {
      throw new Error(`job ${id} is ${j.status} after 30 s, never ${want}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test("POST /jobs answers 201 with links, and the events replay to done", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const res = await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/index.html`], options: { maxDepth: 10 } },
  });
  assert.equal(res.status, 201);
  const job = await res.json();
  assert.equal(job.status, "queued");
  assert.deepEqual(job.links, {
    self: `/jobs/${job.id}`,
    events: `/jobs/${job.id}/events`,
    pages: `/jobs/${job.id}/pages`,
  });
  const events = await ndjson<Ev>(await app.call("GET", job.links.events));
  assert.equal(events.at(-1)?.type, "done");
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  const pagesFromEvents = events.filter((e) => e.type === "page").map((e) => e.url).sort();
  assert.equal(pagesFromEvents.length, 16);
  const stored = await ndjson<{ url: string }>(await app.call("GET", job.links.pages));
  assert.deepEqual(stored.map((p) => p.url).sort(), pagesFromEvents);
  const final = await waitStatus(app, job.id, ["completed"]);
  assert.equal(final.counters.pages, 16);
  assert.equal(final.counters.skipped, 1);
});

Deno.test("GET /jobs/:id/events?since= replays from a sequence number", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const job =
    await (await app.call("POST", "/jobs", { json: { urls: [`${site.origin}/index.html`] } }))
      .json();
  const all = await ndjson<Ev>(await app.call("GET", `/jobs/${job.id}/events`));
  const tail = await ndjson<Ev>(await app.call("GET", `/jobs/${job.id}/events?since=5`));
  assert.deepEqual(tail, all.slice(5));
});

Deno.test("several clients following one job see the same events", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const job = await (await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/h/fanout?n=20&ms=30`], options: { ignoreRobots: true } },
  })).json();
  const followers = await Promise.all(
    [0, 1, 2, 3, 4].map(() => app.call("GET", `/jobs/${job.id}/events`).then((r) => ndjson<Ev>(r))),
  );
  assert.equal(followers[0].length, 22);
  for (const f of followers) assert.deepEqual(f, followers[0]);
});

Deno.test("a follower that never reads stops neither the job nor the other followers", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const job = await (await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/h/fanout?n=30&ms=1`], options: { ignoreRobots: true } },
  })).json();
  const stalled = await app.call("GET", `/jobs/${job.id}/events`); // never read
  const reader = ndjson<Ev>(await app.call("GET", `/jobs/${job.id}/events`));
  const final = await waitStatus(app, job.id, ["completed"]);
  assert.equal(final.counters.pages, 31);
  const events = await reader;
  assert.equal(events.length, 32, "the reading follower got every event");
  assert.equal(events.at(-1)?.type, "done");
  await stalled.body?.cancel();
});

Deno.test("POST /jobs with Accept: application/x-ndjson streams the job's events", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const res = await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/a.html`], options: { maxDepth: 0 } },
    headers: { accept: "application/x-ndjson" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const events = await ndjson<Ev>(res);
  assert.deepEqual(events.map((e) => e.type), ["page", "done"]);
});

Deno.test("POST /jobs takes text/uri-list with options in the query string", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const res = await app.call("POST", "/jobs?maxDepth=0&ignoreRobots=true", {
    body: `# seeds\n${site.origin}/a.html\n${site.origin}/c.html\n`,
    headers: { "content-type": "text/uri-list" },
  });
  assert.equal(res.status, 201);
  const job = await res.json();
  assert.deepEqual(job.options, { maxDepth: 0, ignoreRobots: true });
  assert.equal(job.urls.length, 2);
  const events = await ndjson<Ev>(await app.call("GET", `/jobs/${job.id}/events`));
  assert.equal(events.filter((e) => e.type === "page").length, 2);
  assert.equal(site.hits.get("/robots.txt"), undefined);
});

Deno.test("GET /jobs/:id/pages filters by status and url, and pages with limit/after", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const job = await (await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/index.html`], options: { maxDepth: 10 } },
  })).json();
  await ndjson(await app.call("GET", `/jobs/${job.id}/events`));
  const missing = await ndjson<{ url: string }>(
    await app.call("GET", `/jobs/${job.id}/pages?status=404`),
  );
  assert.deepEqual(missing.map((p) => p.url), [`${site.origin}/A.HTML`]);
  const one = await ndjson<{ url: string }>(
    await app.call(
      "GET",
      `/jobs/${job.id}/pages?url=${encodeURIComponent(site.origin + "/%7Euser/page.html")}`,
    ),
  );
  assert.deepEqual(one.map((p) => p.url), [`${site.origin}/~user/page.html`]);
  const first = await ndjson<{ url: string }>(
    await app.call("GET", `/jobs/${job.id}/pages?limit=5`),
  );
  assert.equal(first.length, 5);
  const rest = await ndjson<{ url: string }>(
    await app.call("GET", `/jobs/${job.id}/pages?after=${encodeURIComponent(first[4].url)}`),
  );
  assert.equal(first.length + rest.length, 16);
});

Deno.test("DELETE /jobs/:id cancels within a second and ends the event stream", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const job = await (await app.call("POST", "/jobs", {
    json: {
      urls: [`${site.origin}/h/fanout?n=40&ms=10000`],
      options: { ignoreRobots: true, concurrency: 8, perHost: 8 },
    },
  })).json();
  const stream = app.call("GET", `/jobs/${job.id}/events`).then((r) => ndjson<Ev>(r));
  await waitStatus(app, job.id, ["running"]);
  await waitUntil(() => site.localGauge.inFlight >= 8, "8 fetches in flight at the fixture");
  const t0 = performance.now();
  const res = await app.call("DELETE", `/jobs/${job.id}`);
  assert.ok(res.status === 202 || res.status === 200);
  const final = await waitStatus(app, job.id, ["cancelled"]);
  assert.ok(performance.now() - t0 < 1000, "cancelled within a second");
  assert.equal(final.status, "cancelled");
  const events = await stream;
  assert.equal(events.at(-1)?.type, "done");
  assert.equal(events.at(-1)?.reason, "aborted");
});

Deno.test("DELETE of a queued job cancels it before it starts", async () => {
  await using app = startTestApp({ LIMIT_RUNNING_JOBS: "1" });
  await using site = startFixtureServer();
  const slow = await (await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/h/slow/x?ms=3000`], options: { ignoreRobots: true } },
  })).json();
  const queued =
    await (await app.call("POST", "/jobs", { json: { urls: [`${site.origin}/a.html`] } })).json();
  await waitStatus(app, slow.id, ["running"]);
  const res = await app.call("DELETE", `/jobs/${queued.id}`);
  assert.equal((await res.json()).status, "cancelled");
  const events = await ndjson<Ev>(await app.call("GET", `/jobs/${queued.id}/events`));
  assert.deepEqual(events.map((e) => e.type), ["done"]);
  await app.call("DELETE", `/jobs/${slow.id}`);
});

Deno.test("GET /jobs lists recent jobs; GET /healthz and /metrics answer", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const job = await (await app.call("POST", "/jobs", { json: { urls: [`${site.origin}/a.html`] } }))
    .json();
  await ndjson(await app.call("GET", `/jobs/${job.id}/events`));
  const list = await (await app.call("GET", "/jobs")).json();
  assert.equal(list.jobs[0].id, job.id);
  const health = await app.call("GET", "/healthz");
  assert.equal(health.status, 200);
  assert.equal((await health.json()).status, "ok");
  const metrics = await (await app.call("GET", "/metrics")).text();
  assert.match(metrics, /skein_jobs\{status="completed"\} 1/);
  assert.match(metrics, /skein_pages_fetched_total [1-9]/);
  assert.match(metrics, /skein_fetch_duration_seconds_bucket\{le="\+Inf"\} [1-9]/);
  assert.match(metrics, /skein_fetches_in_flight 0/);
});

Deno.test("GET /healthz answers 503 when the store does not", async () => {
  await using app = startTestApp();
  const store = app.store as unknown as { ping: () => Promise<void> };
  store.ping = () => Promise.reject(new Error("down"));
  const res = await app.call("GET", "/healthz");
  assert.equal(res.status, 503);
  await res.body?.cancel();
});

Deno.test("a redirect to a blocked address ends in an error event blocked_address", async () => {
  await using site = startFixtureServer();
  await using other = startFixtureServer({ hostname: "127.0.0.2" });
  await using app = startTestApp({ CRAWLER_ALLOW_NETS: "127.0.0.1/32" });
  const to = encodeURIComponent(`${other.origin}/a.html`);
  const res = await app.call("POST", "/jobs", {
    json: {
      urls: [`${site.origin}/h/redirect?to=${to}`],
      options: { ignoreRobots: true, scope: "all" },
    },
    headers: { accept: "application/x-ndjson" },
  });
  const events = await ndjson<Ev & { code?: string }>(res);
  assert.equal(events[0].type, "error");
  assert.equal(events[0].code, "blocked_address");
  assert.equal(other.hits.size, 0, "the blocked host saw nothing");
});

Deno.test("a seed at a blocked address (written in hex) is refused with 400 naming it", async () => {
  await using app = startTestApp({ CRAWLER_ALLOW_NETS: "127.0.0.1/32" });
  const res = await app.call("POST", "/jobs", {
    json: {
      urls: ["http://127.0.0.1:9/a.html", "http://0x7f000002:1/"],
      options: { ignoreRobots: true, maxDepth: 0, retries: 0 },
    },
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, "blocked_address");
  assert.equal(body.error.field, "urls[1]");
});

Deno.test("a link to a blocked address is an error event, the rest of the crawl goes on", async () => {
  await using blocked = startFixtureServer({ hostname: "127.0.0.2" });
  const page = (title: string, links: string[]) =>
    new Response(
      `<!doctype html><title>${title}</title>` +
        links.map((l) => `<a href="${l}">${l}</a>`).join(""),
      { headers: { "content-type": "text/html" } },
    );
  await using site = (() => {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/") return page("Home", [`${blocked.origin}/a.html`, "/next"]);
      if (path === "/next") return page("Next", ["/last"]);
      return page("Last", []);
    });
    return {
      origin: `http://127.0.0.1:${server.addr.port}`,
      [Symbol.asyncDispose]: () => server.shutdown(),
    };
  })();
  await using app = startTestApp({ CRAWLER_ALLOW_NETS: "127.0.0.1/32" });
  const res = await app.call("POST", "/jobs", {
    json: {
      urls: [`${site.origin}/`],
      options: { ignoreRobots: true, scope: "all", retries: 0 },
    },
    headers: { accept: "application/x-ndjson" },
  });
  assert.equal(res.status, 200);
  const events = await ndjson<Ev & { code?: string }>(res);
  const blockedEvents = events.filter((e) => e.type === "error");
  assert.deepEqual(
    blockedEvents.map((e) => [e.url, e.code]),
    [[`${blocked.origin}/a.html`, "blocked_address"]],
  );
  assert.deepEqual(
    events.filter((e) => e.type === "page").map((e) => e.url),
    [`${site.origin}/`, `${site.origin}/next`, `${site.origin}/last`],
    "the crawl went on past the blocked link",
  );
  assert.equal(events.at(-1)?.type, "done");
  assert.equal(events.at(-1)?.reason, "complete");
  assert.equal(blocked.hits.size, 0, "the blocked host saw nothing");
});
