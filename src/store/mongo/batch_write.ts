/**
 * Bulk inserts the way FerretDB 1.24 (SQLite) handles them fast: one
 * unordered `bulkWrite` of `insertOne`s, duplicates reported back instead of
 * failing the batch. FerretDB finds a document by `_id` with a full scan of
 * the collection (its `_id` index is not used for updates), while an insert
 * only checks the unique index; so the store's writes are inserts, and a
 * replayed batch costs duplicate-key errors, not updates.
 *
 * @example
 * ```ts ignore
 * const existing = await insertMissing(events, docs, run);
 * ```
 * @module
 */
import type { AnyBulkWriteOperation, Collection, MongoBulkWriteError } from "mongodb";
import type { StoreError } from "../store.ts";
import { isDuplicate } from "./errors.ts";

/** Runs a driver call as operation `what`, mapping failures to `StoreError`s. */
export type RunOp = <T>(what: string, op: () => Promise<T>) => Promise<T>;

/**
 * Inserts `docs` in one unordered `bulkWrite` and returns those that were
 * not inserted because their `_id` (or another unique key) exists already.
 */
export async function insertMissing<T extends { _id: string }>(
  what: string,
  coll: Collection<T>,
  docs: T[],
  run: RunOp,
): Promise<T[]> {
  if (docs.length === 0) return [];
  const ops = docs.map((document) => ({ insertOne: { document } }) as AnyBulkWriteOperation<T>);
  try {
    await run(what, () => coll.bulkWrite(ops, { ordered: false }));
    return [];
  } catch (e) {
    if (!isDuplicate(e)) throw e;
    const errors = (e as StoreError).cause as MongoBulkWriteError;
    const list = Array.isArray(errors.writeErrors) ? errors.writeErrors : [errors.writeErrors];
    return list.map((w) => docs[w.index]);
  }
}
