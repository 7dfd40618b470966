/**
 * The retry policy of the crawl, in one place: which outcomes of an attempt
 * are worth another one, and how long to wait before it. Pure functions; the
 * fetch loop (`fetch_page.ts`) asks, and waits.
 *
 * - Retried: the error codes `timeout` and `network`, and the statuses 429
 *   and 5xx, while attempts remain (`retries` extra attempts after the first).
 *   Every other error code is final, each by a decision written in
 *   {@linkcode RETRIED_ERRORS} (a certificate failure, `tls`, fails the same
 *   way every time). Once retries run out, the last 429/5xx is reported as a
 *   `page` with that status.
 * - Wait: the response's `Retry-After` (seconds or an HTTP date) when it has
 *   one, else `backoffMs` doubling each retry with "equal jitter" (half fixed,
 *   half random, so retries never bunch at zero); both capped at
 *   `retryAfterMaxMs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryDelayMs, shouldRetry } from "./retry_policy.ts";
 *
 * const options = { retries: 2, backoffMs: 500, retryAfterMaxMs: 30_000 };
 * const busy = { kind: "status", status: 503, retryAfter: "2" } as const;
 * assert.equal(shouldRetry(busy, 1, options), true);
 * assert.equal(retryDelayMs(busy, 1, options), 2000);
 * assert.equal(shouldRetry(busy, 3, options), false, "the third attempt was the last");
 * assert.equal(shouldRetry({ kind: "error", code: "tls" }, 1, options), false);
 * ```
 * @module
 */
import type { CrawlErrorCode } from "./events.ts";

/** What one attempt came to, as far as retrying is concerned. */
export type AttemptOutcome =
  /** A response arrived (after redirects), with its `Retry-After` header if any. */
  | { kind: "status"; status: number; retryAfter?: string | null }
  /** No usable response. */
  | { kind: "error"; code: CrawlErrorCode };

/** The settings the policy reads; `CrawlOptions` has them all. */
export interface RetryPolicyOptions {
  /** Extra attempts after the first. */
  retries: number;
  /** Back-off before the first retry; doubles each retry. */
  backoffMs: number;
  /** Longest wait ever returned, `Retry-After` included. */
  retryAfterMaxMs: number;
}

/** Inputs of {@linkcode retryDelayMs} that tests replace. */
export interface RetryClock {
  /**
   * Random source in [0, 1).
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Current time in ms since the epoch, for HTTP-date `Retry-After` values.
   * @default {Date.now()}
   */
  now?: number;
}

/**
 * Whether each error code is worth another attempt. A `Record` over every
 * code, so a new code does not compile until someone decides.
 */
export const RETRIED_ERRORS: Readonly<Record<CrawlErrorCode, boolean>> = {
  timeout: true,
  network: true,
  // The same answer every time: retrying only delays the error.
  dns: false,
  tls: false,
  too_large: false,
  too_many_redirects: false,
  redirect_loop: false,
  robots: false,
  invalid_url: false,
  out_of_scope: false,
  blocked_address: false,
  blocked_port: false,
  sitemap_invalid: false,
};

/** Whether a response status is worth another attempt: 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Whether attempt number `attempt` (1 for the first), which came to
 * `outcome`, should be followed by another: a retryable outcome, and fewer
 * than `retries` retries made so far.
 */
export function shouldRetry(
  outcome: AttemptOutcome,
  attempt: number,
  options: Pick<RetryPolicyOptions, "retries">,
): boolean {
  if (attempt > options.retries) return false;
  return outcome.kind === "status"
    ? isRetryableStatus(outcome.status)
    : RETRIED_ERRORS[outcome.code] === true;
}

/**
 * Parses a `Retry-After` value (delay-seconds or an HTTP date) into
 * milliseconds from `now`; a date in the past is 0; `null` when absent or
 * not valid.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/**
 * Milliseconds to wait after attempt number `attempt` (1 for the first)
 * came to `outcome`, before the next: its `Retry-After` when it has a valid
 * one, else back-off with equal jitter; never more than `retryAfterMaxMs`.
 */
export function retryDelayMs(
  outcome: AttemptOutcome,
  attempt: number,
  options: Pick<RetryPolicyOptions, "backoffMs" | "retryAfterMaxMs">,
  clock: RetryClock = {},
): number {
  const cap = options.retryAfterMaxMs;
  if (outcome.kind === "status") {
    const after = parseRetryAfter(outcome.retryAfter, clock.now);
    if (after !== null) return Math.min(after, cap);
  }
  const ceiling = options.backoffMs * 2 ** (attempt - 1);
  const random = clock.random ?? Math.random;
  return Math.min(cap, ceiling / 2 + random() * ceiling / 2);
}
