import assert from "node:assert/strict";
import { ndjsonStream, toNdjsonLines } from "../../src/streams/ndjson_stream.ts";
import { within } from "../_wait_until.ts";

Deno.test("ndjsonStream() gives one JSON document per line, newlines in strings escaped", async () => {
  async function* values() {
    yield { a: 1 };
    yield { s: "x\ny" };
    yield [null];
  }
  const text = await new Response(ndjsonStream(values())).text();
  assert.equal(text, '{"a":1}\n{"s":"x\\ny"}\n[null]\n');
  assert.deepEqual(text.trim().split("\n").map((l) => JSON.parse(l)), [{ a: 1 }, {
    s: "x\ny",
  }, [null]]);
});

Deno.test("ndjsonStream() cancelled runs the source's finally", async () => {
  let stopped = false;
  async function* values() {
    try {
      for (let i = 0;; i++) yield { i };
    } finally {
      stopped = true;
    }
  }
  const reader = ndjsonStream(values()).getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^\{"i":0\}\n/);
  await within(reader.cancel(), "cancel() to return");
  assert.equal(stopped, true);
});

Deno.test("toNdjsonLines() turns each value into its line", async () => {
  const lines = await Array.fromAsync(
    ReadableStream.from([{ a: 1 }, "s", 2]).pipeThrough(toNdjsonLines()),
  );
  assert.deepEqual(lines, ['{"a":1}\n', '"s"\n', "2\n"]);
});

Deno.test("ndjsonStream() sends a burst of lines as one chunk", async () => {
  async function* values() {
    for (let i = 0; i < 100; i++) yield { i };
  }
  const chunks = await Array.fromAsync(ndjsonStream(values()));
  assert.equal(chunks.length, 1);
  const lines = new TextDecoder().decode(chunks[0]).trim().split("\n");
  assert.deepEqual(lines.map((l) => JSON.parse(l).i), Array.from({ length: 100 }, (_, i) => i));
  // lingerMs 0: one chunk a line.
  assert.equal((await Array.fromAsync(ndjsonStream(values(), { lingerMs: 0 }))).length, 100);
  // maxChunk cuts a long burst.
  const small = await Array.fromAsync(ndjsonStream(values(), { maxChunk: 64 }));
  assert.ok(small.length > 10, `${small.length} chunks`);
});

Deno.test("ndjsonStream() does not hold a line back for longer than lingerMs", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  async function* values() {
    yield { first: true };
    await gate; // the next value comes much later
    yield { second: true };
  }
  const reader = ndjsonStream(values(), { lingerMs: 5 }).getReader();
  const first = await within(reader.read(), "the first line before the second value exists");
  assert.equal(new TextDecoder().decode(first.value), '{"first":true}\n');
  release();
  const second = await within(reader.read(), "the second line");
  assert.equal(new TextDecoder().decode(second.value), '{"second":true}\n');
  assert.equal((await reader.read()).done, true);
});
