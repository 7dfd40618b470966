/**
 * When and where the MongoDB-backed tests run; shared by the store tests and
 * the end-to-end tests.
 *
 * - `MONGODB_URI` unset: the tests are registered with `ignore: true` and a
 *   name saying why.
 * - `MONGODB_URI` unset but `REQUIRE_MONGO=1`: the tests run and fail, so CI
 *   cannot pass silently without a database.
 * - `MONGODB_URI` set: the tests run (and fail when it does not answer).
 *
 * @example
 * ```ts
 * import { freshDbName, mongoTestConfig } from "./_mongo.ts";
 * const cfg = mongoTestConfig();
 * Deno.test({
 *   name: `talks to MongoDB${cfg.ignore ? ` (ignored: ${cfg.reason})` : ""}`,
 *   ignore: cfg.ignore,
 *   fn() {
 *     if (cfg.uri === null) throw new Error(cfg.reason);
 *     freshDbName("skein_e2e"); // e.g. "skein_e2e_lx3k9a_4f1c2d"
 *   },
 * });
 * ```
 * @module
 */
import { MongoClient } from "mongodb";

/** The decision of {@linkcode mongoTestConfig}. */
export interface MongoTestConfig {
  /** The server to test against, or `null` when there is none. */
  uri: string | null;
  /** Register the tests as ignored (only when there is no URI and none is required). */
  ignore: boolean;
  /** Why, for test names and failure messages. */
  reason: string;
}

/**
 * Reads `MONGODB_URI` and `REQUIRE_MONGO` (see the module doc).
 *
 * @example
 * ```ts
 * import { mongoTestConfig } from "./_mongo.ts";
 * const { uri, ignore } = mongoTestConfig();
 * if (uri === null && !ignore) throw new Error("REQUIRE_MONGO=1 needs MONGODB_URI");
 * ```
 */
export function mongoTestConfig(): MongoTestConfig {
  const uri = Deno.env.get("MONGODB_URI")?.trim() || null;
  const required = Deno.env.get("REQUIRE_MONGO") === "1";
  if (uri !== null) return { uri, ignore: false, reason: "MONGODB_URI set" };
  if (required) {
    return { uri: null, ignore: false, reason: "REQUIRE_MONGO=1 but MONGODB_URI is not set" };
  }
  return { uri: null, ignore: true, reason: "MONGODB_URI not set" };
}

/**
 * A database name no other test run uses: `prefix`, a time stamp and random
 * hex, within the 63 characters MongoDB and FerretDB allow.
 *
 * @example
 * ```ts
 * import { freshDbName } from "./_mongo.ts";
 * /^skein_test_[0-9a-z]+_[0-9a-f]{8}$/.test(freshDbName("skein_test")); // true
 * ```
 */
export function freshDbName(prefix = "skein_test"): string {
  const random = crypto.getRandomValues(new Uint8Array(4));
  const hex = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}_${Date.now().toString(36)}_${hex}`.slice(0, 63);
}

/**
 * Drops database `dbName` with a client of its own, closed before returning.
 *
 * @example
 * ```ts ignore
 * import { dropDatabase, freshDbName } from "./_mongo.ts";
 * await dropDatabase("mongodb://127.0.0.1:27018/", freshDbName());
 * ```
 */
export async function dropDatabase(uri: string, dbName: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}
