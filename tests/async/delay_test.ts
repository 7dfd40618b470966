import assert from "node:assert/strict";
import { delay } from "../../src/async/delay.ts";
import { within } from "../_wait_until.ts";

Deno.test("delay() rejects at once when aborted and clears its timer", async () => {
  const ac = new AbortController();
  const p = delay(60_000, ac.signal);
  ac.abort(new Error("cancelled"));
  await assert.rejects(p, /cancelled/);
});

Deno.test("delay() resolves after its time, never before", async () => {
  const t0 = performance.now();
  await within(delay(30), "the 30 ms delay");
  const waited = performance.now() - t0;
  assert.ok(waited >= 29, `resolved after ${waited.toFixed(1)} ms`);
});

Deno.test("delay() with an aborted signal rejects at once, whatever its time", async () => {
  const reason = new Error("already");
  await assert.rejects(delay(60_000, AbortSignal.abort(reason)), (e) => e === reason);
  await assert.rejects(delay(0, AbortSignal.abort(reason)), (e) => e === reason);
});

Deno.test("delay() of zero or less resolves without a timer", async () => {
  assert.equal(await delay(0), undefined);
  assert.equal(await delay(-5, new AbortController().signal), undefined);
});

Deno.test("delay() removes its abort listener once it resolves", async () => {
  const ac = new AbortController();
  let listeners = 0;
  const add = ac.signal.addEventListener.bind(ac.signal);
  const remove = ac.signal.removeEventListener.bind(ac.signal);
  ac.signal.addEventListener = ((...a: Parameters<typeof add>) => {
    listeners++;
    add(...a);
  }) as typeof add;
  ac.signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
    listeners--;
    remove(...a);
  }) as typeof remove;
  await delay(1, ac.signal);
  assert.equal(listeners, 0);
});
