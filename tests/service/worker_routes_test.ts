import assert from "node:assert/strict";
import { createWorkerHandler } from "../../src/service/worker_routes.ts";
import { JobRunner } from "../../src/service/job_runner.ts";
import { JobHub } from "../../src/service/job_hub.ts";
import { Metrics } from "../../src/service/metrics.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { ConfigError, loadConfig } from "../../src/service/config.ts";

function worker(token: string | null) {
  const store = new MemoryStore();
  const metrics = new Metrics();
  const runner = new JobRunner(store, {
    owner: "w",
    leaseMs: 30_000,
    pollMs: 1000,
    maxRunning: 1,
    fetcher: () => Promise.reject(new Error("no network in this test")),
    hub: new JobHub(),
    metrics,
  });
  return createWorkerHandler({ store, runner, metrics, token });
}

Deno.test("createWorkerHandler() serves /healthz and /metrics only", async () => {
  const handler = worker(null);
  const health = await handler(new Request("http://w/healthz"));
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "ok", store: "memory", role: "worker" });
  const metrics = await handler(new Request("http://w/metrics"));
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^skein_pages_fetched_total 0$/m);
  const jobs = await handler(new Request("http://w/jobs"));
  assert.equal(jobs.status, 404);
  assert.equal((await jobs.json()).error.code, "not_found");
  const post = await handler(new Request("http://w/metrics", { method: "POST" }));
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET");
  await post.body?.cancel();
});

Deno.test("createWorkerHandler() asks for the bearer token on /metrics, never on /healthz", async () => {
  const handler = worker("s3cret");
  const health = await handler(new Request("http://w/healthz"));
  assert.equal(health.status, 200);
  await health.body?.cancel();
  const denied = await handler(new Request("http://w/metrics"));
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("www-authenticate"), "Bearer");
  await denied.body?.cancel();
  const ok = await handler(
    new Request("http://w/metrics", { headers: { authorization: "Bearer s3cret" } }),
  );
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("loadConfig() reads RUN_JOBS as true or false and rejects anything else", () => {
  assert.equal(loadConfig({}).runJobs, true);
  assert.equal(loadConfig({ RUN_JOBS: "false" }).runJobs, false);
  assert.equal(loadConfig({ RUN_JOBS: "0" }).runJobs, false);
  assert.equal(loadConfig({ RUN_JOBS: "TRUE" }).runJobs, true);
  assert.throws(() => loadConfig({ RUN_JOBS: "nope" }), (e) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /RUN_JOBS must be true or false, got "nope"/);
    return true;
  });
});
