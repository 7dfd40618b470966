/**
 * Waits for a promise, but no longer than a signal allows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { abortable } from "./abortable.ts";
 * const ac = new AbortController();
 * const slow = new Promise((r) => setTimeout(r, 50, "late"));
 * const waiting = abortable(slow, ac.signal);
 * ac.abort(new Error("gave up"));
 * await assert.rejects(waiting, /gave up/);
 * await slow;
 * ```
 * @module
 */
import { onAbort } from "./on_abort.ts";

/**
 * Settles like `p`, or rejects with `signal.reason` as soon as `signal`
 * aborts (at once if it already has). `p` itself cannot be stopped; when it
 * resolves after the abort, its value is handed to `dispose` (a connection
 * to close, say) instead of being lost.
 */
export function abortable<T>(
  p: Promise<T>,
  signal: AbortSignal,
  dispose?: (value: T) => void,
): Promise<T> {
  const late = () => {
    p.then((v) => dispose?.(v), () => {});
  };
  if (signal.aborted) {
    late();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, (reason) => {
      late();
      reject(reason);
    });
    p.then((v) => {
      off();
      resolve(v);
    }, (e) => {
      off();
      reject(e);
    });
  });
}
