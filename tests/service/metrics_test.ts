import assert from "node:assert/strict";
import { Metrics, type MetricsSnapshot } from "../../src/service/metrics.ts";
import type { PageEvent } from "../../src/crawl/events.ts";
import { ndjson, startTestApp } from "./_app.ts";
import { startFixtureServer } from "../../fixtures/server.ts";

const SNAP: MetricsSnapshot = { jobs: {}, inFlight: 0, queuedUrls: 0, streams: 0 };

function page(ms: number, bytes = 100): PageEvent {
  return {
    type: "page",
    url: "http://a.test/",
    finalUrl: "http://a.test/",
    status: 200,
    depth: 0,
    parent: null,
    contentType: "text/html",
    title: null,
    links: [],
    bytes,
    ms,
    attempts: 1,
    meta: null,
    contentHash: null,
    content: null,
  };
}

/** The value of one sample line, e.g. `name{le="1"}`. */
function sample(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  assert.ok(line, `no sample ${name} in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

Deno.test("Metrics.render() has HELP and TYPE for every metric, and every sample is declared", () => {
  const text = new Metrics().render(SNAP);
  const declared = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) declared.set(m[1], m[2]);
  const helped = new Set([...text.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]));
  assert.deepEqual([...helped].sort(), [...declared.keys()].sort());
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const name = line.split(/[{ ]/)[0];
    const base = name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(declared.has(name) || declared.get(base) === "histogram", `undeclared ${name}`);
  }
});

Deno.test("Metrics names follow Prometheus conventions: _total counters, base units", () => {
  const text = new Metrics().render(SNAP);
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === "counter") assert.match(name, /_total$/, name);
    else assert.doesNotMatch(name, /_total$/, name);
    assert.doesNotMatch(name, /_(ms|milliseconds|kb|mb)(_|$)/, `${name} is not in a base unit`);
  }
});

Deno.test("Metrics.observeEvent() fills the fetch histogram in seconds", () => {
  const m = new Metrics();
  m.observeEvent(page(40, 10));
  m.observeEvent(page(700, 20));
  const text = m.render(SNAP);
  assert.equal(sample(text, 'skein_fetch_duration_seconds_bucket{le="0.025"}'), 0);
  assert.equal(sample(text, 'skein_fetch_duration_seconds_bucket{le="0.05"}'), 1);
  assert.equal(sample(text, 'skein_fetch_duration_seconds_bucket{le="1"}'), 2);
  assert.equal(sample(text, 'skein_fetch_duration_seconds_bucket{le="+Inf"}'), 2);
  assert.equal(sample(text, "skein_fetch_duration_seconds_sum"), 0.74);
  assert.equal(sample(text, "skein_fetch_duration_seconds_count"), 2);
  assert.equal(sample(text, "skein_pages_fetched_total"), 2);
  assert.equal(sample(text, "skein_fetched_body_bytes_total"), 30);
});

Deno.test("Metrics.observeEvent() counts errors by code and skips", () => {
  const m = new Metrics();
  const err = {
    type: "error",
    url: "u",
    depth: 0,
    parent: null,
    message: "",
    attempts: 1,
  } as const;
  m.observeEvent({ ...err, code: "timeout" });
  m.observeEvent({ ...err, code: "timeout" });
  m.observeEvent({ ...err, code: "dns" });
  m.observeEvent({ type: "skipped", url: "u", reason: "robots", depth: 0, parent: null });
  const text = m.render(SNAP);
  assert.equal(sample(text, 'skein_fetch_errors_total{code="timeout"}'), 2);
  assert.equal(sample(text, 'skein_fetch_errors_total{code="dns"}'), 1);
  assert.equal(sample(text, "skein_urls_skipped_total"), 1);
});

Deno.test("Metrics.pagesPerSecond() averages the last minute and forgets older pages", () => {
  let now = 1_000_000;
  const m = new Metrics({ now: () => now });
  for (let i = 0; i < 120; i++) m.observeEvent(page(1));
  assert.equal(m.pagesPerSecond(), 2);
  now += 30_000;
  for (let i = 0; i < 60; i++) m.observeEvent(page(1));
  assert.equal(m.pagesPerSecond(), 3);
  now += 31_000; // the first 120 pages are now more than a minute old
  assert.equal(m.pagesPerSecond(), 1);
  now += 10 * 60_000;
  assert.equal(m.pagesPerSecond(), 0);
  assert.equal(sample(m.render(SNAP), "skein_pages_per_second"), 0);
});

Deno.test("Metrics.timeStoreWrite() observes a write, failed or not, in seconds", async () => {
  const m = new Metrics();
  assert.equal(await m.timeStoreWrite(() => Promise.resolve(7)), 7);
  await assert.rejects(m.timeStoreWrite(() => Promise.reject(new Error("down"))), /down/);
  m.observeStoreWrite(3);
  const text = m.render(SNAP);
  assert.equal(sample(text, "skein_store_write_duration_seconds_count"), 3);
  assert.equal(sample(text, 'skein_store_write_duration_seconds_bucket{le="2.5"}'), 2);
  assert.ok(sample(text, "skein_store_write_duration_seconds_sum") >= 3);
});

Deno.test("Metrics render the snapshot gauges, lease failures and HTTP classes", () => {
  const m = new Metrics();
  m.leaseRenewalFailed();
  m.observeHttp(201);
  m.observeHttp(404);
  m.observeHttp(429);
  const text = m.render({ jobs: { running: 2 }, inFlight: 5, queuedUrls: 17, streams: 3 });
  assert.equal(sample(text, 'skein_jobs{status="running"}'), 2);
  assert.equal(sample(text, 'skein_jobs{status="failed"}'), 0);
  assert.equal(sample(text, "skein_fetches_in_flight"), 5);
  assert.equal(sample(text, "skein_frontier_queued_urls"), 17);
  assert.equal(sample(text, "skein_streams_open"), 3);
  assert.equal(sample(text, "skein_lease_renewals_failed_total"), 1);
  assert.equal(sample(text, 'skein_http_responses_total{class="2xx"}'), 1);
  assert.equal(sample(text, 'skein_http_responses_total{class="4xx"}'), 2);
});

const PROMTOOL = "/usr/bin/promtool";
const hasPromtool = await Deno.stat(PROMTOOL).then(() => true, () => false);
const inCi = Deno.env.get("CI") === "true";

Deno.test({
  name: `promtool check metrics accepts a live /metrics${
    hasPromtool || inCi ? "" : " (ignored: no /usr/bin/promtool)"
  }`,
  ignore: !hasPromtool && !inCi,
  async fn() {
    if (!hasPromtool) throw new Error(`${PROMTOOL} is missing (apt-get install prometheus)`);
    await using site = startFixtureServer();
    await using app = startTestApp();
    const job = await (await app.call("POST", "/jobs", {
      json: { urls: [`${site.origin}/index.html`], options: { maxDepth: 2 } },
    })).json();
    await ndjson(await app.call("GET", `/jobs/${job.id}/events`));
    await (await app.call("GET", "/nope")).body?.cancel();
    const text = await (await app.call("GET", "/metrics")).text();
    assert.ok(sample(text, "skein_pages_fetched_total") > 0, "the crawl was counted");
    assert.ok(sample(text, "skein_store_write_duration_seconds_count") > 0, "writes were timed");
    const child = new Deno.Command(PROMTOOL, {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const out = await child.output();
    const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `promtool refused /metrics:\n${said}\n---\n${text}`);
    assert.equal(said.trim(), "", `promtool has lint findings:\n${said}`);
  },
});

Deno.test("the job runner counts a lease renewal that finds the lease taken", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp({ JOB_LEASE_MS: "600" });
  const store = app.store as unknown as { renewLease: () => Promise<boolean> };
  store.renewLease = () => Promise.resolve(false); // another process took the job
  const job = await (await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/h/slow/x?ms=5000`], options: { ignoreRobots: true } },
  })).json();
  const deadline = Date.now() + 20_000;
  let failed = 0;
  while (failed === 0) {
    if (Date.now() > deadline) throw new Error("no failed lease renewal counted in 20 s");
    await new Promise((r) => setTimeout(r, 50));
    failed = sample(
      await (await app.call("GET", "/metrics")).text(),
      "skein_lease_renewals_failed_total",
    );
  }
  assert.ok(failed >= 1);
  await (await app.call("DELETE", `/jobs/${job.id}`)).body?.cancel();
});

Deno.test("/metrics shows the queue depth and fetches in flight of a running job", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const job = await (await app.call("POST", "/jobs", {
    json: {
      urls: [`${site.origin}/h/fanout?n=10&ms=5000`],
      options: { ignoreRobots: true, concurrency: 2, perHost: 2 },
    },
  })).json();
  const deadline = Date.now() + 20_000;
  let text = "";
  for (;;) {
    text = await (await app.call("GET", "/metrics")).text();
    if (sample(text, "skein_fetches_in_flight") === 2) break;
    if (Date.now() > deadline) throw new Error(`never 2 fetches in flight:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(sample(text, "skein_frontier_queued_urls"), 8, "10 links, 2 in flight");
  assert.equal(sample(text, 'skein_jobs{status="running"}'), 1);
  await (await app.call("DELETE", `/jobs/${job.id}`)).body?.cancel();
});
