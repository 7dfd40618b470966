import assert from "node:assert/strict";
import { parseRetryAfter, retryDelayMs } from "../../src/crawl/backoff.ts";

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  const now = Date.parse("2026-11-26T00:00:00Z");
  assert.equal(parseRetryAfter("120", now), 120_000);
  assert.equal(parseRetryAfter("Thu, 26 Nov 2026 00:00:30 GMT", now), 30_000);
  assert.equal(parseRetryAfter("Wed, 25 Nov 2026 00:00:00 GMT", now), 0, "a past date means now");
  assert.equal(parseRetryAfter("soon", now), null);
  assert.equal(parseRetryAfter(null, now), null);
});

Deno.test("retryDelayMs() doubles with jitter between half and all of the step", () => {
  const base = { baseMs: 100, capMs: 10_000 };
  assert.equal(retryDelayMs(1, { ...base, random: () => 0 }), 50);
  assert.equal(retryDelayMs(1, { ...base, random: () => 0.5 }), 75);
  assert.equal(retryDelayMs(3, { ...base, random: () => 0 }), 200);
  assert.equal(retryDelayMs(20, { ...base, random: () => 0.5 }), 10_000, "capped");
});

Deno.test("retryDelayMs() prefers Retry-After, capped", () => {
  assert.equal(retryDelayMs(1, { baseMs: 100, capMs: 5000, retryAfter: "2" }), 2000);
  assert.equal(retryDelayMs(1, { baseMs: 100, capMs: 5000, retryAfter: "3600" }), 5000);
});
