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
