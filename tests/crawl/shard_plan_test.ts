import assert from "node:assert/strict";
import {
  BUDGET_SLOTS,
  budgetRefused,
  claimShared,
  fnv1a,
  mix32,
  planShards,
  shardOf,
  splitEvenly,
} from "../../src/crawl/shard_plan.ts";

Deno.test("splitEvenly() splits a whole number into parts one apart, larger first", () => {
  assert.deepEqual(splitEvenly(64, 2), [32, 32]);
  assert.deepEqual(splitEvenly(7, 3), [3, 2, 2]);
  assert.deepEqual(splitEvenly(2, 3), [1, 1, 0]);
});

Deno.test("planShards() splits concurrency and perHost over shards that hash URLs", () => {
  const plan = planShards({ concurrency: 65, perHost: 5, delayMs: 0 }, 2);
  assert.equal(plan.by, "url");
  assert.deepEqual(plan.shares, [
    { concurrency: 33, perHost: 3, delayScale: 2 },
    { concurrency: 32, perHost: 2, delayScale: 2 },
  ]);
});

Deno.test("planShards() gives each host to one shard when perHost or a delay must hold per host", () => {
  const narrow = planShards({ concurrency: 16, perHost: 1, delayMs: 0 }, 2);
  assert.equal(narrow.by, "host");
  assert.deepEqual(narrow.shares.map((s) => [s.perHost, s.delayScale]), [[1, 1], [1, 1]]);
  assert.equal(planShards({ concurrency: 16, perHost: 8, delayMs: 100 }, 2).by, "host");
});

Deno.test("planShards() never plans more shards than the crawl's concurrency", () => {
  assert.equal(planShards({ concurrency: 1, perHost: 1, delayMs: 0 }, 4).shards, 1);
  assert.equal(planShards({ concurrency: 3, perHost: 3, delayMs: 0 }, 8).shards, 3);
});

Deno.test("shardOf() is stable, spreads URLs, and keeps a host together when hashing hosts", () => {
  const urls = Array.from({ length: 1000 }, (_, i) => `http://a.test/p${i}.html`);
  const counts = [0, 0];
  for (const u of urls) counts[shardOf(u, { shards: 2, by: "url" })]++;
  assert.ok(counts[0] > 400 && counts[1] > 400, `spread: ${counts}`);
  assert.equal(
    shardOf(urls[7], { shards: 2, by: "url" }),
    shardOf(urls[7], { shards: 2, by: "url" }),
  );
  const hosts = new Set(urls.map((u) => shardOf(u, { shards: 3, by: "host" })));
  assert.equal(hosts.size, 1);
  assert.equal(fnv1a(""), 0x811c9dc5);
});

Deno.test("shardOf() gives the seeds to shard 0 when hashing URLs", () => {
  const seeds = new Set(Array.from({ length: 20 }, (_, i) => `http://a.test/s${i}`));
  for (const s of seeds) assert.equal(shardOf(s, { shards: 4, by: "url", seeds }), 0);
  const moved = [...seeds].filter((s) => shardOf(s, { shards: 4, by: "url" }) !== 0);
  assert.ok(moved.length > 0, "without the seed set some seeds hash elsewhere");
});

Deno.test("claimShared() grants exactly maxPages claims and remembers a refusal", () => {
  const budget = new Int32Array(new SharedArrayBuffer(4 * BUDGET_SLOTS));
  let granted = 0;
  for (let i = 0; i < 10; i++) if (claimShared(budget, 7)) granted++;
  assert.equal(granted, 7);
  assert.equal(budgetRefused(budget), true);
  const fresh = new Int32Array(new SharedArrayBuffer(4 * BUDGET_SLOTS));
  assert.equal(claimShared(fresh, 1), true);
  assert.equal(budgetRefused(fresh), false);
});

Deno.test("shardOf() spreads URLs that differ in one character of the same parity", () => {
  // With FNV-1a alone, modulo 2 is the parity of the characters: all of these would share a shard.
  const owners = ["r", "t", "v", "x", "z", "b", "d", "f"].map((c) =>
    shardOf(`http://a.test/${c}1`, { shards: 2, by: "url" })
  );
  assert.ok(owners.includes(0) && owners.includes(1), `owners: ${owners}`);
  // The finalizer spreads neighbouring inputs over both halves of the range.
  const low = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => mix32(n) & 1);
  assert.ok(low.includes(0) && low.includes(1), `low bits: ${low}`);
});
