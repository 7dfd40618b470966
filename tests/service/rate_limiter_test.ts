import assert from "node:assert/strict";
import { RateLimiter } from "../../src/service/rate_limiter.ts";

Deno.test("RateLimiter.hit() admits `limit` hits per window, then refuses", () => {
  const rl = new RateLimiter(3, 1000);
  assert.deepEqual([0, 10, 20, 30].map((t) => rl.hit("a", t)), [true, true, true, false]);
});

Deno.test("RateLimiter.hit() slides: a hit leaves the window after windowMs", () => {
  const rl = new RateLimiter(2, 1000);
  assert.ok(rl.hit("a", 0));
  assert.ok(rl.hit("a", 500));
  assert.equal(rl.hit("a", 999), false, "the hit at 0 is still inside the window");
  assert.ok(rl.hit("a", 1000), "the hit at 0 has left the window");
  assert.equal(rl.hit("a", 1001), false);
});

Deno.test("RateLimiter.hit() refused hits are not recorded", () => {
  const rl = new RateLimiter(1, 1000);
  assert.ok(rl.hit("a", 0));
  for (let t = 1; t < 1000; t += 100) assert.equal(rl.hit("a", t), false);
  assert.ok(rl.hit("a", 1001), "refusals did not push the window");
});

Deno.test("RateLimiter keys are independent", () => {
  const rl = new RateLimiter(1, 1000);
  assert.ok(rl.hit("a", 0));
  assert.ok(rl.hit("b", 0));
  assert.equal(rl.hit("a", 1), false);
});

Deno.test("RateLimiter.retryAfterMs() is the wait until the oldest hit leaves", () => {
  const rl = new RateLimiter(2, 1000);
  assert.equal(rl.retryAfterMs("a", 0), 0, "unknown key");
  rl.hit("a", 100);
  assert.equal(rl.retryAfterMs("a", 150), 0, "under the limit");
  rl.hit("a", 300);
  assert.equal(rl.retryAfterMs("a", 400), 700);
  assert.ok(rl.hit("a", 400 + 700 + 1));
});

Deno.test("RateLimiter sweeps idle keys once over 10,000 keys, and still counts live ones", () => {
  const rl = new RateLimiter(1, 1000);
  for (let i = 0; i <= 10_000; i++) rl.hit(`k${i}`, 0);
  assert.ok(rl.hit("late", 5000)); // triggers the sweep: every k* hit is out of the window
  assert.ok(rl.hit("k1", 5000), "a swept key starts afresh");
  assert.equal(rl.hit("late", 5001), false, "a live key keeps its count after the sweep");
});
