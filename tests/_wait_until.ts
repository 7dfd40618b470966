/**
 * A bounded wait for observable state, for tests: polls `condition` until it
 * holds, and fails with a message naming what was awaited when `timeoutMs`
 * passes first. Tests wait on state with a generous deadline instead of
 * sleeping a fixed time, so a loaded machine makes them slower, not red.
 *
 * @example
 * ```ts
 * import { waitUntil } from "./_wait_until.ts";
 * let ready = false;
 * setTimeout(() => ready = true, 5);
 * const ms = await waitUntil(() => ready, "ready is set");
 * ```
 * @module
 */

/** Options of {@linkcode waitUntil}. */
export interface WaitUntilOptions {
  /**
   * How long to wait before failing.
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * Milliseconds between two looks.
   * @default {10}
   */
  intervalMs?: number;
}

/**
 * Resolves with the milliseconds waited once `condition()` is true; rejects
 * with `timed out after N ms waiting until <what>` when it stays false.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: WaitUntilOptions = {},
): Promise<number> {
  const { timeoutMs = 10_000, intervalMs = 10 } = options;
  const start = performance.now();
  while (!await condition()) {
    const waited = performance.now() - start;
    if (waited >= timeoutMs) {
      throw new Error(`timed out after ${Math.round(waited)} ms waiting until ${what}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return performance.now() - start;
}

/**
 * Resolves as `promise` does, or rejects with `timed out after N ms waiting
 * for <what>` when it has not settled in `timeoutMs`. The timer is cleared
 * either way (Deno's sanitizers stay quiet).
 *
 * @example
 * ```ts
 * import { within } from "./_wait_until.ts";
 * const v = await within(Promise.resolve(1), "a value", 1000);
 * ```
 */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    id = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(id);
  }
}
