import assert from "node:assert/strict";
import { JobHub } from "../../src/service/job_hub.ts";
import { followEvents } from "../../src/service/follow_events.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { newJob, type StoredEvent } from "../../src/store/store.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";

function ev(seq: number, url: string): StoredEvent {
  return {
    seq,
    key: url,
    event: { type: "skipped", url, reason: "robots", depth: 1, parent: null },
  };
}

const done: CrawlEvent = {
  type: "done",
  reason: "complete",
  stats: { pages: 0, errors: 0, skipped: 2, bytes: 0, durationMs: 1 },
};

Deno.test("JobHub.cached() serves events after the stored base, and only those", () => {
  const hub = new JobHub();
  assert.equal(hub.cached("j", 0), null, "not a local job");
  hub.open("j", 5);
  hub.publish("j", [ev(6, "http://a.test/6"), ev(7, "http://a.test/7")]);
  assert.deepEqual(hub.cached("j", 5)?.map((e) => e.seq), [6, 7]);
  assert.deepEqual(hub.cached("j", 6)?.map((e) => e.seq), [7]);
  assert.equal(hub.cached("j", 4), null, "older events come from the store");
  hub.close();
});

Deno.test("JobHub keeps only the newest events and moves its base", () => {
  const hub = new JobHub({ keep: 2 });
  hub.open("j", 0);
  hub.publish("j", [ev(1, "a"), ev(2, "b"), ev(3, "c")]);
  assert.equal(hub.cached("j", 0), null, "seq 1 was dropped from memory");
  assert.deepEqual(hub.cached("j", 1)?.map((e) => e.seq), [2, 3]);
  hub.close();
});

Deno.test("JobHub.wait() wakes on publish and gives up after its time", async () => {
  const hub = new JobHub();
  hub.open("j", 0);
  const t0 = performance.now();
  const woken = hub.wait("j", 10_000);
  hub.publish("j", [ev(1, "a")]);
  await woken;
  assert.ok(performance.now() - t0 < 1000);
  await hub.wait("j", 20); // times out quietly
  hub.close();
});

Deno.test("followEvents() replays from the store, then follows the hub to done", async () => {
  const store = new MemoryStore();
  const hub = new JobHub();
  await store.createJob(newJob("j", ["http://a.test/"], {}, new Date()));
  await store.write("j", { frontier: [], events: [ev(1, "http://a.test/1")] });
  hub.open("j", 1);
  const seen: number[] = [];
  const following = (async () => {
    for await (const e of followEvents(store, hub, "j", { pollMs: 10_000 })) seen.push(e.seq);
  })();
  await new Promise((r) => setTimeout(r, 20));
  const later = [ev(2, "http://a.test/2"), { seq: 3, key: "done", event: done }];
  await store.write("j", { frontier: [], events: later });
  hub.publish("j", later);
  await following;
  assert.deepEqual(seen, [1, 2, 3]);
  hub.close();
  await store.close();
});

Deno.test("followEvents() of a job run elsewhere polls the store and ends with the job", async () => {
  const store = new MemoryStore();
  const hub = new JobHub(); // this process holds no log of the job
  await store.createJob(newJob("j", ["http://a.test/"], {}, new Date()));
  const seen: string[] = [];
  const following = (async () => {
    for await (const e of followEvents(store, hub, "j", { pollMs: 20 })) seen.push(e.type);
  })();
  await store.write("j", { frontier: [], events: [ev(1, "http://a.test/1")] });
  await new Promise((r) => setTimeout(r, 60));
  await store.updateJob("j", { status: "failed", error: "boom" });
  await following;
  assert.deepEqual(seen, ["skipped"], "a failed job without done still ends the stream");
  await store.close();
});

Deno.test("JobHub keeps at most keepLinks links of a job's page events in memory", () => {
  const hub = new JobHub({ keep: 1000, keepLinks: 25 });
  hub.open("j", 0);
  const page = (seq: number): StoredEvent => {
    const url = `http://a.test/${seq}`;
    return {
      seq,
      key: url,
      event: {
        type: "page",
        url,
        finalUrl: url,
        status: 200,
        depth: 1,
        parent: null,
        contentType: "text/html",
        title: null,
        links: Array.from({ length: 10 }, (_, i) => `${url}/${i}`),
        bytes: 1,
        ms: 1,
        attempts: 1,
      },
    };
  };
  hub.publish("j", [page(1), page(2), page(3), page(4)]);
  assert.deepEqual(hub.cached("j", 2)?.map((e) => e.seq), [3, 4]);
  assert.equal(hub.cached("j", 1), null, "older events are left to the store");
  hub.close();
});
