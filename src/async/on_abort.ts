/**
 * Subscribes to a signal's abort in O(1), however many subscribers it has.
 *
 * `addEventListener` and `removeEventListener` scan the signal's listener
 * list, so a crawl signal that watches 500 requests in flight pays 500 steps
 * for every request that starts and ends. `onAbort` gives each signal one
 * "abort" listener that runs a `Set` of callbacks: adding and removing is
 * constant time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { onAbort } from "./on_abort.ts";
 * const ac = new AbortController();
 * const seen: unknown[] = [];
 * const off = onAbort(ac.signal, (reason) => seen.push(reason));
 * onAbort(ac.signal, () => seen.push("second"))();  // unsubscribed at once
 * ac.abort("stop");
 * assert.deepEqual(seen, ["stop"]);
 * off(); // harmless after the abort
 * ```
 * @module
 */

type Callback = (reason: unknown) => void;

const subscribers = new WeakMap<AbortSignal, Set<Callback>>();

/**
 * Calls `fn(signal.reason)` once when `signal` aborts and returns a function
 * that cancels the subscription. Like an event listener, it is never called
 * for a signal that is already aborted: check `signal.aborted` first. A
 * callback that throws is reported (`reportError`) and the others still run.
 */
export function onAbort(signal: AbortSignal, fn: Callback): () => void {
  let set = subscribers.get(signal);
  if (set === undefined) {
    const callbacks = new Set<Callback>();
    set = callbacks;
    subscribers.set(signal, callbacks);
    signal.addEventListener("abort", () => {
      subscribers.delete(signal);
      for (const cb of [...callbacks]) {
        try {
          cb(signal.reason);
        } catch (e) {
          reportError(e);
        }
      }
      callbacks.clear();
    }, { once: true });
  }
  if (signal.aborted) return () => {};
  const entry: Callback = (reason) => fn(reason);
  set.add(entry);
  return () => {
    set.delete(entry);
  };
}
