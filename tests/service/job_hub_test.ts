import assert from "node:assert/strict";
import { JobHub } from "../../src/service/job_hub.ts";
import { followEvents } from "../../src/service/follow_events.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { newJob, type StoredEvent } from "../../src/store/store.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";
import { waitUntil, within } from "../_wait_until.ts";

function ev(seq: number, url: string): StoredEvent {
  return {
    seq,
    key: url,
    event: { type: "skipped", url, reason: "robots", depth: 1, parent: null },
  };
}

/** A memory store that notes the `limit` of each `readEvents` call. */
function countingStore(): { store: MemoryStore; reads: number[] } {
  const store = new MemoryStore();
  const reads: number[] = [];
  const readEvents = store.readEvents.bind(store);
  store.readEvents = (jobId, after, limit) => {
    reads.push(limit);
    return readEvents(jobId, after, limit);
  };
  return { store, reads };
}

/**
 * A follower (polling every `pollMs`) at the end of a shared job's log of one
 * event, once it has followed that event; the store counts its reads.
 */
async function followingAtTail(pollMs: number) {
  const { store, reads } = countingStore();
  const hub = new JobHub();
  await store.createJob(newJob("j", ["http://a.test/"], {}, new Date()));
  hub.open("j", 0, { partial: true });
  hub.publish("j", [ev(1, "http://a.test/1")]);
  const seen: number[] = [];
  const following = (async () => {
    for await (const e of followEvents(store, hub, "j", { pollMs })) seen.push(e.seq);
  })();
  await waitUntil(() => seen.length === 1, "the first event is followed");
  return { store, reads, hub, seen, following };
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

Deno.test("JobHub.wait() wakes on publish, long before its time", async () => {
  const hub = new JobHub();
  hub.open("j", 0);
  const woken = hub.wait("j", 60_000);
  hub.publish("j", [ev(1, "a")]);
  // Without the wake-up this would wait the full minute.
  await within(woken, "publish() to wake the waiter", 10_000);
  hub.close();
});

Deno.test("JobHub.wait() resolves after its time when nothing is published", async () => {
  const hub = new JobHub();
  hub.open("j", 0);
  const t0 = performance.now();
  await within(hub.wait("j", 30), "the 30 ms wait to time out", 10_000);
  const waited = performance.now() - t0;
  assert.ok(waited >= 29, `resolved after ${waited.toFixed(1)} ms, before its time`);
  hub.close();
});

Deno.test("JobHub.wait() rejects with the reason when its signal aborts", async () => {
  const hub = new JobHub();
  const ac = new AbortController();
  const waiting = hub.wait("j", 60_000, ac.signal);
  const reason = new Error("stop");
  ac.abort(reason);
  await assert.rejects(within(waiting, "the aborted wait to reject"), (e) => e === reason);
  await assert.rejects(hub.wait("j", 60_000, AbortSignal.abort(reason)), (e) => e === reason);
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
  await waitUntil(() => seen.length === 1, "the stored event is replayed");
  const later = [ev(2, "http://a.test/2"), { seq: 3, key: "done", event: done }];
  await store.write("j", { frontier: [], events: later });
  hub.publish("j", later);
  await within(following, "the follower to end at done");
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
  await waitUntil(() => seen.length === 1, "the polled event is read");
  await store.updateJob("j", { status: "failed", error: "boom" });
  await within(following, "the follower to end with the failed job");
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
        meta: null,
        contentHash: null,
        content: null,
      },
    };
  };
  hub.publish("j", [page(1), page(2), page(3), page(4)]);
  assert.deepEqual(hub.cached("j", 2)?.map((e) => e.seq), [3, 4]);
  assert.equal(hub.cached("j", 1), null, "older events are left to the store");
  hub.close();
});

Deno.test("JobHub.cached() of a partial log serves consecutive events only, else null", () => {
  const hub = new JobHub({ lingerMs: 0 });
  const ev = (seq: number) => ({
    seq,
    key: `http://a.test/${seq}`,
    event: {
      type: "skipped" as const,
      url: `http://a.test/${seq}`,
      reason: "robots" as const,
      depth: 1,
      parent: null,
    },
  });
  hub.open("j", 2, { partial: true });
  hub.publish("j", [ev(3), ev(4), ev(7), ev(8)]);
  assert.deepEqual(hub.cached("j", 2)?.map((e) => e.seq), [3, 4], "stops before the gap");
  assert.equal(hub.cached("j", 4), null, "5 was written by another process: read the store");
  assert.deepEqual(hub.cached("j", 6)?.map((e) => e.seq), [7, 8]);
  assert.equal(hub.cached("j", 8), null, "nothing here after 8: the store may have more");
  assert.equal(hub.cached("j", 1), null, "older than the log");
  hub.close();
});

Deno.test("JobHub.publish() keeps a partial log in seq order when batches come out of order", () => {
  const hub = new JobHub();
  hub.open("j", 2, { partial: true });
  // Two overlapping writes of one process: the later batch is published first.
  hub.publish("j", [ev(7, "g"), ev(8, "h")]);
  assert.equal(hub.cached("j", 2), null, "seq 3 is not here yet");
  hub.publish("j", [ev(3, "c"), ev(4, "d")]);
  assert.deepEqual(hub.cached("j", 2)?.map((e) => e.seq), [3, 4]);
  hub.publish("j", [ev(5, "e"), ev(6, "f"), ev(2, "b"), ev(4, "d")]);
  assert.deepEqual(hub.cached("j", 2)?.map((e) => e.seq), [3, 4, 5, 6, 7, 8]);
  hub.close();
});

Deno.test("followEvents() at the end of a shared job's log waits for this process's next events, not the store", async () => {
  const { store, reads, hub, seen, following } = await followingAtTail(10_000);
  for (const seq of [2, 3, 4]) {
    await new Promise((r) => setTimeout(r, 5));
    hub.publish("j", [ev(seq, `http://a.test/${seq}`)]);
  }
  hub.publish("j", [{ seq: 5, key: "done", event: done }]);
  await within(following, "the follower to end at done");
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.equal(reads.length, 0, "every event came from memory");
  hub.close();
  await store.close();
});

Deno.test("followEvents() at the end of a shared job's log reads the store when nothing comes here", async () => {
  const store = new MemoryStore();
  const hub = new JobHub();
  await store.createJob(newJob("j", ["http://a.test/"], {}, new Date()));
  hub.open("j", 0, { partial: true });
  const seen: number[] = [];
  const following = (async () => {
    for await (const e of followEvents(store, hub, "j", { pollMs: 20 })) seen.push(e.seq);
  })();
  // Another process writes the job's events: only the store has them.
  await store.write("j", {
    frontier: [],
    events: [ev(1, "http://a.test/1"), { seq: 2, key: "done", event: done }],
  });
  await within(following, "the follower to end at done");
  assert.deepEqual(seen, [1, 2]);
  hub.close();
  await store.close();
});

Deno.test("followEvents() behind this process's log catches up with few reads of the store", async () => {
  const { store, reads: sizes } = countingStore();
  const hub = new JobHub({ keep: 10 });
  await store.createJob(newJob("j", ["http://a.test/"], {}, new Date()));
  const all = Array.from({ length: 100 }, (_, i) => ev(i + 1, `http://a.test/${i + 1}`));
  all.push({ seq: 101, key: "done", event: done });
  await store.write("j", { frontier: [], events: all });
  hub.open("j", 0);
  hub.publish("j", all); // memory keeps the last 10: a follower from 0 is 91 events behind
  const seen: number[] = [];
  for await (const e of followEvents(store, hub, "j", { pageSize: 5, pollMs: 10_000 })) {
    seen.push(e.seq);
  }
  assert.deepEqual(seen, all.map((e) => e.seq));
  assert.deepEqual(sizes, [91], "one read up to the start of memory, not 19 of 5");
  hub.close();
  await store.close();
});

Deno.test("followEvents() at the end of a shared job's log does not read the store while a write is in flight here", async () => {
  const { store, reads, hub, seen, following } = await followingAtTail(10);
  hub.writing("j", 1);
  await new Promise((r) => setTimeout(r, 100)); // ten polls' worth
  assert.equal(reads.length, 0, "no store read while this process writes the next events");
  hub.publish("j", [ev(2, "http://a.test/2"), { seq: 3, key: "done", event: done }]);
  hub.writing("j", -1);
  await within(following, "the follower to end at done");
  assert.deepEqual(seen, [1, 2, 3]);
  hub.close();
  await store.close();
});
