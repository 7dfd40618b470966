/**
 * The MongoDB {@linkcode Store}, through the official driver (`npm:mongodb`).
 * It uses only what both MongoDB and FerretDB 1.24 support: plain CRUD,
 * `bulkWrite`, `findOneAndUpdate`, `aggregate` with `$group`, and (compound,
 * unique) indexes; no transactions and no change streams.
 *
 * Collections of the database (`docId(jobId, k)` is `<jobId length>:<jobId>:<k>`):
 *
 * | collection | `_id`               | other indexes                          | holds          |
 * | ---------- | ------------------- | -------------------------------------- | -------------- |
 * | `jobs`     | job id              | `(status, createdAt)`, `createdAt`     | `JobDoc`       |
 * | `frontier` | `docId(jobId, url)` | unique `(jobId, url)`                  | `FrontierEntry` |
 * | `states`   | `docId(jobId, url)` | unique `(jobId, url)`                  | final states   |
 * | `pages`    | `docId(jobId, url)` | unique `(jobId, url)`                  | `PageEvent`    |
 * | `events`   | `docId(jobId, key)` | unique `(jobId, key)`, `(jobId, seq)`  | `StoredEvent`  |
 * | `claims`   | `<jobId>#<gen>`     | `(jobId, gen)`                         | claim tokens   |
 *
 * Queries are built only from typed fields (strings, numbers, dates), never
 * from a caller's object, and values that are free-form JSON (job options,
 * events) are stored as JSON strings, so no key of theirs (`$where`, `a.b`)
 * ever reaches the server as a field name or an operator.
 *
 * FerretDB 1.24 with its SQLite backend differs from MongoDB in ways this
 * store works around (each is explained where it is handled): `findAndModify`
 * is not atomic (see `claimJob`), `$setOnInsert` drops `null` values, a
 * `createIndexes` of several existing indexes fails, many matching
 * `updateOne`s in one command deadlock, and finding a document by `_id` scans
 * the collection, so writes insert where they can. Updating a document that
 * exists (a final frontier state, a page fetched again) still costs time in
 * proportion to the collection there; on MongoDB every write uses an index.
 *
 * @example
 * ```ts ignore
 * import { MongoStore } from "./mongo_store.ts";
 * const store = new MongoStore("mongodb://127.0.0.1:27017/", "skein");
 * await store.init(); // StoreError "unavailable" within ~5 s when nothing answers
 * await store.listJobs(10);
 * await store.close();
 * ```
 * @module
 */
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Filter,
  MongoBulkWriteError,
  MongoClient,
  MongoClientClosedError,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoParseError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";
import type { CrawlEvent, PageEvent } from "../crawl/events.ts";
import {
  type FrontierEntry,
  type FrontierState,
  type JobCounters,
  type JobDoc,
  type JobPatch,
  type JobStatus,
  type PageQuery,
  pickPageFields,
  type Store,
  type StoredEvent,
  StoreError,
  type WriteBatch,
} from "./store.ts";
import { checkBatch, checkFields, checkLimit, checkNumber, checkString } from "./check_input.ts";

/** Options of {@linkcode MongoStore}. */
export interface MongoStoreOptions {
  /**
   * How long an operation waits for a reachable server before it fails with
   * `StoreError` code `unavailable`.
   *
   * @default {5000}
   */
  serverSelectionTimeoutMS?: number;
  /**
   * How long opening one TCP connection may take.
   *
   * @default {5000}
   */
  connectTimeoutMS?: number;
  /**
   * Most connections the driver opens to one server.
   *
   * @default {10}
   */
  maxPoolSize?: number;
}

/** A job as stored: the id is `_id` and the options are a JSON string. */
type JobRecord = Omit<JobDoc, "id" | "options"> & {
  _id: string;
  options: string;
  /** Generation of the last successful claim; see {@linkcode MongoStore.claimJob}. */
  claims: number;
};

/** The token of claim number `gen` of a job: `_id` is `<jobId>#<gen>`, unique. */
interface ClaimRecord {
  _id: string;
  jobId: string;
  gen: number;
  owner: string;
  /** The lease the claimer asked for; a token whose job never took it is stale after this. */
  leaseUntil: Date;
}

/** A frontier entry as stored; `_id` is {@linkcode docId}`(jobId, url)`. */
interface FrontierRecord {
  _id: string;
  jobId: string;
  url: string;
  depth: number;
  parent: string | null;
  state: FrontierState;
}

/**
 * The final state of a frontier entry, kept apart from the entry so that
 * finishing a URL is an insert, not an update of the entry (FerretDB's SQLite
 * backend finds a document to update by scanning its collection).
 */
interface StateRecord {
  _id: string;
  jobId: string;
  url: string;
  state: FrontierState;
}

/** A page as stored; `_id` is {@linkcode docId}`(jobId, url)`. */
interface PageRecord extends PageEvent {
  _id: string;
  jobId: string;
}

/** An event as stored; `_id` is {@linkcode docId}`(jobId, key)`. */
interface EventRecord {
  _id: string;
  jobId: string;
  key: string;
  seq: number;
  /** The {@linkcode CrawlEvent} as JSON. */
  event: string;
}

/** The duplicate-key error code of MongoDB and FerretDB. */
const DUPLICATE_KEY = 11000;
/** How many claimable jobs one `claimJob` call tries before giving up. */
const CLAIM_CANDIDATES = 16;
/** How many claim tokens past a job's generation one attempt may skip (stale ones). */
const CLAIM_SKIPS = 4;

/**
 * A {@linkcode Store} backed by MongoDB or FerretDB; see the module doc.
 *
 * @example
 * ```ts ignore
 * import { MongoStore } from "./mongo_store.ts";
 * const store = new MongoStore("mongodb://127.0.0.1:1/", "skein", {
 *   serverSelectionTimeoutMS: 200,
 * });
 * await store.init().catch((e) => e.code); // "unavailable"
 * await store.close();
 * ```
 */
export class MongoStore implements Store {
  /** Always `mongodb`. */
  readonly kind = "mongodb";
  #client: MongoClient;
  #db: Db;
  #where: string;
  #jobs: Collection<JobRecord>;
  #frontier: Collection<FrontierRecord>;
  #pages: Collection<PageRecord>;
  #events: Collection<EventRecord>;
  #claims: Collection<ClaimRecord>;
  #states: Collection<StateRecord>;
  /** Serializes this store's updates of job documents; see {@linkcode MongoStore.updateJob}. */
  #jobLock: Promise<unknown> = Promise.resolve();

  /**
   * Prepares a client for `uri` and database `dbName`; nothing connects until
   * {@linkcode MongoStore.init} (or the first operation). Throws a
   * `StoreError` with code `invalid` when the URI cannot be parsed.
   */
  constructor(uri: string, dbName: string, options: MongoStoreOptions = {}) {
    this.#where = `${redact(uri)} (database ${dbName})`;
    try {
      this.#client = new MongoClient(uri, {
        serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
        connectTimeoutMS: options.connectTimeoutMS ?? 5000,
        maxPoolSize: options.maxPoolSize ?? 10,
        appName: "skein",
      });
      this.#db = this.#client.db(dbName);
    } catch (e) {
      throw new StoreError("invalid", `Invalid MongoDB URI ${redact(uri)}: ${message(e)}`, {
        cause: e,
      });
    }
    this.#jobs = this.#db.collection<JobRecord>("jobs");
    this.#frontier = this.#db.collection<FrontierRecord>("frontier");
    this.#pages = this.#db.collection<PageRecord>("pages");
    this.#events = this.#db.collection<EventRecord>("events");
    this.#claims = this.#db.collection<ClaimRecord>("claims");
    this.#states = this.#db.collection<StateRecord>("states");
  }

  /** Connects and creates the indexes; `unavailable` when no server answers in time. */
  async init(signal?: AbortSignal): Promise<void> {
    await this.#run("connect", () => abortable(this.#client.connect(), signal));
    await this.#run("create indexes", () => abortable(this.#createIndexes(), signal));
  }

  /**
   * One `createIndex` per index: FerretDB 1.24 drops the connection (a
   * recovered panic) on a `createIndexes` naming two or more indexes that all
   * exist already, i.e. on every restart.
   */
  async #createIndexes(): Promise<void> {
    await this.#jobs.createIndex({ status: 1, createdAt: 1 }, { name: "status_createdAt" });
    await this.#jobs.createIndex({ createdAt: -1 }, { name: "createdAt" });
    await this.#frontier.createIndex({ jobId: 1, url: 1 }, { name: "jobId_url", unique: true });
    await this.#pages.createIndex({ jobId: 1, url: 1 }, { name: "jobId_url", unique: true });
    await this.#events.createIndex({ jobId: 1, key: 1 }, { name: "jobId_key", unique: true });
    await this.#events.createIndex({ jobId: 1, seq: 1 }, { name: "jobId_seq" });
    await this.#claims.createIndex({ jobId: 1, gen: 1 }, { name: "jobId_gen" });
    await this.#states.createIndex({ jobId: 1, url: 1 }, { name: "jobId_url", unique: true });
  }

  /** Sends `ping`; `unavailable` when no server answers in time. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.#run("ping", () => this.#db.command({ ping: 1 }, { signal }));
  }

  /** Closes every connection and timer of the driver. */
  async close(): Promise<void> {
    await this.#client.close();
  }

  /** Inserts a new job; `duplicate` when the id is taken. */
  async createJob(job: JobDoc): Promise<void> {
    checkString("Job id", job.id);
    await this.#run("create job", () => this.#jobs.insertOne(toRecord(job)));
  }

  /** The job with this id, or `null`. */
  async getJob(id: string): Promise<JobDoc | null> {
    checkString("Job id", id);
    const doc = await this.#run("get job", () => this.#jobs.findOne({ _id: id }));
    return doc ? toJob(doc) : null;
  }

  /** Most recent first (by `createdAt`, then id). */
  async listJobs(limit: number): Promise<JobDoc[]> {
    if (checkLimit(limit) === 0) return [];
    const docs = await this.#run(
      "list jobs",
      () => this.#jobs.find({}, { sort: { createdAt: -1, _id: -1 }, limit }).toArray(),
    );
    return docs.map(toJob);
  }

  /**
   * Sets the patch's known fields and `updatedAt`; false when no such job.
   *
   * FerretDB 1.x applies an update by reading the document and writing all of
   * it back, so two concurrent updates of one job can lose one of them (say, a
   * `cancelRequested` set while the runner writes counters). This store
   * therefore runs its own updates of job documents one at a time.
   */
  async updateJob(id: string, patch: JobPatch): Promise<boolean> {
    checkString("Job id", id);
    const set = toSet(patch);
    const res = await this.#serial(
      "update job",
      () => this.#jobs.updateOne({ _id: id }, { $set: set }),
    );
    return res.matchedCount > 0;
  }

  /** Number of jobs per status, from one `$group`. */
  async countJobs(): Promise<Partial<Record<JobStatus, number>>> {
    const rows = await this.#run(
      "count jobs",
      () =>
        this.#jobs.aggregate<{ _id: JobStatus; n: number }>([
          { $group: { _id: "$status", n: { $sum: 1 } } },
        ]).toArray(),
    );
    const counts: Partial<Record<JobStatus, number>> = {};
    for (const row of rows) counts[row._id] = row.n;
    return counts;
  }

  /**
   * Takes the oldest claimable job; see {@linkcode Store.claimJob}.
   *
   * `findOneAndUpdate` alone is atomic on MongoDB but not on FerretDB 1.x
   * (it reads, then writes by `_id`), where two processes could both win one
   * job. So a claim first inserts a token `<jobId>#<gen>` into `claims`,
   * `gen` being one past the job's `claims` generation: the unique `_id` lets
   * exactly one claimer insert it on either server. Only the winner then sets
   * `owner`, `leaseUntil` and the new generation on the job. A token whose
   * claimer died before that is stale once its lease would have run out; the
   * next claimer then tries the following generation.
   */
  async claimJob(owner: string, leaseMs: number, now: Date): Promise<JobDoc | null> {
    checkString("Owner", owner);
    checkNumber("Lease", leaseMs);
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const candidates = await this.#run("claim job", () =>
      this.#jobs.find(
        {
          status: { $in: ["queued", "running"] },
          $or: [{ owner: null }, { leaseUntil: null }, { leaseUntil: { $lte: now } }],
        },
        { sort: { createdAt: 1, _id: 1 }, limit: CLAIM_CANDIDATES, projection: { claims: 1 } },
      ).toArray());
    for (const candidate of candidates) {
      const jobId = candidate._id;
      const current = candidate.claims;
      const gen = await this.#takeToken(jobId, current, owner, leaseUntil, now);
      if (gen === null) continue;
      const doc = await this.#serial("claim job", () =>
        this.#jobs.findOneAndUpdate(
          { _id: jobId, claims: current, status: { $in: ["queued", "running"] } },
          { $set: { owner, leaseUntil, updatedAt: now, claims: gen } },
          { returnDocument: "after" },
        ));
      if (doc) {
        await this.#run("claim job", () => this.#claims.deleteMany({ jobId, gen: { $lt: gen } }));
        return toJob(doc);
      }
      await this.#run("claim job", () => this.#claims.deleteOne({ _id: `${jobId}#${gen}` }));
    }
    return null;
  }

  /** Inserts the next free claim token of a job: its generation, or `null` when one is held. */
  async #takeToken(
    jobId: string,
    current: number,
    owner: string,
    leaseUntil: Date,
    now: Date,
  ): Promise<number | null> {
    for (let gen = current + 1; gen <= current + CLAIM_SKIPS; gen++) {
      const _id = `${jobId}#${gen}`;
      try {
        await this.#run(
          "claim job",
          () => this.#claims.insertOne({ _id, jobId, gen, owner, leaseUntil }),
        );
        return gen;
      } catch (e) {
        if (!(e instanceof StoreError && e.code === "duplicate")) throw e;
      }
      const held = await this.#run("claim job", () => this.#claims.findOne({ _id }));
      if (held && held.leaseUntil.getTime() > now.getTime()) return null;
    }
    return null;
  }

  /** Extends the lease when `owner` still holds the job. */
  async renewLease(id: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    checkString("Job id", id);
    checkString("Owner", owner);
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const res = await this.#run(
      "renew lease",
      () => this.#jobs.updateOne({ _id: id, owner }, { $set: { leaseUntil, updatedAt: now } }),
    );
    return res.matchedCount > 0;
  }

  /** Applies the batch in the documented order, one unordered `bulkWrite` per step. */
  async write(jobId: string, batch: WriteBatch): Promise<void> {
    checkBatch(jobId, batch);
    const pending = new Map<string, FrontierEntry>();
    const final = new Map<string, FrontierEntry>();
    for (const e of batch.frontier) {
      if (e.state !== "pending") final.set(e.url, e);
      else if (!pending.has(e.url)) pending.set(e.url, e);
    }
    const pages = new Map(batch.pages.map((p) => [p.url, p]));

    // (1) pending frontier entries where missing: inserts, duplicates left as they are.
    await this.#insertMissing(
      "write frontier",
      this.#frontier,
      [...pending.values()].map((e) => toFrontierRecord(jobId, e)),
    );
    // (2) pages, upserted by URL: inserts, then the pages that existed get every field set.
    const stored = await this.#insertMissing(
      "write pages",
      this.#pages,
      [...pages.values()].map((p) => toPageRecord(jobId, p)),
    );
    await this.#update(
      "write pages",
      this.#pages,
      stored.map(({ _id, ...fields }) => ({
        updateMany: { filter: { _id }, update: { $set: fields }, upsert: true },
      })),
    );
    // (3) events where their key is missing: inserts, duplicates left as they are.
    await this.#insertMissing(
      "write events",
      this.#events,
      batch.events.map((e) => ({
        _id: docId(jobId, e.key),
        jobId,
        key: e.key,
        seq: e.seq,
        event: JSON.stringify(e.event),
      })),
    );
    // (4) final states: the entry itself where missing (it keeps its depth and parent),
    // then the state as an insert into `states`; a state recorded before (a URL
    // fetched again after a resume) is overwritten, which is the rare case.
    const finals = [...final.values()];
    await this.#insertMissing(
      "write frontier",
      this.#frontier,
      finals.map((e) => toFrontierRecord(jobId, e)),
    );
    const existing = await this.#insertMissing(
      "write states",
      this.#states,
      finals.map((e) => ({ _id: docId(jobId, e.url), jobId, url: e.url, state: e.state })),
    );
    const byState = Map.groupBy(existing, (r) => r.state);
    await this.#update(
      "write states",
      this.#states,
      [...byState].map(([state, records]) => ({
        updateMany: {
          filter: { _id: { $in: records.map((r) => r._id) } },
          update: { $set: { state } },
        },
      })),
    );
    // (5) counters on the job.
    if (batch.counters) {
      const counters = toCounters(batch.counters);
      await this.#serial(
        "write counters",
        () => this.#jobs.updateOne({ _id: jobId }, { $set: { counters, updatedAt: new Date() } }),
      );
    }
  }

  /** All frontier entries of the job, in no particular order. */
  async loadFrontier(jobId: string): Promise<FrontierEntry[]> {
    checkString("Job id", jobId);
    const docs = await this.#run(
      "load frontier",
      () => this.#frontier.find({ jobId }).toArray(),
    );
    const states = await this.#run(
      "load frontier",
      () => this.#states.find({ jobId }, { projection: { url: 1, state: 1 } }).toArray(),
    );
    const finalState = new Map(states.map((s) => [s.url, s.state]));
    // FerretDB's $setOnInsert skips null values, so a missing parent reads as null.
    return docs.map((d) => ({
      url: d.url,
      depth: d.depth,
      parent: d.parent ?? null,
      state: finalState.get(d.url) ?? d.state,
    }));
  }

  /** Highest stored `seq`, 0 when none. */
  async maxSeq(jobId: string): Promise<number> {
    checkString("Job id", jobId);
    const doc = await this.#run(
      "read max seq",
      () => this.#events.findOne({ jobId }, { sort: { seq: -1 }, projection: { seq: 1 } }),
    );
    return doc?.seq ?? 0;
  }

  /** Events with `seq > afterSeq`, ascending, at most `limit`. */
  async readEvents(jobId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    checkString("Job id", jobId);
    checkNumber("afterSeq", afterSeq);
    if (checkLimit(limit) === 0) return [];
    const docs = await this.#run(
      "read events",
      () =>
        this.#events.find({ jobId, seq: { $gt: afterSeq } }, { sort: { seq: 1 }, limit })
          .toArray(),
    );
    return docs.map((d) => ({ seq: d.seq, key: d.key, event: JSON.parse(d.event) as CrawlEvent }));
  }

  /** Pages matching the query, sorted by URL. */
  async listPages(jobId: string, query: PageQuery): Promise<PageEvent[]> {
    checkString("Job id", jobId);
    if (checkLimit(query.limit) === 0) return [];
    const filter: Filter<PageRecord> = { jobId };
    if (query.status !== undefined) filter.status = checkNumber("Status", query.status);
    const url: { $eq?: string; $gt?: string } = {};
    if (query.url !== undefined) url.$eq = checkString("Url", query.url);
    if (query.after !== undefined) url.$gt = checkString("After", query.after);
    if (query.url !== undefined || query.after !== undefined) filter.url = url;
    const fields = query.fields === undefined ? undefined : checkFields(query.fields);
    // A projection reads only the named fields (a page's content can be megabytes).
    const projection = fields === undefined
      ? undefined
      : Object.fromEntries([["_id", 0], ...fields.map((f) => [f, 1])]);
    const docs = await this.#run(
      "list pages",
      () =>
        this.#pages.find(filter, { sort: { url: 1 }, limit: query.limit, projection })
          .toArray(),
    );
    return fields === undefined
      ? docs.map(toPage)
      : docs.map((d) => pickPageFields(toPage(d), fields));
  }

  /**
   * Inserts `docs` in one unordered `bulkWrite` and returns those that were
   * not inserted because their `_id` exists already.
   *
   * Writes insert first because FerretDB 1.24 (SQLite) finds a document by
   * `_id` with a full scan of the collection (its `_id` index is not used),
   * while an insert checks the unique index; so an update costs time in
   * proportion to the collection and an insert does not.
   */
  async #insertMissing<T extends { _id: string }>(
    what: string,
    coll: Collection<T>,
    docs: T[],
  ): Promise<T[]> {
    if (docs.length === 0) return [];
    const ops = docs.map((document) => ({ insertOne: { document } }) as AnyBulkWriteOperation<T>);
    try {
      await this.#run(what, () => coll.bulkWrite(ops, { ordered: false }));
      return [];
    } catch (e) {
      if (!isDuplicate(e)) throw e;
      const errors = (e as StoreError).cause as MongoBulkWriteError;
      const list = Array.isArray(errors.writeErrors) ? errors.writeErrors : [errors.writeErrors];
      return list.map((w) => docs[w.index]);
    }
  }

  /**
   * Runs `ops` in one unordered `bulkWrite`, again once when it only lost
   * upsert races (duplicate key). The operations are `updateMany`s: FerretDB
   * 1.24 keeps the cursor of every `updateOne` of a command that matched a
   * document open until the command ends, and a command with about 100 of
   * them waits forever for a connection (its SQLite pool holds 100).
   */
  async #update<T extends { _id: string }>(
    what: string,
    coll: Collection<T>,
    ops: AnyBulkWriteOperation<T>[],
  ): Promise<void> {
    if (ops.length === 0) return;
    for (let attempt = 0;; attempt++) {
      try {
        await this.#run(what, () => coll.bulkWrite(ops, { ordered: false }));
        return;
      } catch (e) {
        if (!isDuplicate(e) || attempt > 0) throw e;
      }
    }
  }

  /** Like {@linkcode MongoStore.#run}, after this store's earlier updates of job documents. */
  #serial<T>(what: string, op: () => Promise<T>): Promise<T> {
    const result = this.#jobLock.then(() => this.#run(what, op));
    this.#jobLock = result.catch(() => {});
    return result;
  }

  /** Runs one driver call, turning driver failures into `StoreError`s. */
  async #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw toStoreError(e, what, this.#where);
    }
  }
}

/**
 * The `_id` of the document of `key` in job `jobId`: FerretDB 1.24 (SQLite)
 * uses an index only for a filter that is exactly `{ _id: <string> }`, so
 * every write addresses its document that way. The length prefix keeps
 * `("a:b", "c")` and `("a", "b:c")` apart.
 */
function docId(jobId: string, key: string): string {
  return `${jobId.length}:${jobId}:${key}`;
}

/** A bulk write that failed only on duplicate keys. */
function isDuplicate(e: unknown): boolean {
  return e instanceof StoreError && e.code === "duplicate" &&
    e.cause instanceof MongoBulkWriteError;
}

/** Maps a driver error to a `StoreError`; anything else is returned as it is. */
function toStoreError(e: unknown, what: string, where: string): unknown {
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

/**
 * Races `promise` against `signal`: rejects with `signal.reason` once it
 * aborts. The promise keeps running; its outcome is then ignored.
 */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  promise.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function toRecord(job: JobDoc): JobRecord {
  return {
    _id: job.id,
    status: job.status,
    urls: job.urls.map(String),
    options: JSON.stringify(job.options ?? {}),
    counters: toCounters(job.counters),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    owner: job.owner,
    leaseUntil: job.leaseUntil,
    cancelRequested: job.cancelRequested,
    error: job.error,
    claims: 0,
  };
}

function toJob(doc: JobRecord): JobDoc {
  return {
    id: doc._id,
    status: doc.status,
    urls: doc.urls,
    options: JSON.parse(doc.options) as Record<string, unknown>,
    counters: toCounters(doc.counters),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    startedAt: doc.startedAt ?? null,
    finishedAt: doc.finishedAt ?? null,
    owner: doc.owner ?? null,
    leaseUntil: doc.leaseUntil ?? null,
    cancelRequested: doc.cancelRequested,
    error: doc.error ?? null,
  };
}

/** The `$set` of a patch: its known fields only, plus `updatedAt`. */
function toSet(patch: JobPatch): Partial<JobRecord> {
  const set: Partial<JobRecord> = { updatedAt: new Date() };
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.counters !== undefined) set.counters = toCounters(patch.counters);
  if (patch.startedAt !== undefined) set.startedAt = patch.startedAt;
  if (patch.finishedAt !== undefined) set.finishedAt = patch.finishedAt;
  if (patch.owner !== undefined) set.owner = patch.owner;
  if (patch.leaseUntil !== undefined) set.leaseUntil = patch.leaseUntil;
  if (patch.cancelRequested !== undefined) set.cancelRequested = patch.cancelRequested;
  if (patch.error !== undefined) set.error = patch.error;
  return set;
}

function toCounters(c: JobCounters): JobCounters {
  return { pages: c.pages, errors: c.errors, skipped: c.skipped, bytes: c.bytes };
}

function toFrontierRecord(jobId: string, e: FrontierEntry): FrontierRecord {
  return {
    _id: docId(jobId, e.url),
    jobId,
    url: e.url,
    depth: e.depth,
    parent: e.parent,
    state: e.state,
  };
}

function toPageRecord(jobId: string, p: PageEvent): PageRecord {
  return {
    _id: docId(jobId, p.url),
    jobId,
    type: "page",
    url: p.url,
    finalUrl: p.finalUrl,
    status: p.status,
    depth: p.depth,
    parent: p.parent,
    contentType: p.contentType,
    title: p.title,
    links: p.links.map(String),
    bytes: p.bytes,
    ms: p.ms,
    attempts: p.attempts,
    meta: p.meta ?? null,
    contentHash: p.contentHash ?? null,
    content: p.content ?? null,
    ...optionalPageFields(p),
  };
}

/** The page fields that are present only sometimes (sitemap source, truncation flag). */
function optionalPageFields(p: Partial<PageEvent>): Partial<PageEvent> {
  const o: Partial<PageEvent> = {};
  if (p.contentTruncated !== undefined) o.contentTruncated = p.contentTruncated;
  if (p.source !== undefined) o.source = p.source;
  if (p.lastmod !== undefined) o.lastmod = p.lastmod;
  return o;
}

function toPage(d: PageRecord): PageEvent {
  return {
    type: "page",
    url: d.url,
    finalUrl: d.finalUrl,
    status: d.status,
    depth: d.depth,
    parent: d.parent ?? null,
    contentType: d.contentType,
    title: d.title ?? null,
    links: d.links,
    bytes: d.bytes,
    ms: d.ms,
    attempts: d.attempts,
    meta: d.meta ?? null,
    contentHash: d.contentHash ?? null,
    content: d.content ?? null,
    ...optionalPageFields(d),
  };
}

/** The URI without its password, for messages. */
function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, "//***@");
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
