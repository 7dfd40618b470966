/**
 * A counting semaphore whose waiters can be cancelled with an `AbortSignal`.
 *
 * @example
 * ```ts
 * import { Semaphore } from "./semaphore.ts";
 * const sem = new Semaphore(2);
 * const release = await sem.acquire();
 * try {
 *   // at most two callers run here at once
 * } finally {
 *   release();
 * }
 * ```
 * @module
 */

/** What holds a number of permits: {@linkcode Semaphore}, or one shared by threads. */
export interface Permits {
  /** Permits not held right now. */
  readonly available: number;
  /** Takes a permit when one is free, without waiting; returns its release or `null`. */
  tryAcquire(): (() => void) | null;
  /** Waits for a permit; rejects with `signal.reason` if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Whether a permit now released should go back rather than to this holder's next task. */
  readonly overShare?: boolean;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Limits how many holders run at once; FIFO among waiters. */
export class Semaphore implements Permits {
  #free: number;
  #waiters: Waiter[] = [];
  #head = 0;

  /** @param permits how many holders at once; a positive integer */
  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(`Semaphore permits must be a positive integer, got ${permits}`);
    }
    this.#free = permits;
  }

  /** Permits not held right now. */
  get available(): number {
    return this.#free;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /** Takes a permit when one is free, without waiting; returns its release or `null`. */
  tryAcquire(): (() => void) | null {
    if (this.#free > 0 && this.waiting === 0) {
      this.#free--;
      return this.#releaser();
    }
    return null;
  }

  /**
   * Waits for a permit and resolves with the function that gives it back.
   * Rejects with `signal.reason` if the signal aborts first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#waiters.indexOf(waiter, this.#head);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#release();
    };
  }

  #release(): void {
    if (this.#head < this.#waiters.length) {
      const w = this.#waiters[this.#head++];
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve(this.#releaser());
      return;
    }
    this.#free++;
  }
}
