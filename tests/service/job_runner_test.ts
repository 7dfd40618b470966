import assert from "node:assert/strict";
import { JobRunner, type JobRunnerOptions } from "../../src/service/job_runner.ts";
import { JobHub } from "../../src/service/job_hub.ts";
import { Metrics } from "../../src/service/metrics.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { type JobDoc, newJob, type Store } from "../../src/store/store.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";

/** A site in memory: page N links to pages 10N+1 .. 10N+10; `hits` counts requests per URL. */
function treeSite(): { fetcher: Fetcher; hits: Map<string, number> } {
  const hits = new Map<string, number>();
  const fetcher: Fetcher = (url, init) => {
    init.signal.throwIfAborted();
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const n = Number(new URL(url).pathname.split("/").at(-1) ?? 0);
    const links = Array.from({ length: 10 }, (_, i) => `<a href="/p/${n * 10 + i + 1}">x</a>`);
    return Promise.resolve(
      new Response(`<html><title>${n}</title>${links.join("")}</html>`, {
        headers: { "content-type": "text/html" },
      }),
    );
  };
  return { fetcher, hits };
}

function makeRunner(store: Store, fetcher: Fetcher, extra: Partial<JobRunnerOptions> = {}) {
  const hub = new JobHub({ lingerMs: 0 });
  const runner = new JobRunner(store, {
    owner: "test",
    leaseMs: 30_000,
    pollMs: 20,
    maxRunning: 2,
    fetcher,
    hub,
    metrics: new Metrics(),
    flushMs: 10,
    log: () => {},
    ...extra,
  });
  return { runner, hub };
}

/** Waits (bounded) until the job reaches one of `want`. */
async function waitStatus(store: Store, id: string, want: string[], ms = 20_000): Promise<JobDoc> {
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

Deno.test("JobRunner stores exactly the URLs the engine queued: a capped job ends with nothing pending", async () => {
  const store = new MemoryStore();
  const { fetcher, hits } = treeSite();
  const { runner, hub } = makeRunner(store, fetcher);
  await store.createJob(
    newJob(
      "j1",
      ["http://a.test/p/0"],
      { maxPages: 25, maxDepth: 5, ignoreRobots: true },
      new Date(),
    ),
  );
  runner.start();
  try {
    const job = await waitStatus(store, "j1", ["completed", "failed"]);
    assert.equal(job.status, "completed");
    const frontier = await store.loadFrontier("j1");
    assert.deepEqual(frontier.filter((e) => e.state === "pending").map((e) => e.url), []);
    assert.equal(frontier.length, 25);
    const fetched = [...hits.keys()].sort();
    assert.deepEqual(frontier.map((e) => e.url).sort(), fetched);
    const pages = await store.listPages("j1", { limit: 100 });
    assert.deepEqual(pages.map((p) => p.url).sort(), fetched);
  } finally {
    await runner.stop();
    hub.close();
    await store.close();
  }
});
