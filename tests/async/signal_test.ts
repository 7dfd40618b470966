import assert from "node:assert/strict";
import { Signal } from "../../src/async/signal.ts";
import { within } from "../_wait_until.ts";

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

Deno.test("Signal.notify() wakes only the current waiters, not later ones", async () => {
  const s = new Signal();
  s.notify(); // nobody waits: nothing is remembered
  let woke = false;
  const later = s.wait().then(() => woke = true);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(woke, false, "a notify() before the wait does not count");
  s.notify();
  await within(later, "the later notify() to wake it");
  assert.equal(woke, true);
});

Deno.test("Signal.wait() rejects with the reason on abort and leaves the waiters", async () => {
  const s = new Signal();
  const reason = new Error("stop");
  await assert.rejects(s.wait(AbortSignal.abort(reason)), (e) => e === reason);
  const ac = new AbortController();
  let resolved = false;
  const waiting = s.wait(ac.signal).then(() => resolved = true);
  ac.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  s.notify();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(resolved, false, "an aborted wait is never resolved");
});
