import assert from "node:assert/strict";
import { Channel } from "../../src/async/channel.ts";
import { delay } from "../../src/async/delay.ts";
import { within } from "../_wait_until.ts";

Deno.test("Channel applies back-pressure and drains after close()", async () => {
  const ch = new Channel<number>(2);
  assert.equal(await ch.send(1), true);
  assert.equal(await ch.send(2), true);
  let thirdSent = false;
  const third = ch.send(3).then((ok) => (thirdSent = ok));
  await delay(5);
  assert.equal(thirdSent, false, "send waits while the buffer is full");
  assert.deepEqual(await ch.next(), { value: 1, done: false });
  await third;
  assert.equal(thirdSent, true);
  ch.close();
  assert.equal(await ch.send(4), false);
  const rest: number[] = [];
  for await (const n of ch) rest.push(n);
  assert.deepEqual(rest, [2, 3]);
});

Deno.test("Channel hands an item straight to a waiting reader", async () => {
  const ch = new Channel<string>(1);
  const reading = ch.next();
  assert.equal(await ch.send("x"), true);
  assert.deepEqual(await within(reading, "the waiting reader to get the item"), {
    value: "x",
    done: false,
  });
  ch.close();
  assert.deepEqual(await ch.next(), { value: undefined, done: true }, "nothing was buffered");
});

Deno.test("Channel.close() ends a waiting reader and releases a waiting sender with false", async () => {
  const reader = new Channel<number>(1);
  const reading = reader.next();
  reader.close();
  assert.deepEqual(await within(reading, "close() to end the reader"), {
    value: undefined,
    done: true,
  });
  const writer = new Channel<number>(1);
  assert.equal(await writer.send(1), true);
  const sending = writer.send(2);
  writer.close();
  assert.equal(await within(sending, "close() to release the sender"), false);
  assert.deepEqual(await writer.next(), { value: 1, done: false }, "buffered items still drain");
  assert.deepEqual(await writer.next(), { value: undefined, done: true });
});

Deno.test("Channel rejects a capacity below 1", () => {
  for (const capacity of [0, -1, Number.NaN]) {
    assert.throws(() => new Channel(capacity), RangeError, String(capacity));
  }
});
