/**
 * In-process wake-ups per job: the runner calls `notify(id)` after each
 * flush, and event followers wait on it (or on a poll interval, which is how
 * they learn of events written by another process).
 *
 * @example
 * ```ts
 * import { JobHub } from "./job_hub.ts";
 * const hub = new JobHub();
 * setTimeout(() => hub.notify("job-1"), 1);
 * await hub.wait("job-1", 1000);
 * ```
 * @module
 */
import { Signal } from "../async/signal.ts";
import { delay } from "../async/delay.ts";

/** See the module doc. */
export class JobHub {
  #signals = new Map<string, { signal: Signal; waiters: number }>();

  /** Wakes every follower of a job. */
  notify(jobId: string): void {
    this.#signals.get(jobId)?.signal.notify();
  }

  /** Resolves at the next notify of `jobId` or after `ms`; rejects when `signal` aborts. */
  async wait(jobId: string, ms: number, signal?: AbortSignal): Promise<void> {
    let entry = this.#signals.get(jobId);
    if (!entry) {
      entry = { signal: new Signal(), waiters: 0 };
      this.#signals.set(jobId, entry);
    }
    entry.waiters++;
    const ac = new AbortController();
    const both = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
    const waits = [entry.signal.wait(both), delay(ms, both)];
    try {
      await Promise.race(waits);
    } finally {
      ac.abort();
      await Promise.allSettled(waits);
      if (--entry.waiters === 0) this.#signals.delete(jobId);
    }
    signal?.throwIfAborted();
  }
}
