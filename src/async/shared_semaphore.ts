/**
 * A counting semaphore shared by threads: the permits in use are one Int32 in
 * a `SharedArrayBuffer`, taken with a compare-and-swap and waited for with
 * `Atomics.waitAsync`, so a crawl spread over threads holds one concurrency
 * budget instead of a fixed share per thread (a share goes unused whenever
 * that thread has nothing to fetch while another has a backlog).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SharedSemaphore } from "./shared_semaphore.ts";
 * const buffer = SharedSemaphore.buffer();
 * const here = new SharedSemaphore(buffer, 2);
 * const there = new SharedSemaphore(buffer, 2); // in a worker, from the same buffer
 * const a = here.tryAcquire();
 * const b = await there.acquire();
 * assert.equal(here.tryAcquire(), null);
 * a!();
 * b();
 * assert.equal(there.available, 2);
 * ```
 * @module
 */
import { abortable } from "./abortable.ts";
import type { Permits } from "./semaphore.ts";

/**
 * The longest a waiter sleeps before it looks again, in ms: a release
 * wakes it at once (`Atomics.notify`); this only bounds a missed wake-up.
 */
const WAIT_SLICE_MS = 100;

/** See the module doc. */
export class SharedSemaphore implements Permits {
  #inUse: Int32Array;
  #permits: number;
  #share: number;
  /** Permits held by this thread. */
  #held = 0;

  /** A buffer for {@linkcode SharedSemaphore}s to share (one Int32, zero: no permit taken). */
  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(4);
  }

  /**
   * @param buffer from {@linkcode SharedSemaphore.buffer}, the same in every thread
   * @param permits how many holders at once, all threads together; a positive integer
   * @param share this thread's fair part of them (see {@linkcode SharedSemaphore.overShare})
   */
  constructor(buffer: SharedArrayBuffer, permits: number, share = permits) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(`SharedSemaphore permits must be a positive integer, got ${permits}`);
    }
    this.#inUse = new Int32Array(buffer, 0, 1);
    this.#permits = permits;
    this.#share = share;
  }

  /**
   * Whether this thread holds more than its share: it borrowed permits the
   * others left unused, and gives one back at its next release rather than
   * passing it to its own next holder.
   */
  get overShare(): boolean {
    return this.#held > this.#share;
  }

  /** Permits not held right now, by any thread. */
  get available(): number {
    return Math.max(0, this.#permits - Atomics.load(this.#inUse, 0));
  }

  /** Takes a permit when one is free, without waiting; returns its release or `null`. */
  tryAcquire(): (() => void) | null {
    for (;;) {
      const held = Atomics.load(this.#inUse, 0);
      if (held >= this.#permits) return null;
      if (Atomics.compareExchange(this.#inUse, 0, held, held + 1) === held) {
        this.#held++;
        return this.#releaser();
      }
    }
  }

  /**
   * Waits for a permit and resolves with the function that gives it back.
   * Rejects with `signal.reason` if the signal aborts first.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const release = this.tryAcquire();
      if (release !== null) return release;
      const held = Atomics.load(this.#inUse, 0);
      if (held < this.#permits) continue;
      const wait = Atomics.waitAsync(this.#inUse, 0, held, WAIT_SLICE_MS);
      if (wait.async) await (signal === undefined ? wait.value : abortable(wait.value, signal));
    }
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#held--;
      Atomics.sub(this.#inUse, 0, 1);
      Atomics.notify(this.#inUse, 0);
    };
  }
}
