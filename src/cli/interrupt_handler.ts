/**
 * What Ctrl-C does to `deno task crawl`: the first interrupt aborts the crawl
 * (which still writes `done` and exits 130); another one forces the exit at
 * once, but only when it comes `forceAfterMs` or more after the first.
 *
 * The gap matters because a terminal sends SIGINT to the whole process group
 * and `deno task` forwards it to the crawler again, so one key press arrives
 * as two signals a few milliseconds apart. Taking the second as "force quit"
 * lost the `done` line in 5 of 8 tries (issue 9, item 13).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interruptHandler } from "./interrupt_handler.ts";
 *
 * let now = 0;
 * const exits: number[] = [];
 * const ac = new AbortController();
 * const onSigint = interruptHandler(ac, { now: () => now, exit: (c) => void exits.push(c) });
 * onSigint();
 * now = 5;
 * onSigint(); // the forwarded copy of the same Ctrl-C
 * assert.ok(ac.signal.aborted);
 * assert.deepEqual(exits, []);
 * now = 1500;
 * onSigint(); // a real second Ctrl-C
 * assert.deepEqual(exits, [130]);
 * ```
 * @module
 */
import { EXIT } from "./run_cli.ts";

/** Options of {@linkcode interruptHandler}. */
export interface InterruptHandlerOptions {
  /**
   * Least time after the first interrupt for a later one to force the exit.
   * @default {1000}
   */
  forceAfterMs?: number;
  /**
   * The clock, in milliseconds.
   * @default {performance.now}
   */
  now?: () => number;
  /**
   * Ends the process with the given code.
   * @default {Deno.exit}
   */
  exit?: (code: number) => void;
}

/**
 * Returns a SIGINT listener: the first call aborts `controller` with an
 * `AbortError`; a call `forceAfterMs` or more after the first calls
 * `exit(130)`; calls in between are ignored.
 */
export function interruptHandler(
  controller: AbortController,
  options: InterruptHandlerOptions = {},
): () => void {
  const {
    forceAfterMs = 1000,
    now = () => performance.now(),
    exit = (code: number) => Deno.exit(code),
  } = options;
  let first: number | null = null;
  return function onInterrupt(): void {
    const t = now();
    if (first === null) {
      first = t;
      controller.abort(new DOMException("Interrupted", "AbortError"));
    } else if (t - first >= forceAfterMs) {
      exit(EXIT.interrupted);
    }
  };
}
