import assert from "node:assert/strict";
import { ndjsonResponse } from "../../src/service/ndjson_response.ts";

Deno.test("ndjsonResponse() writes one JSON value a line with NDJSON headers", async () => {
  async function* values() {
    yield { a: 1 };
    yield "two";
  }
  const res = ndjsonResponse(() => values());
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(await res.text(), '{"a":1}\n"two"\n');
});

Deno.test("ndjsonResponse() aborts the generator's signal and runs its finally when the client goes", async () => {
  let closed = 0;
  let finished = false;
  let seen: AbortSignal | null = null;
  const res = ndjsonResponse((signal) => {
    seen = signal;
    return (async function* () {
      try {
        yield 1;
        await new Promise((r) => signal.addEventListener("abort", r)); // a follower waiting
        yield 2;
      } finally {
        finished = true;
      }
    })();
  }, { onClose: () => closed++ });
  const reader = res.body!.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "1\n");
  await reader.cancel();
  // The cancel travels up the pipe chain asynchronously: wait for it, bounded.
  const deadline = Date.now() + 5000;
  while (closed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(seen!.aborted, true, "the generator's signal aborted");
  assert.equal(finished, true);
  assert.equal(closed, 1);
});

Deno.test("ndjsonResponse() ends quietly when `signal` aborts (shutdown) and calls onClose once", async () => {
  const ac = new AbortController();
  let closed = 0;
  const res = ndjsonResponse((signal) =>
    (async function* () {
      yield "a";
      await new Promise((r) => signal.addEventListener("abort", r));
      signal.throwIfAborted();
    })(), { signal: ac.signal, onClose: () => closed++ });
  const text = res.text();
  setTimeout(() => ac.abort(new Error("shutdown")), 10);
  assert.equal(await text, '"a"\n');
  assert.equal(closed, 1);
});

Deno.test("ndjsonResponse() errors the body when the generator fails while the client is there", async () => {
  let closed = 0;
  const res = ndjsonResponse(() =>
    (async function* () {
      yield 1;
      throw new Error("store down");
    })(), { onClose: () => closed++ });
  await assert.rejects(res.text());
  assert.equal(closed, 1);
});
