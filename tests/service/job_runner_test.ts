import assert from "node:assert/strict";
import { JobRunner, type JobRunnerOptions } from "../../src/service/job_runner.ts";
import { JobHub } from "../../src/service/job_hub.ts";
import { Metrics } from "../../src/service/metrics.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import {
  type JobDoc,
  newJob,
  type Store,
  StoreError,
  type WriteBatch,
} from "../../src/store/store.ts";
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

/** The store with `write` replaced; every other method goes to `store`. */
function withWrite(
  store: Store,
  write: (jobId: string, batch: WriteBatch) => Promise<void>,
): Store {
  return new Proxy(store, {
    get(target, key) {
      if (key === "write") return write;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A fetcher whose answers wait until `release()`; aborts end them at once. */
function heldSite(): { fetcher: Fetcher; started: () => number; release: () => void } {
  const inner = treeSite();
  let started = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const fetcher: Fetcher = async (url, init) => {
    started++;
    await Promise.race([
      gate,
      new Promise((_, reject) => {
        init.signal.addEventListener("abort", () => reject(init.signal.reason), { once: true });
      }),
    ]);
    return inner.fetcher(url, init);
  };
  return { fetcher, started: () => started, release };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const SMALL = { maxPages: 12, maxDepth: 5, ignoreRobots: true };

Deno.test("JobRunner ends a job failed, with its error recorded, when the crawl throws", async () => {
  const store = new MemoryStore();
  const { fetcher } = treeSite();
  const { runner, hub } = makeRunner(store, fetcher);
  await store.createJob(newJob("j1", ["http://a.test/p/0"], { maxPages: -3 }, new Date()));
  runner.start();
  try {
    const job = await waitStatus(store, "j1", ["completed", "failed"]);
    assert.equal(job.status, "failed");
    assert.match(job.error ?? "", /maxPages/);
    assert.equal(job.owner, null);
    assert.ok(job.finishedAt instanceof Date);
  } finally {
    await runner.stop();
    hub.close();
  }
});

Deno.test("JobRunner writes nothing once another process took its lease, and stops", async () => {
  const store = new MemoryStore();
  const site = heldSite();
  const lines: string[] = [];
  // A long lease: renewed every second, so the write fence, not the renewal, sees the loss.
  const { runner, hub } = makeRunner(store, site.fetcher, {
    leaseMs: 30_000,
    log: (l) => lines.push(l),
  });
  await store.createJob(newJob("j1", ["http://a.test/p/0"], SMALL, new Date()));
  runner.start();
  try {
    await waitFor("the first fetch starts", () => site.started() > 0);
    await store.updateJob("j1", { owner: "other", leaseUntil: new Date(Date.now() + 60_000) });
    site.release(); // pages now end as events, and their batches are fenced off
    await waitFor(
      "the runner sees the lease lost",
      () => lines.some((l) => l.includes("lease lost")),
    );
    await waitFor("the local run stops", () => runner.inFlight === 0);
    const job = await store.getJob("j1");
    assert.equal(job?.owner, "other");
    assert.equal(job?.status, "running");
    assert.deepEqual(await store.readEvents("j1", 0, 10), [], "no event written after the steal");
  } finally {
    site.release();
    await runner.stop();
    hub.close();
  }
});

Deno.test("JobRunner stops its job when another process cancels it", async () => {
  const store = new MemoryStore();
  const site = heldSite();
  const a = makeRunner(store, site.fetcher, { leaseMs: 300, owner: "a" });
  const b = makeRunner(store, site.fetcher, { owner: "b" });
  await store.createJob(newJob("j1", ["http://a.test/p/0"], SMALL, new Date()));
  a.runner.start();
  try {
    await waitFor("the first fetch starts", () => site.started() > 0);
    const before = await b.runner.cancel("j1");
    assert.equal(before?.owner, "a");
    const job = await waitStatus(store, "j1", ["cancelled", "completed", "failed"], 5_000);
    assert.equal(job.status, "cancelled");
    const events = await store.readEvents("j1", 0, 100);
    const done = events.at(-1)?.event;
    assert.equal(done?.type === "done" ? done.reason : done?.type, "aborted");
    assert.equal(await b.runner.cancel("missing"), null);
  } finally {
    site.release();
    await a.runner.stop();
    await b.runner.stop();
    a.hub.close();
    b.hub.close();
  }
});

Deno.test("JobRunner cancel() of a queued job nobody runs ends it at once with done", async () => {
  const store = new MemoryStore();
  const { runner, hub } = makeRunner(store, treeSite().fetcher);
  await store.createJob(newJob("j1", ["http://a.test/p/0"], SMALL, new Date()));
  try {
    await runner.cancel("j1");
    const job = await store.getJob("j1");
    assert.equal(job?.status, "cancelled");
    assert.equal(job?.cancelRequested, true);
    const events = await store.readEvents("j1", 0, 10);
    assert.deepEqual(events.map((e) => [e.seq, e.key, e.event.type]), [[1, "done", "done"]]);
  } finally {
    await runner.stop();
    hub.close();
  }
});

Deno.test("JobRunner stops a job cleanly when store writes keep failing, and resumes it later", async () => {
  const base = new MemoryStore();
  let healthy = false;
  let failures = 0;
  const store = withWrite(base, (id, b) => {
    if (healthy) return base.write(id, b);
    failures++;
    return Promise.reject(new StoreError("unavailable", "database down"));
  });
  const { fetcher, hits } = treeSite();
  const lines: string[] = [];
  const { runner, hub } = makeRunner(store, fetcher, {
    storeRetryMs: 400,
    log: (l) => lines.push(l),
  });
  await base.createJob(newJob("j1", ["http://a.test/p/0"], SMALL, new Date()));
  runner.start();
  try {
    await waitFor(
      "the run gives up",
      () => lines.some((l) => l.includes("store unavailable")),
      10_000,
    );
    assert.ok(failures > 1, `retried (${failures} attempts)`);
    const stopped = await base.getJob("j1");
    assert.equal(stopped?.status, "running", "not failed: it is resumed later");
    healthy = true;
    const job = await waitStatus(base, "j1", ["completed", "failed"]);
    assert.equal(job.status, "completed");
    assert.equal(job.counters.pages, 12);
    const frontier = await base.loadFrontier("j1");
    assert.equal(frontier.filter((e) => e.state === "page").length, 12);
    assert.ok(hits.size >= 12);
  } finally {
    await runner.stop();
    hub.close();
  }
});

Deno.test("JobRunner fails a job at once, with the store's message, when a batch is refused as invalid", async () => {
  const base = new MemoryStore();
  let attempts = 0;
  const store = withWrite(base, () => {
    attempts++;
    return Promise.reject(new StoreError("invalid", "Event key must be the event's url"));
  });
  const { fetcher } = treeSite();
  const { runner, hub } = makeRunner(store, fetcher, { storeRetryMs: 60_000 });
  await base.createJob(newJob("j1", ["http://a.test/p/0"], SMALL, new Date()));
  runner.start();
  try {
    // Well before storeRetryMs: an invalid batch is a bug, not an outage, and is not retried.
    const job = await waitStatus(base, "j1", ["completed", "failed"], 10_000);
    assert.equal(job.status, "failed");
    assert.match(job.error ?? "", /Event key must be/);
    assert.ok(attempts <= 3, `not retried (${attempts} attempts)`);
  } finally {
    await runner.stop();
    hub.close();
  }
});

Deno.test("JobRunner writes a batch as soon as it holds batchSize events", async () => {
  const base = new MemoryStore();
  const sizes: number[] = [];
  const store = withWrite(base, (id, b) => {
    sizes.push(b.events.length);
    return base.write(id, b);
  });
  const { fetcher } = treeSite();
  const { runner, hub } = makeRunner(store, fetcher, { batchSize: 5, flushMs: 600_000 });
  await base.createJob(newJob("j1", ["http://a.test/p/0"], { ...SMALL, maxPages: 23 }, new Date()));
  runner.start();
  try {
    const job = await waitStatus(base, "j1", ["completed", "failed"]);
    assert.equal(job.status, "completed");
    // 23 page events and done: four full batches by size, the rest at the end.
    assert.deepEqual(sizes, [5, 5, 5, 5, 4]);
    assert.equal((await base.readEvents("j1", 0, 100)).length, 24);
  } finally {
    await runner.stop();
    hub.close();
  }
});

Deno.test("JobRunner past heapLimitBytes ends the job completed with done reason memory_limit", async () => {
  const store = new MemoryStore();
  const { fetcher } = treeSite();
  const { runner, hub } = makeRunner(store, fetcher, { heapLimitBytes: 1 });
  await store.createJob(
    newJob(
      "j1",
      ["http://a.test/p/0"],
      { maxPages: 5000, maxDepth: 9, ignoreRobots: true },
      new Date(),
    ),
  );
  runner.start();
  try {
    const job = await waitStatus(store, "j1", ["completed", "failed"]);
    assert.equal(job.status, "completed");
    const events = await store.readEvents("j1", 0, 5000);
    const done = events.at(-1)?.event;
    assert.equal(done?.type === "done" ? done.reason : done?.type, "memory_limit");
    const frontier = await store.loadFrontier("j1");
    assert.equal(frontier.length, 1023, "admission stopped at the first check");
    assert.deepEqual(frontier.filter((e) => e.state === "pending"), []);
  } finally {
    await runner.stop();
    hub.close();
  }
});
