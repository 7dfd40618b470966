/**
 * A signal that aborts when a parent signal aborts or a deadline passes,
 * with an explicit `dispose()` so no timer outlives the work.
 *
 * Deadlines share timers: each is filed under a due time rounded up to a
 * step of about 1/64 of its length (1 ms to 250 ms), and one timer is armed
 * for the earliest due time. A crawl that starts and finishes thousands of
 * requests a second, each with a 15 s deadline, then costs a few map
 * operations per request instead of a timer each, and a deadline fires at
 * most 1/64 of its length late.
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
  /** Clears the deadline and the listener on the parent. Safe to call twice. */
  dispose(): void;
}

interface Entry {
  ac: AbortController;
  ms: number;
  due: number;
}

/** Deadlines by due time (ms, `performance.now()` clock), and the due times in order. */
const buckets = new Map<number, Set<Entry>>();
const dueTimes: number[] = [];
let armedAt = Infinity;
let timer: ReturnType<typeof setTimeout> | undefined;

function file(entry: Entry): void {
  let bucket = buckets.get(entry.due);
  if (bucket === undefined) {
    buckets.set(entry.due, bucket = new Set());
    // Due times arrive almost in order: search from the end.
    let i = dueTimes.length;
    while (i > 0 && dueTimes[i - 1] > entry.due) i--;
    dueTimes.splice(i, 0, entry.due);
  }
  bucket.add(entry);
  if (entry.due < armedAt) arm(entry.due);
}

function unfile(entry: Entry): void {
  const bucket = buckets.get(entry.due);
  if (bucket === undefined || !bucket.delete(entry) || bucket.size > 0) return;
  buckets.delete(entry.due);
  const i = dueTimes.indexOf(entry.due);
  if (i >= 0) dueTimes.splice(i, 1);
  if (buckets.size === 0) disarm();
}

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  armedAt = at;
  timer = setTimeout(fire, Math.max(0, at - performance.now()));
}

function disarm(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  armedAt = Infinity;
}

function fire(): void {
  timer = undefined;
  armedAt = Infinity;
  const now = performance.now();
  while (dueTimes.length > 0 && dueTimes[0] <= now) {
    const due = dueTimes.shift()!;
    const bucket = buckets.get(due);
    buckets.delete(due);
    for (const entry of bucket ?? []) entry.ac.abort(new DeadlineError(entry.ms));
  }
  if (dueTimes.length > 0) arm(dueTimes[0]);
}

/** Returns a signal that aborts after `ms` or when `parent` aborts, whichever is first. */
export function deadlineSignal(ms: number, parent?: AbortSignal): DeadlineSignal {
  const ac = new AbortController();
  let entry: Entry | undefined;
  let off: (() => void) | undefined;
  if (parent?.aborted) ac.abort(parent.reason);
  else {
    // One crawl signal parents hundreds of these at once: onAbort keeps that O(1).
    if (parent) off = onAbort(parent, (reason) => ac.abort(reason));
    const step = Math.min(250, Math.max(1, Math.floor(ms / 64)));
    entry = { ac, ms, due: Math.ceil((performance.now() + ms) / step) * step };
    file(entry);
  }
  const dispose = () => {
    if (entry !== undefined) unfile(entry);
    entry = undefined;
    off?.();
    off = undefined;
  };
  return { signal: ac.signal, dispose, [Symbol.dispose]: dispose };
}
