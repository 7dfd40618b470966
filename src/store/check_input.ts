/**
 * Type checks both stores apply to their inputs before touching data, so a
 * value of the wrong type (an object where a URL belongs, say) is refused
 * with `StoreError("invalid")` instead of reaching a query.
 *
 * @example
 * ```ts
 * import { checkString } from "./check_input.ts";
 * checkString("Job id", "abc"); // "abc"
 * ```
 * @module
 */
import { eventKey, PAGE_FIELDS, StoreError, type WriteBatch } from "./store.ts";

/** Returns `value` when it is a string; throws `StoreError("invalid")` naming `what` otherwise. */
export function checkString(what: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new StoreError("invalid", `${what} must be a string, got ${typeof value}`);
  }
  return value;
}

/** Returns `value` when it is a number (not NaN); throws `StoreError("invalid")` otherwise. */
export function checkNumber(what: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new StoreError("invalid", `${what} must be a number, got ${String(value)}`);
  }
  return value;
}

/** Returns `limit` when it is a non-negative integer; throws `StoreError("invalid")` otherwise. */
export function checkLimit(limit: unknown): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) {
    throw new StoreError("invalid", `Limit must be a non-negative integer, got ${String(limit)}`);
  }
  return limit;
}

/** Returns `fields` when each is a page field name; throws `StoreError("invalid")` naming the first that is not. */
export function checkFields(fields: unknown): readonly string[] {
  if (!Array.isArray(fields)) throw new StoreError("invalid", "Fields must be a list of names");
  for (const f of fields) {
    if (typeof f !== "string" || !PAGE_FIELDS.has(f)) {
      throw new StoreError("invalid", `Unknown page field ${JSON.stringify(f)}`);
    }
  }
  return fields;
}

/** Rejects a batch whose keys are not of the declared types before anything is written. */
export function checkBatch(jobId: unknown, batch: WriteBatch): void {
  checkString("Job id", jobId);
  if (batch.owner !== undefined) checkString("Owner", batch.owner);
  for (const e of batch.frontier) {
    checkString("Frontier url", e.url);
    checkNumber("Frontier depth", e.depth);
  }
  for (const e of batch.events) {
    checkString("Event key", e.key);
    checkNumber("Event seq", e.seq);
    if (e.key !== eventKey(e.event)) {
      throw new StoreError(
        "invalid",
        `Event key must be the event's url ("done" for done, "sitemap <url>" for a sitemap), got ${
          JSON.stringify(e.key)
        }`,
      );
    }
  }
}
