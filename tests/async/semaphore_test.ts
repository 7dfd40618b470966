import assert from "node:assert/strict";
import { Semaphore } from "../../src/async/semaphore.ts";
import { delay } from "../../src/async/delay.ts";

Deno.test("Semaphore never lets more than its permits run", async () => {
  const sem = new Semaphore(3);
  let running = 0;
  let peak = 0;
  await Promise.all(Array.from({ length: 20 }, async () => {
    const release = await sem.acquire();
    running++;
    peak = Math.max(peak, running);
    await delay(2);
    running--;
    release();
  }));
  assert.equal(peak, 3);
  assert.equal(sem.available, 3);
});

Deno.test("Semaphore.acquire() rejects with the signal's reason and leaves the queue", async () => {
  const sem = new Semaphore(1);
  const hold = await sem.acquire();
  const ac = new AbortController();
  const waiting = sem.acquire(ac.signal);
  assert.equal(sem.waiting, 1);
  ac.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  assert.equal(sem.waiting, 0);
  hold();
  assert.equal(sem.available, 1);
});

Deno.test("Semaphore rejects a non-positive permit count", () => {
  assert.throws(() => new Semaphore(0), RangeError);
});
