/**
 * Tells when a crawl's heap passed its limit, looking at
 * `Deno.memoryUsage()` only once every {@linkcode CHECK_EVERY} admissions
 * (it costs a call into the runtime). Once full, it stays full.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeapGuard } from "./heap_guard.ts";
 * const guard = new HeapGuard(1); // one byte: full at the first look
 * for (let i = 0; i < 1024; i++) guard.admit();
 * assert.equal(guard.full, true);
 * assert.equal(new HeapGuard().admit(), true); // no limit: always room
 * ```
 * @module
 */

/** Admissions between two looks at the heap. */
export const CHECK_EVERY = 1024;

/** See the module doc. */
export class HeapGuard {
  #limit: number;
  #admissions = 0;
  #full = false;

  /** @param limitBytes heap bytes in use past which nothing more is admitted */
  constructor(limitBytes = Infinity) {
    this.#limit = limitBytes;
  }

  /** Whether the heap passed the limit. */
  get full(): boolean {
    return this.#full;
  }

  /** Counts one admission; false once the heap has passed the limit. */
  admit(): boolean {
    if (!this.#full && ++this.#admissions % CHECK_EVERY === 0 && this.#limit !== Infinity) {
      this.#full = Deno.memoryUsage().heapUsed > this.#limit;
    }
    return !this.#full;
  }
}
