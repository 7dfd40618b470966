import assert from "node:assert/strict";
import { Notifier } from "../../src/async/notifier.ts";
import { waitForWakeOrTimeout } from "../../src/async/wait_for_wake_or_timeout.ts";
import { within } from "../_wait_until.ts";

Deno.test("waitForWakeOrTimeout() resolves with wake at notify(), long before its time", async () => {
  const wake = new Notifier();
  const waiting = waitForWakeOrTimeout(wake, 60_000);
  wake.notify();
  // Without the wake-up this would take a minute (and leak its timer).
  assert.equal(await within(waiting, "notify() to wake the wait"), "wake");
});

Deno.test("waitForWakeOrTimeout() resolves with timeout after its time, never before", async () => {
  const t0 = performance.now();
  const got = await within(waitForWakeOrTimeout(new Notifier(), 30), "the 30 ms wait to end");
  const waited = performance.now() - t0;
  assert.equal(got, "timeout");
  assert.ok(waited >= 29, `ended after ${waited.toFixed(1)} ms`);
});

Deno.test("waitForWakeOrTimeout() with ms null waits for notify() only", async () => {
  const wake = new Notifier();
  let settled = false;
  const waiting = waitForWakeOrTimeout(wake, null).finally(() => settled = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, "no timeout without ms");
  wake.notify();
  assert.equal(await within(waiting, "notify() to wake the wait"), "wake");
});

Deno.test("waitForWakeOrTimeout() rejects with the reason when its signal aborts", async () => {
  const reason = new Error("stop");
  const ac = new AbortController();
  const waiting = waitForWakeOrTimeout(new Notifier(), 60_000, ac.signal);
  ac.abort(reason);
  await assert.rejects(within(waiting, "the aborted wait to reject"), (e) => e === reason);
  await assert.rejects(
    waitForWakeOrTimeout(new Notifier(), 60_000, AbortSignal.abort(reason)),
    (e) => e === reason,
    "already aborted: rejects at once",
  );
});

Deno.test("waitForWakeOrTimeout() gives back its place among the waiters however it ends", async () => {
  const given: AbortSignal[] = [];
  const wake = new Notifier();
  const notifier = {
    wait(signal?: AbortSignal) {
      given.push(signal!);
      return wake.wait(signal);
    },
  };
  assert.equal(await waitForWakeOrTimeout(notifier, 1), "timeout");
  const woken = waitForWakeOrTimeout(notifier, 60_000);
  wake.notify();
  assert.equal(await within(woken, "notify() to wake the wait"), "wake");
  const ac = new AbortController();
  const aborted = waitForWakeOrTimeout(notifier, 60_000, ac.signal);
  ac.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  assert.equal(given.length, 3);
  assert.deepEqual(given.map((s) => s.aborted), [true, true, true], "each wait() was released");
});
