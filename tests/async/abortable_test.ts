import assert from "node:assert/strict";
import { abortable } from "../../src/async/abortable.ts";
import { delay } from "../../src/async/delay.ts";

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
