/**
 * A resettable wake-up: many waits, one `notify()` wakes them all.
 *
 * @example
 * ```ts
 * import { Notifier } from "./notifier.ts";
 * const s = new Notifier();
 * setTimeout(() => s.notify(), 1);
 * await s.wait();
 * ```
 * @module
 */

/** A level-free notification; see the module doc. */
export class Notifier {
  #waiters: (() => void)[] = [];

  /** Wakes every current waiter. */
  notify(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  /** Resolves at the next `notify()`, or rejects with `signal.reason` when it aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(done);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const done = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(done);
    });
  }
}
