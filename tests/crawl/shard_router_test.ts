import assert from "node:assert/strict";
import { type ShardMessage, ShardRouter } from "../../src/crawl/shard_router.ts";
import { shardOf } from "../../src/crawl/shard_plan.ts";
import type { Task } from "../../src/crawl/frontier.ts";

const PLAN = { shards: 2, by: "url" as const };

/** Links that hash to shard `s`, from a page of shard `from`. */
function linksOf(s: number, n: number, from = "http://a.test/"): Task[] {
  const out: Task[] = [];
  for (let i = 0; out.length < n; i++) {
    const url = `http://a.test/p${i}`;
    if (shardOf(url, PLAN) === s) out.push({ url, depth: 1, parent: from });
  }
  return out;
}

function router(self = 0) {
  const posted: ShardMessage[] = [];
  const queued: string[] = [];
  const r = new ShardRouter(self, PLAN, (m) => posted.push(m));
  const seen: string[] = [];
  r.attach((t) => {
    if (queued.includes(t.url) || seen.includes(t.url)) return false;
    queued.push(t.url);
    return true;
  }, (url) => seen.push(url));
  return { r, posted, queued, seen };
}

Deno.test("ShardRouter queues its own links and posts the others' in one batch", async () => {
  const { r, posted, queued } = router(0);
  const own = linksOf(0, 3);
  const theirs = linksOf(1, 4);
  for (const t of [...own, ...theirs]) r.admit(t);
  assert.deepEqual(queued, own.map((t) => t.url));
  assert.deepEqual(posted, [], "the batch goes out after the page's links");
  await Promise.resolve();
  assert.deepEqual(posted, [{ t: "links", to: 1, tasks: theirs }]);
  assert.deepEqual(r.counts, { sent: 4, recv: 0 });
});

Deno.test("ShardRouter leaves another shard's seeds to it", async () => {
  const { r, posted } = router(0);
  const [seed] = linksOf(1, 1);
  r.admit({ ...seed, depth: 0, parent: null });
  await Promise.resolve();
  assert.deepEqual(posted, []);
  assert.deepEqual(r.counts, { sent: 0, recv: 0 });
});

Deno.test("ShardRouter reports idle with its counts, after posting what it batched", () => {
  const { r, posted } = router(0);
  const [t] = linksOf(1, 1);
  r.admit(t);
  r.onIdle();
  assert.deepEqual(posted, [
    { t: "links", to: 1, tasks: [t] },
    { t: "idle", sent: 1, recv: 0, wave: 0 },
  ]);
  r.onIdle();
  assert.equal(posted.length, 2, "an unchanged idle is not reported twice");
});

Deno.test("ShardRouter answers a probe at once when idle, else when it next goes idle", () => {
  const { r, posted } = router(1);
  r.onIdle();
  r.probe(1);
  assert.deepEqual(posted.at(-1), { t: "idle", sent: 0, recv: 0, wave: 1 });
  r.receive(linksOf(1, 2));
  r.probe(2);
  assert.equal((posted.at(-1) as { wave: number }).wave, 1, "busy: the answer waits");
  r.onIdle();
  assert.deepEqual(posted.at(-1), { t: "idle", sent: 0, recv: 2, wave: 2 });
});

Deno.test("ShardRouter reports at once when what it received was all seen before", () => {
  const { r, posted } = router(1);
  const tasks = linksOf(1, 2);
  r.receive(tasks);
  r.onIdle();
  r.receive(tasks);
  assert.deepEqual(posted.at(-1), { t: "idle", sent: 0, recv: 4, wave: 0 });
});

Deno.test("ShardRouter tells a redirect target's owner, before any link to it", async () => {
  const a = router(0);
  const [theirs] = linksOf(1, 1);
  a.r.redirected(theirs.url);
  a.r.admit(theirs);
  await Promise.resolve();
  assert.deepEqual(a.posted, [
    { t: "seen", to: 1, urls: [theirs.url] },
    { t: "links", to: 1, tasks: [theirs] },
  ]);
  const b = router(1);
  b.r.receiveSeen([theirs.url]);
  b.r.receive([theirs]);
  assert.deepEqual(b.queued, [], "the owner does not fetch it again");
});
