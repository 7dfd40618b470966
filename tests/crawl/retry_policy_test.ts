import assert from "node:assert/strict";
import {
  type AttemptOutcome,
  isRetryableStatus,
  parseRetryAfter,
  RETRIED_ERRORS,
  retryDelayMs,
  shouldRetry,
} from "../../src/crawl/retry_policy.ts";
import type { CrawlErrorCode } from "../../src/crawl/events.ts";

const OPTIONS = { retries: 2, backoffMs: 100, retryAfterMaxMs: 10_000 };
const status = (s: number, retryAfter?: string): AttemptOutcome => ({
  kind: "status",
  status: s,
  retryAfter,
});
const error = (code: CrawlErrorCode): AttemptOutcome => ({ kind: "error", code });

Deno.test("isRetryableStatus() is true for 429 and 5xx only", () => {
  const retried = [200, 204, 301, 304, 400, 403, 404, 410, 428, 429, 430, 499, 500, 503, 599, 600]
    .filter(isRetryableStatus);
  assert.deepEqual(retried, [429, 500, 503, 599]);
});

Deno.test("shouldRetry() retries timeouts and network errors, and no other code", () => {
  const retried = (Object.keys(RETRIED_ERRORS) as CrawlErrorCode[])
    .filter((code) => shouldRetry(error(code), 1, OPTIONS))
    .sort();
  assert.deepEqual(retried, ["network", "timeout"]);
});

Deno.test("shouldRetry() never retries a certificate failure (tls) or a DNS failure", () => {
  assert.equal(shouldRetry(error("tls"), 1, OPTIONS), false);
  assert.equal(shouldRetry(error("dns"), 1, OPTIONS), false);
  assert.equal(shouldRetry(error("blocked_address"), 1, OPTIONS), false);
});

Deno.test("shouldRetry() allows `retries` retries after the first attempt, then stops", () => {
  for (const outcome of [status(503), status(429), error("timeout"), error("network")]) {
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => shouldRetry(outcome, attempt, OPTIONS)),
      [true, true, false, false],
      JSON.stringify(outcome),
    );
  }
  assert.equal(shouldRetry(status(503), 1, { retries: 0 }), false, "retries 0: one attempt");
  assert.equal(shouldRetry(status(200), 1, OPTIONS), false);
  assert.equal(shouldRetry(status(404), 1, OPTIONS), false);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  const now = Date.parse("2026-11-26T00:00:00Z");
  assert.equal(parseRetryAfter("120", now), 120_000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Thu, 26 Nov 2026 00:00:30 GMT", now), 30_000);
  assert.equal(parseRetryAfter("Wed, 25 Nov 2026 00:00:00 GMT", now), 0, "a past date means now");
  assert.equal(parseRetryAfter("soon", now), null);
  assert.equal(parseRetryAfter("", now), null);
  assert.equal(parseRetryAfter(null, now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
});

Deno.test("retryDelayMs() doubles with jitter between half and all of the step", () => {
  const low = { random: () => 0 };
  const mid = { random: () => 0.5 };
  assert.equal(retryDelayMs(error("network"), 1, OPTIONS, low), 50);
  assert.equal(retryDelayMs(error("network"), 1, OPTIONS, mid), 75);
  assert.equal(retryDelayMs(error("timeout"), 2, OPTIONS, low), 100);
  assert.equal(retryDelayMs(status(503), 3, OPTIONS, low), 200);
  assert.equal(retryDelayMs(status(503), 3, OPTIONS, { random: () => 0.999 }) < 400, true);
  assert.equal(retryDelayMs(status(503), 20, OPTIONS, mid), 10_000, "capped at retryAfterMaxMs");
});

Deno.test("retryDelayMs() prefers a valid Retry-After, capped at retryAfterMaxMs", () => {
  const now = Date.parse("2026-11-26T00:00:00Z");
  assert.equal(retryDelayMs(status(429, "2"), 1, OPTIONS), 2000);
  assert.equal(retryDelayMs(status(503, "3600"), 1, OPTIONS), 10_000);
  assert.equal(
    retryDelayMs(status(503, "Thu, 26 Nov 2026 00:00:05 GMT"), 1, OPTIONS, { now }),
    5000,
  );
  assert.equal(retryDelayMs(status(503, "0"), 3, OPTIONS), 0, "Retry-After: 0 means at once");
  assert.equal(
    retryDelayMs(status(503, "soon"), 1, OPTIONS, { random: () => 0 }),
    50,
    "an invalid Retry-After falls back to back-off",
  );
});
