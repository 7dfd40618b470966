/**
 * How driver failures become {@linkcode StoreError}s: an unreachable server
 * is `unavailable`, a duplicate key `duplicate`, a bad URI or argument
 * `invalid`; anything else is passed on as it is.
 *
 * @example
 * ```ts
 * import { redact } from "./errors.ts";
 * redact("mongodb://user:secret@db.test/"); // "mongodb://***@db.test/"
 * ```
 * @module
 */
import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";
import { StoreError } from "../store.ts";

/** The duplicate-key error code of MongoDB and FerretDB. */
export const DUPLICATE_KEY = 11000;

/** Whether `e` is a bulk write that failed only on duplicate keys. */
export function isDuplicate(e: unknown): boolean {
  return e instanceof StoreError && e.code === "duplicate" &&
    e.cause instanceof MongoBulkWriteError;
}

/** Maps a driver error of operation `what` against `where` to a `StoreError`. */
export function toStoreError(e: unknown, what: string, where: string): unknown {
  if (e instanceof StoreError) return e;
  if (
    e instanceof MongoServerSelectionError || e instanceof MongoNetworkError ||
    e instanceof MongoTopologyClosedError || e instanceof MongoNotConnectedError ||
    e instanceof MongoClientClosedError
  ) {
    return new StoreError(
      "unavailable",
      `MongoDB at ${where} is unavailable (${what}): ${message(e)}`,
      { cause: e },
    );
  }
  if (e instanceof MongoBulkWriteError) {
    const codes = new Set(e.writeErrors instanceof Array ? e.writeErrors.map((w) => w.code) : []);
    if (codes.size === 1 && codes.has(DUPLICATE_KEY)) {
      return new StoreError("duplicate", `Duplicate key in ${what}: ${message(e)}`, { cause: e });
    }
    return e;
  }
  if (e instanceof MongoServerError && e.code === DUPLICATE_KEY) {
    return new StoreError("duplicate", `Duplicate key in ${what}: ${message(e)}`, { cause: e });
  }
  if (e instanceof MongoParseError || e instanceof MongoInvalidArgumentError) {
    return new StoreError("invalid", `Invalid request in ${what}: ${message(e)}`, { cause: e });
  }
  return e;
}

/** The URI without its credentials, for messages. */
export function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, "//***@");
}

/** The message of an error, or the value as a string. */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
