import assert from "node:assert/strict";
import { blockSize, PageBudget } from "../../src/service/page_budget.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import type { Store } from "../../src/store/store.ts";

async function member(store: Store, owner: string, leaseUntil: Date): Promise<void> {
  await store.renewMember("j", {
    owner,
    leaseUntil,
    idle: false,
    work: 0,
    counters: { pages: 0, errors: 0, skipped: 0, bytes: 0 },
  });
}

/** Admits `n` fresh URLs under the block `budget` holds, as a worker would. */
async function admit(store: Store, budget: PageBudget, owner: string, n: number, from: number) {
  const block = await budget.take();
  assert.ok(block !== null && block !== "wait", `a block for ${owner}`);
  const urls = Array.from({ length: n }, (_, i) => ({
    url: `http://a.test/${from + i}`,
    depth: 1,
    parent: null,
  }));
  const r = await store.admitUrls("j", urls, { w: owner, b: from, blk: block.id }, block.left);
  budget.use(r.added.length);
  return r.added.length;
}

Deno.test("blockSize() is a sixteenth of maxPages, 1 to 10,000", () => {
  assert.equal(blockSize(1), 1);
  assert.equal(blockSize(25), 2);
  assert.equal(blockSize(1600), 100);
  assert.equal(blockSize(10_000_000), 10_000);
});

Deno.test("PageBudget.take() gives a closed block's rest out again and no unit twice", async () => {
  const store = new MemoryStore();
  const a = new PageBudget(store, "j", "a", 32); // 16 blocks of 2
  const b = new PageBudget(store, "j", "b", 32);
  await member(store, "a", new Date(Date.now() + 60_000));
  await member(store, "b", new Date(Date.now() + 60_000));
  assert.equal(await admit(store, a, "a", 1, 0), 1);
  await a.close(); // block 0: 1 of 2 used
  const rest = await b.take();
  assert.deepEqual(rest, { id: "0r", left: 1 }, "the unused unit of block 0 first");
  let admitted = 1;
  for (let i = 1; admitted < 40 && i < 100; i++) {
    const block = await (i % 2 ? b : a).take();
    if (block === null) break;
    if (block === "wait") continue; // the other one holds the last units: its turn is next
    admitted += await admit(store, i % 2 ? b : a, i % 2 ? "b" : "a", 1, 100 + i);
  }
  assert.equal(admitted, 32, "exactly maxPages admitted");
  await a.close();
  await b.close();
  assert.equal(await a.take(), null, "spent");
});

Deno.test("PageBudget.take() waits for a live holder's block and closes a dead one's by counting", async () => {
  const store = new MemoryStore();
  const a = new PageBudget(store, "j", "a", 10); // 10 blocks of 1
  const b = new PageBudget(store, "j", "b", 10);
  await member(store, "a", new Date(Date.now() + 60_000));
  await member(store, "b", new Date(Date.now() + 60_000));
  // a takes every block, one unit each, admitting one URL under each but the last.
  for (let i = 0; i < 9; i++) assert.equal(await admit(store, a, "a", 1, i), 1);
  const last = await a.take();
  assert.ok(last !== null && last !== "wait");
  assert.equal(await b.take(), "wait", "a live worker holds the last unit");
  // a dies holding it, unused: b closes it by counting what a admitted under it (0).
  await member(store, "a", new Date(0));
  const got = await b.take();
  assert.ok(got !== null && got !== "wait", "the dead worker's unit is free again");
  assert.equal(got.id, `${last.id}r`);
  assert.equal(got.left, 1);
});
