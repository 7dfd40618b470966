import assert from "node:assert/strict";
import {
  UNPARSED_BYTES_PER_SLOT,
  UnparsedBudget,
  unparsedBudgetBytes,
} from "../../src/crawl/unparsed_budget.ts";

Deno.test("UnparsedBudget.take() counts bytes, not pages", () => {
  const budget = new UnparsedBudget(100 * 1024);
  // Twenty 4 KB pages fit in 100 KiB...
  for (let i = 0; i < 20; i++) assert.equal(budget.take(4000), true, `small page ${i}`);
  assert.equal(budget.held, 80_000);
  // ...but a 30 KB page on top of them does not.
  assert.equal(budget.take(30_000), false);
  assert.equal(budget.held, 80_000, "a refused take counts nothing");
  for (let i = 0; i < 20; i++) budget.give(4000);
  assert.equal(budget.held, 0);
  // Three 40 KB pages: the third would overrun 100 KiB.
  assert.equal(budget.take(40_000), true);
  assert.equal(budget.take(40_000), true);
  assert.equal(budget.take(40_000), false);
});

Deno.test("UnparsedBudget.take() always lets one page through when nothing is held", () => {
  const budget = new UnparsedBudget(1000);
  assert.equal(budget.take(5000), true, "a page larger than the budget, alone");
  assert.equal(budget.take(1), false);
  budget.give(5000);
  assert.equal(budget.held, 0);
  assert.equal(budget.take(1), true);
});

Deno.test("UnparsedBudget.give() never goes below zero", () => {
  const budget = new UnparsedBudget(100);
  budget.give(10);
  assert.equal(budget.held, 0);
  assert.equal(budget.take(50), true);
  assert.equal(budget.take(50), true);
  assert.equal(budget.take(1), false);
});

Deno.test("unparsedBudgetBytes() grows with the concurrency, 2 KiB a slot", () => {
  assert.equal(UNPARSED_BYTES_PER_SLOT, 2048);
  assert.equal(unparsedBudgetBytes(64), 128 * 1024);
  assert.equal(unparsedBudgetBytes(500), 500 * 2048);
});

Deno.test("UnparsedBudget refuses a limit that is not a number >= 0", () => {
  assert.throws(() => new UnparsedBudget(-1), RangeError);
  assert.throws(() => new UnparsedBudget(NaN), RangeError);
});
