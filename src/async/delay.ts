/**
 * An abortable delay.
 *
 * @example
 * ```ts
 * import { delay } from "./delay.ts";
 * await delay(10);
 * ```
 * @module
 */

/**
 * Resolves after `ms` milliseconds; rejects with `signal.reason` at once if the
 * signal is (or becomes) aborted. The timer and listener are always removed.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(id);
      reject(signal!.reason);
    };
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
