import assert from "node:assert/strict";
import { onAbort } from "../../src/async/on_abort.ts";

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
