/**
 * Waits for a wake-up or a timeout, whichever comes first: the wait of a
 * loop that sleeps until there is work (a `notify()`) or until it should
 * look again anyway (a poll period, the next due time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Notifier } from "./notifier.ts";
 * import { waitForWakeOrTimeout } from "./wait_for_wake_or_timeout.ts";
 *
 * const wake = new Notifier();
 * setTimeout(() => wake.notify(), 1);
 * assert.equal(await waitForWakeOrTimeout(wake, 60_000), "wake");
 * assert.equal(await waitForWakeOrTimeout(wake, 1), "timeout");
 * ```
 * @module
 */
import type { Notifier } from "./notifier.ts";
import { delay } from "./delay.ts";

/** Which came first. */
export type WakeOrTimeout = "wake" | "timeout";

/**
 * Resolves with `"wake"` at the next `notifier.notify()`, or with
 * `"timeout"` after `ms` milliseconds (never, when `ms` is `null`); rejects
 * with `signal.reason` when `signal` is or becomes aborted. Its timer and its
 * place among the notifier's waiters are always given back (the signal it
 * passes to `notifier.wait()` is aborted once it settles).
 */
export async function waitForWakeOrTimeout(
  notifier: Pick<Notifier, "wait">,
  ms: number | null,
  signal?: AbortSignal,
): Promise<WakeOrTimeout> {
  signal?.throwIfAborted();
  const ac = new AbortController();
  const both = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
  const waits: Promise<WakeOrTimeout>[] = [notifier.wait(both).then(() => "wake")];
  if (ms !== null) waits.push(delay(ms, both).then(() => "timeout"));
  try {
    return await Promise.race(waits);
  } finally {
    ac.abort();
    await Promise.allSettled(waits);
  }
}
