import assert from "node:assert/strict";
import { Semaphore } from "../../src/async/semaphore.ts";
import { Channel } from "../../src/async/channel.ts";
import { delay } from "../../src/async/delay.ts";
import { DeadlineError, deadlineSignal } from "../../src/async/deadline_signal.ts";
import { Signal } from "../../src/async/signal.ts";
import { onAbort } from "../../src/async/on_abort.ts";
import { abortable } from "../../src/async/abortable.ts";
import { waitUntil, within } from "../_wait_until.ts";

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

Deno.test("Channel applies back-pressure and drains after close()", async () => {
  const ch = new Channel<number>(2);
  assert.equal(await ch.send(1), true);
  assert.equal(await ch.send(2), true);
  let thirdSent = false;
  const third = ch.send(3).then((ok) => (thirdSent = ok));
  await delay(5);
  assert.equal(thirdSent, false, "send waits while the buffer is full");
  assert.deepEqual(await ch.next(), { value: 1, done: false });
  await third;
  assert.equal(thirdSent, true);
  ch.close();
  assert.equal(await ch.send(4), false);
  const rest: number[] = [];
  for await (const n of ch) rest.push(n);
  assert.deepEqual(rest, [2, 3]);
});

Deno.test("delay() rejects at once when aborted and clears its timer", async () => {
  const ac = new AbortController();
  const p = delay(60_000, ac.signal);
  ac.abort(new Error("cancelled"));
  await assert.rejects(p, /cancelled/);
});

Deno.test("deadlineSignal() aborts with DeadlineError after its time, never before", async () => {
  const t0 = performance.now();
  const d = deadlineSignal(30);
  const fired = new Promise<number>((resolve) =>
    d.signal.addEventListener("abort", () => resolve(performance.now() - t0), { once: true })
  );
  const after = await within(fired, "the 30 ms deadline to fire");
  assert.ok(after >= 29, `fired after ${after.toFixed(1)} ms`);
  assert.ok(d.signal.reason instanceof DeadlineError);
  assert.match(d.signal.reason.message, /Deadline of 30 ms exceeded/);
  d.dispose();
});

Deno.test("deadlineSignal() follows its parent and dispose() clears the timer", () => {
  const ac = new AbortController();
  const d = deadlineSignal(60_000, ac.signal);
  ac.abort(new Error("parent"));
  assert.ok(d.signal.aborted);
  assert.match(String(d.signal.reason), /parent/);
  d.dispose();
});

Deno.test("deadlineSignal() fires each live deadline, never early, and never a disposed one", async () => {
  const t0 = performance.now();
  const ds = Array.from(
    { length: 200 },
    (_, i) => ({ ms: 20 + (i * 7) % 41, d: deadlineSignal(20 + (i * 7) % 41) }),
  );
  const firedAt = new Map<number, number>();
  ds.forEach(({ d }, i) =>
    d.signal.addEventListener("abort", () => firedAt.set(i, performance.now() - t0))
  );
  for (let i = 0; i < ds.length; i += 2) ds[i].d.dispose();
  // Every live deadline fires (the longest is 60 ms); by then a disposed one
  // of the same length would have fired too.
  await waitUntil(() => firedAt.size === ds.length / 2, "every live deadline fires");
  await delay(10);
  for (let i = 0; i < ds.length; i++) {
    if (i % 2 === 0) {
      assert.equal(ds[i].d.signal.aborted, false, `disposed deadline ${i} fired`);
    } else {
      assert.ok(ds[i].d.signal.reason instanceof DeadlineError, `deadline ${i} did not fire`);
      assert.ok(firedAt.get(i)! >= ds[i].ms - 1, `deadline ${i} fired early`);
    }
  }
  for (const { d } of ds) d.dispose();
});

Deno.test("deadlineSignal() disposed does not follow its parent any more", () => {
  const ac = new AbortController();
  const d = deadlineSignal(60_000, ac.signal);
  d.dispose();
  ac.abort(new Error("parent"));
  assert.equal(d.signal.aborted, false);
});

Deno.test("onAbort() calls each live subscriber once with the reason, in order", () => {
  const ac = new AbortController();
  const seen: string[] = [];
  const offs = Array.from(
    { length: 1000 },
    (_, i) => onAbort(ac.signal, (r) => seen.push(`${i}:${r}`)),
  );
  for (let i = 0; i < 1000; i += 2) offs[i](); // unsubscribe the even ones
  onAbort(ac.signal, () => {
    throw new Error("a throwing subscriber does not stop the others");
  });
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    errors.push(e.error);
    e.preventDefault();
  };
  globalThis.addEventListener("error", onError);
  try {
    ac.abort("stop");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  assert.equal(seen.length, 500);
  assert.equal(seen[0], "1:stop");
  assert.equal(seen.at(-1), "999:stop");
  assert.equal(errors.length, 1);
  ac.abort("again");
  assert.equal(seen.length, 500, "never called twice");
  assert.doesNotThrow(() => offs[1]());
});

Deno.test("onAbort() on an aborted signal never calls back", () => {
  const ac = new AbortController();
  ac.abort();
  let called = false;
  onAbort(ac.signal, () => called = true)();
  assert.equal(called, false);
});

Deno.test("abortable() settles like its promise, or rejects on abort and disposes a late value", async () => {
  assert.equal(await abortable(Promise.resolve(1), new AbortController().signal), 1);
  await assert.rejects(
    abortable(Promise.reject(new Error("no")), new AbortController().signal),
    /no/,
  );
  const ac = new AbortController();
  const { promise, resolve } = Promise.withResolvers<string>();
  const disposed: string[] = [];
  const waiting = abortable(promise, ac.signal, (v) => disposed.push(v));
  ac.abort(new Error("gave up"));
  await assert.rejects(waiting, /gave up/);
  resolve("conn");
  await promise;
  await delay(0);
  assert.deepEqual(disposed, ["conn"]);
  const aborted = abortable(Promise.resolve("x"), ac.signal, (v) => disposed.push(v));
  await assert.rejects(aborted, /gave up/);
  await delay(0);
  assert.deepEqual(disposed, ["conn", "x"], "already aborted: the value is disposed too");
});

Deno.test("Signal.notify() wakes every waiter", async () => {
  const s = new Signal();
  let woke = 0;
  const ws = [s.wait().then(() => woke++), s.wait().then(() => woke++)];
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(woke, 0, "nobody wakes before notify()");
  s.notify();
  await within(Promise.all(ws), "both waiters to wake");
  assert.equal(woke, 2);
});
