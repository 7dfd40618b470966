import assert from "node:assert/strict";
import { Notifier } from "../../src/async/notifier.ts";
import { within } from "../_wait_until.ts";

Deno.test("Notifier.notify() wakes every waiter", async () => {
  const s = new Notifier();
  let woke = 0;
  const ws = [s.wait().then(() => woke++), s.wait().then(() => woke++)];
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(woke, 0, "nobody wakes before notify()");
  s.notify();
  await within(Promise.all(ws), "both waiters to wake");
  assert.equal(woke, 2);
});

Deno.test("Notifier.notify() wakes only the current waiters, not later ones", async () => {
  const s = new Notifier();
  s.notify(); // nobody waits: nothing is remembered
  let woke = false;
  const later = s.wait().then(() => woke = true);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(woke, false, "a notify() before the wait does not count");
  s.notify();
  await within(later, "the later notify() to wake it");
  assert.equal(woke, true);
});

Deno.test("Notifier.wait() rejects with the reason on abort and leaves the waiters", async () => {
  const s = new Notifier();
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
