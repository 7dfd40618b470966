import assert from "node:assert/strict";
import { lags, startTrace, stopTrace, trace } from "../../src/trace/dispatch_trace.ts";

Deno.test("lags() pairs the k-th stamp with the (k + shift)-th of the next stage", () => {
  // Concurrency 2: requests 2 and 3 take the slots answers 0 and 1 gave back.
  const answers = [10, 12, 20];
  const writes = [0, 0, 15, 13];
  const got = lags(answers, writes.toSorted((a, b) => a - b), 2);
  // sorted writes [0, 0, 13, 15]: 13 - 10 = 3, 15 - 12 = 3; answer 20 pairs with nothing
  assert.deepEqual(got, { n: 2, mean: 3, p50: 3, p90: 3, p99: 3 });
  assert.equal(lags([5], [1], 1), null);
});

Deno.test("startTrace() records stamps that stopTrace() summarizes, then tracing is off", () => {
  const t = startTrace();
  assert.equal(trace, t);
  for (let i = 0; i < 3; i++) {
    t.stamp("dispatch");
    t.stamp("write");
    t.stamp("bodyEnd");
    t.stamp("slotFree");
  }
  t.stamp("dispatch");
  t.stamp("write");
  const s = stopTrace(1);
  assert.equal(trace, null);
  assert.ok(s !== null);
  assert.equal(s.requests, 4);
  // Concurrency 1: each of the 3 answers is followed by one request.
  assert.equal(s.bodyEndToWrite?.n, 3);
  assert.ok(s.bodyEndToWrite!.p50 >= 0, `lag ${s.bodyEndToWrite!.p50} is negative`);
  assert.equal(s.slotFreeToDispatch?.n, 3);
  assert.equal(typeof s.eventLoopDelay.p99, "number");
  assert.equal(stopTrace(1), null);
});
