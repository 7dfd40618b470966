import assert from "node:assert/strict";
import { SharedSemaphore } from "../../src/async/shared_semaphore.ts";
import { within } from "../_wait_until.ts";

Deno.test("SharedSemaphore: holders on one buffer share its permits", () => {
  const buffer = SharedSemaphore.buffer();
  const a = new SharedSemaphore(buffer, 3);
  const b = new SharedSemaphore(buffer, 3);
  const held = [a.tryAcquire(), b.tryAcquire(), a.tryAcquire()];
  assert.ok(held.every((r) => r !== null));
  assert.equal(b.tryAcquire(), null);
  assert.equal(a.available, 0);
  held[0]!();
  held[0]!(); // a second call gives nothing back
  assert.equal(b.available, 1);
});

Deno.test("SharedSemaphore: a waiter is woken by a release through another instance", async () => {
  const buffer = SharedSemaphore.buffer();
  const a = new SharedSemaphore(buffer, 1);
  const b = new SharedSemaphore(buffer, 1);
  const first = a.tryAcquire()!;
  let got = false;
  const waiting = b.acquire().then((r) => (got = true, r));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(got, false);
  first();
  const release = await within(waiting, "the permit");
  release();
  assert.equal(a.available, 1);
});

Deno.test("SharedSemaphore: a waiter leaves when its signal aborts", async () => {
  const buffer = SharedSemaphore.buffer();
  const s = new SharedSemaphore(buffer, 1);
  const held = s.tryAcquire()!;
  const ac = new AbortController();
  const waiting = s.acquire(ac.signal);
  ac.abort(new Error("gave up"));
  await assert.rejects(waiting, /gave up/);
  held();
  // Let the abandoned wait's slice run out, so no V8 timer outlives the test.
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(s.available, 1);
});

Deno.test("SharedSemaphore: a holder past its share says so, until it gives back", () => {
  const buffer = SharedSemaphore.buffer();
  const mine = new SharedSemaphore(buffer, 4, 2);
  const theirs = new SharedSemaphore(buffer, 4, 2);
  const r = [mine.tryAcquire()!, mine.tryAcquire()!];
  assert.equal(mine.overShare, false);
  r.push(mine.tryAcquire()!); // borrowed: the other holder was idle
  assert.equal(mine.overShare, true);
  assert.equal(theirs.overShare, false);
  r.pop()!();
  assert.equal(mine.overShare, false);
  for (const x of r) x();
});
