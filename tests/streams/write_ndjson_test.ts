import assert from "node:assert/strict";
import { writeNdjson } from "../../src/streams/write_ndjson.ts";
import { delay } from "../../src/async/delay.ts";
import { waitUntil } from "../_wait_until.ts";

function slowSink(ms: number) {
  const writes: string[] = [];
  let closed = false;
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      writes.push(new TextDecoder().decode(chunk));
      await delay(ms);
    },
    close() {
      closed = true;
    },
  });
  return { stream, writes, isClosed: () => closed };
}

Deno.test("writeNdjson() writes every value as one line, in order, and closes", async () => {
  async function* values() {
    for (let i = 0; i < 1000; i++) yield { i, s: "x\ny" };
  }
  const sink = slowSink(1);
  await writeNdjson(values(), sink.stream);
  const lines = sink.writes.join("").split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(lines.map((l) => JSON.parse(l).i), Array.from({ length: 1000 }, (_, i) => i));
  assert.ok(sink.isClosed());
  assert.ok(sink.writes.length < 1000, `a burst is coalesced (${sink.writes.length} writes)`);
});

Deno.test("writeNdjson() hands a line to an idle sink at once", async () => {
  const sink = slowSink(0);
  const { promise: release, resolve } = Promise.withResolvers<void>();
  async function* values() {
    yield { first: true };
    await release; // the source stalls; the first line must not wait for it
  }
  const done = writeNdjson(values(), sink.stream, { preventClose: true });
  // The source never goes on by itself: a writer that waited for it would time out here.
  await waitUntil(() => sink.writes.length > 0, "the first line reaches the sink");
  assert.deepEqual(sink.writes, ['{"first":true}\n']);
  resolve();
  await done;
  assert.equal(sink.isClosed(), false, "preventClose leaves the sink open");
});

Deno.test("writeNdjson() pauses the source past maxPendingBytes", async () => {
  let produced = 0;
  async function* values() {
    for (let i = 0; i < 100; i++) {
      produced++;
      yield { pad: "x".repeat(100) };
    }
  }
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const writes: number[] = [];
  const sink = new WritableStream<Uint8Array>({
    async write(c) {
      writes.push(c.byteLength);
      await gate;
    },
  });
  const done = writeNdjson(values(), sink, { maxPendingBytes: 1000 });
  await waitUntil(() => writes.length === 1, "the sink is stuck in its first write");
  await delay(10); // room for a source that ignored the limit to run ahead
  assert.ok(produced <= 12, `source paused while the sink is stuck (${produced} produced)`);
  open();
  await done;
  assert.equal(produced, 100);
});

Deno.test("writeNdjson() rejects with the sink's error and stops the source", async () => {
  let stopped = false;
  async function* values() {
    try {
      for (let i = 0;; i++) {
        yield { i };
        await delay(0);
      }
    } finally {
      stopped = true;
    }
  }
  const sink = new WritableStream<Uint8Array>({
    write() {
      throw new Error("disk full");
    },
  });
  await assert.rejects(writeNdjson(values(), sink), /disk full/);
  assert.ok(stopped, "the source's finally ran");
});
