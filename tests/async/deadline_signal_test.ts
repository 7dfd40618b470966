import assert from "node:assert/strict";
import { DeadlineError, deadlineSignal } from "../../src/async/deadline_signal.ts";
import { delay } from "../../src/async/delay.ts";
import { waitUntil, within } from "../_wait_until.ts";

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
