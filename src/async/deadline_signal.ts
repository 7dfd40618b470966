/**
 * A signal that aborts when a parent signal aborts or a deadline passes,
 * with an explicit `dispose()` so no timer outlives the work.
 *
 * @example
 * ```ts
 * import { deadlineSignal } from "./deadline_signal.ts";
 * using d = deadlineSignal(1000);
 * d.signal.aborted; // false
 * ```
 * @module
 */
import { onAbort } from "./on_abort.ts";

/** Thrown (as `signal.reason`) when a {@linkcode deadlineSignal} runs out. */
export class DeadlineError extends Error {
  /** Stable code. */
  readonly code = "timeout";
  constructor(ms: number) {
    super(`Deadline of ${ms} ms exceeded`);
    this.name = "DeadlineError";
  }
}

/** A signal with a deadline; see the module doc. */
export interface DeadlineSignal extends Disposable {
  readonly signal: AbortSignal;
  /** Clears the timer and the listener on the parent. Safe to call twice. */
  dispose(): void;
}

/** Returns a signal that aborts after `ms` or when `parent` aborts, whichever is first. */
export function deadlineSignal(ms: number, parent?: AbortSignal): DeadlineSignal {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let off: (() => void) | undefined;
  if (parent?.aborted) ac.abort(parent.reason);
  else {
    // One crawl signal parents hundreds of these at once: onAbort keeps that O(1).
    if (parent) off = onAbort(parent, (reason) => ac.abort(reason));
    timer = setTimeout(() => ac.abort(new DeadlineError(ms)), ms);
  }
  const dispose = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    off?.();
    off = undefined;
  };
  return { signal: ac.signal, dispose, [Symbol.dispose]: dispose };
}
