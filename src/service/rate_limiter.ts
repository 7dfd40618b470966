/**
 * A per-key sliding-window counter: at most `limit` hits per `windowMs`.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limiter.ts";
 * const rl = new RateLimiter(2, 60_000);
 * rl.hit("k", 0); // true
 * rl.hit("k", 1); // true
 * rl.hit("k", 2); // false
 * rl.hit("k", 60_001); // true
 * ```
 * @module
 */

/** See the module doc. */
export class RateLimiter {
  #limit: number;
  #windowMs: number;
  #hits = new Map<string, number[]>();

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records a hit for `key` at `now`; false (and not recorded) when over the limit. */
  hit(key: string, now = Date.now()): boolean {
    const since = now - this.#windowMs;
    const list = (this.#hits.get(key) ?? []).filter((t) => t > since);
    if (list.length >= this.#limit) {
      this.#hits.set(key, list);
      return false;
    }
    list.push(now);
    this.#hits.set(key, list);
    if (this.#hits.size > 10_000) this.#sweep(since);
    return true;
  }

  /** Milliseconds until `key` may hit again (0 when it may now). */
  retryAfterMs(key: string, now = Date.now()): number {
    const list = this.#hits.get(key) ?? [];
    if (list.length < this.#limit) return 0;
    return Math.max(0, list[list.length - this.#limit] + this.#windowMs - now);
  }

  #sweep(since: number): void {
    for (const [k, list] of this.#hits) {
      if (list.every((t) => t <= since)) this.#hits.delete(k);
    }
  }
}
