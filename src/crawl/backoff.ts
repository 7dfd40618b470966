/**
 * How long to wait before a retry: exponential back-off with full jitter,
 * or the server's `Retry-After` (seconds or an HTTP date), capped.
 *
 * @example
 * ```ts
 * import { retryDelayMs } from "./backoff.ts";
 * retryDelayMs(1, { baseMs: 500, retryAfter: "2", capMs: 30000 }); // 2000
 * ```
 * @module
 */

/** Settings of {@linkcode retryDelayMs}. */
export interface BackoffOptions {
  /** Back-off before the first retry; doubles each attempt. */
  baseMs: number;
  /** The response's `Retry-After` header, if any. */
  retryAfter?: string | null;
  /** Longest wait ever returned. */
  capMs: number;
  /** Random source in [0, 1). @default Math.random */
  random?: () => number;
  /** Current time, for HTTP-date values. @default Date.now() */
  now?: number;
}

/** Parses `Retry-After` into milliseconds from `now`; `null` when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** Milliseconds to wait before retry number `retry` (1 for the first retry). */
export function retryDelayMs(retry: number, options: BackoffOptions): number {
  const after = parseRetryAfter(options.retryAfter, options.now);
  if (after !== null) return Math.min(after, options.capMs);
  const ceiling = options.baseMs * 2 ** (retry - 1);
  const random = options.random ?? Math.random;
  // "equal jitter": half fixed, half random, so retries never bunch at zero
  return Math.min(options.capMs, ceiling / 2 + random() * ceiling / 2);
}
