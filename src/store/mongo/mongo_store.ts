/**
 * The MongoDB {@linkcode Store}, through the official driver (`npm:mongodb`).
 * It uses only what both MongoDB and FerretDB 1.24 support: plain CRUD,
 * `bulkWrite`, `findOneAndUpdate`, `aggregate` with `$group`, and (compound,
 * unique) indexes; no transactions and no change streams. The documents are
 * described in `records.ts`, the claim protocol in `claim.ts`, the bulk
 * inserts in `batch_write.ts`, the error mapping in `errors.ts`.
 *
 * Queries are built only from typed fields (strings, numbers, dates), never
 * from a caller's object; job options and events are stored as documents
 * whose keys are checked (no `$...`, no `.`), so no key of theirs reaches the
 * server as an operator.
 *
 * FerretDB 1.24 with its SQLite backend differs from MongoDB in ways this
 * store works around (each is explained where it is handled): `findAndModify`
 * is not atomic (see `claim.ts`), `$setOnInsert` drops `null` values, a
 * `createIndexes` of several existing indexes fails, and finding a document
 * by `_id` scans the collection, so the per-page writes are inserts only;
 * the job document is the only one updated.
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
import { type Collection, type Db, type Filter, MongoClient } from "mongodb";
import type { PageEvent } from "../../crawl/events.ts";
import {
  type AdmitResult,
  chunkKey,
  type ChunkRef,
  type FrontierEntry,
  type JobCounters,
  type JobDoc,
  type JobPatch,
  type JobStatus,
  type MemberState,
  type NewEvent,
  type PageQuery,
  pickPageFields,
  type QueuedUrl,
  type Store,
  type StoredEvent,
  StoreError,
  type Token,
  type WriteBatch,
  type WriterTag,
} from "../store.ts";
import * as shared from "./shared_job.ts";
import { checkBatch, checkFields, checkLimit, checkNumber, checkString } from "../check_input.ts";
import { abortable } from "../../async/abortable.ts";
import { message, redact, toStoreError } from "./errors.ts";
import { insertMissing } from "./batch_write.ts";
import { installAsciiStrings } from "./bson_strings.ts";
import { claimJob } from "./claim.ts";
import {
  type BatchItemsRecord,
  type BatchRecord,
  type ClaimRecord,
  docId,
  docIdRange,
  type EventRecord,
  type FrontierRecord,
  frontierUrl,
  type JobRecord,
  type MemberRecord,
  type QueueRecord,
  toCounters,
  toEventRecord,
  toFrontierEntry,
  toFrontierRecord,
  toJob,
  type TokenRecord,
  toPage,
  toRecord,
  toSet,
  toStoredEvent,
} from "./records.ts";

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
  #events: Collection<EventRecord>;
  #claims: Collection<ClaimRecord>;
  #queue: Collection<QueueRecord>;
  #batches: Collection<BatchRecord>;
  #batchItems: Collection<BatchItemsRecord>;
  #tokens: Collection<TokenRecord>;
  #members: Collection<MemberRecord>;
  #marks: Collection<{ _id: string }>;
  #shared: shared.SharedParts;
  /** Serializes this store's updates of job documents; see {@linkcode MongoStore.updateJob}. */
  #jobLock: Promise<unknown> = Promise.resolve();

  /**
   * Prepares a client for `uri` and database `dbName`; nothing connects until
   * {@linkcode MongoStore.init} (or the first operation). Throws a
   * `StoreError` with code `invalid` when the URI cannot be parsed.
   */
  constructor(uri: string, dbName: string, options: MongoStoreOptions = {}) {
    installAsciiStrings();
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
    this.#events = this.#db.collection<EventRecord>("events");
    this.#claims = this.#db.collection<ClaimRecord>("claims");
    this.#queue = this.#db.collection<QueueRecord>("queue");
    this.#batches = this.#db.collection<BatchRecord>("batches");
    this.#batchItems = this.#db.collection<BatchItemsRecord>("batch_items");
    this.#tokens = this.#db.collection<TokenRecord>("tokens");
    this.#members = this.#db.collection<MemberRecord>("members");
    this.#marks = this.#db.collection<{ _id: string }>("marks");
    this.#shared = {
      frontier: this.#frontier,
      events: this.#events,
      queue: this.#queue,
      batches: this.#batches,
      items: this.#batchItems,
      run: (what, op) => this.#run(what, op),
      tails: new Map(),
      chainTurns: new Map(),
    };
  }

  /** Connects and creates the indexes; `unavailable` when no server answers in time. */
  async init(signal?: AbortSignal): Promise<void> {
    const wait = <T>(p: Promise<T>) => signal ? abortable(p, signal) : p;
    await this.#run("connect", () => wait(this.#client.connect()));
    await this.#run("create indexes", () => wait(this.#createIndexes()));
  }

  /**
   * One `createIndex` per index: FerretDB 1.24 drops the connection (a
   * recovered panic) on a `createIndexes` naming two or more indexes that all
   * exist already, i.e. on every restart.
   */
  async #createIndexes(): Promise<void> {
    await this.#jobs.createIndex({ status: 1, createdAt: 1 }, { name: "status_createdAt" });
    await this.#jobs.createIndex({ createdAt: -1 }, { name: "createdAt" });
    // A job's frontier entries and its pages are `_id` ranges (`docIdRange`):
    // no index of their own, one less to maintain on every insert.
    await this.#events.createIndex({ jobId: 1, seq: 1 }, { name: "jobId_seq" });
    await this.#claims.createIndex({ jobId: 1, gen: 1 }, { name: "jobId_gen" });
    // Shared jobs: a flush appends at most one chunk per host and one event batch.
    await this.#queue.createIndex({ jobId: 1, host: 1, w: 1, b: 1, blk: 1 }, {
      name: "jobId_host_w_b_blk",
      unique: true,
    });
    await this.#batches.createIndex({ jobId: 1, w: 1, b: 1 }, { name: "jobId_w_b", unique: true });
    await this.#batches.createIndex({ jobId: 1, last: 1 }, { name: "jobId_last" });
    await this.#tokens.createIndex({ jobId: 1, kind: 1 }, { name: "jobId_kind" });
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

  /** Takes the oldest claimable job; see {@linkcode Store.claimJob} and `claim.ts`. */
  async claimJob(
    owner: string,
    leaseMs: number,
    now: Date,
    only?: string,
  ): Promise<JobDoc | null> {
    checkString("Owner", owner);
    checkNumber("Lease", leaseMs);
    if (only !== undefined) checkString("Job id", only);
    const doc = await claimJob(
      {
        jobs: this.#jobs,
        claims: this.#claims,
        run: (what, op) => this.#run(what, op),
        serial: (what, op) => this.#serial(what, op),
      },
      owner,
      leaseMs,
      now,
      only,
    );
    return doc ? toJob(doc) : null;
  }

  /** Extends the lease when `owner` still holds the job. */
  async renewLease(id: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    checkString("Job id", id);
    checkString("Owner", owner);
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const res = await this.#serial(
      "renew lease",
      () => this.#jobs.updateOne({ _id: id, owner }, { $set: { leaseUntil, updatedAt: now } }),
    );
    return res.matchedCount > 0;
  }

  /**
   * Applies the batch in the documented order (after a read of the job's
   * owner when the batch names one): two unordered bulk inserts
   * (queued URLs, then events; keys that exist are left as they are) and one
   * update of the job's counters.
   */
  async write(jobId: string, batch: WriteBatch): Promise<void> {
    checkBatch(jobId, batch);
    const run = <T>(what: string, op: () => Promise<T>) => this.#run(what, op);
    if (batch.owner !== undefined) {
      // By `_id` alone (FerretDB uses its index only for that), the owner compared here.
      const job = await run(
        "write (lease check)",
        () => this.#jobs.findOne({ _id: jobId }, { projection: { owner: 1 } }),
      );
      if (job?.owner !== batch.owner) {
        throw new StoreError("lease_lost", `Job ${jobId} is no longer leased to ${batch.owner}`);
      }
    }
    const queued = new Map(batch.frontier.map((q) => [q.url, q]));
    await insertMissing(
      "write frontier",
      this.#frontier,
      [...queued.values()].map((q) => toFrontierRecord(jobId, q)),
      run,
    );
    const events = new Map<string, StoredEvent>();
    for (const e of batch.events) if (!events.has(e.key)) events.set(e.key, e);
    let records: EventRecord[];
    try {
      records = [...events.values()].map((e) => toEventRecord(jobId, e));
    } catch (e) {
      throw new StoreError("invalid", `Event: ${message(e)}`, { cause: e });
    }
    await insertMissing("write events", this.#events, records, run);
    if (batch.counters) {
      const counters = toCounters(batch.counters);
      await this.#serial(
        "write counters",
        () => this.#jobs.updateOne({ _id: jobId }, { $set: { counters, updatedAt: new Date() } }),
      );
    }
  }

  /** All queued URLs of the job with their state, in no particular order. */
  async loadFrontier(jobId: string): Promise<FrontierEntry[]> {
    checkString("Job id", jobId);
    const docs = await this.#run(
      "load frontier",
      () => this.#frontier.find({ _id: docIdRange(jobId) }).toArray(),
    );
    const results = await this.#run(
      "load frontier",
      () =>
        this.#events.find(
          { jobId, type: { $in: ["page", "error", "skipped"] } },
          { projection: { url: 1, type: 1 } },
        ).toArray(),
    );
    const typeOf = new Map(results.map((r) => [r.url, r.type]));
    return docs.map((d) => toFrontierEntry(d, typeOf.get(frontierUrl(d))));
  }

  /** Highest stored `seq`, 0 when none. */
  async maxSeq(jobId: string): Promise<number> {
    checkString("Job id", jobId);
    const chained = await shared.lastSeq(this.#shared, jobId);
    if (chained !== null) return chained;
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
    const chained = await shared.readBatches(this.#shared, jobId, afterSeq, limit);
    if (chained !== null) return chained;
    const docs = await this.#run(
      "read events",
      () =>
        this.#events.find({ jobId, seq: { $gt: afterSeq } }, { sort: { seq: 1 }, limit })
          .toArray(),
    );
    return docs.map(toStoredEvent);
  }

  /** Page events matching the query, sorted by URL. */
  async listPages(jobId: string, query: PageQuery): Promise<PageEvent[]> {
    checkString("Job id", jobId);
    if (checkLimit(query.limit) === 0) return [];
    // The job's events sorted by `_id` are its URLs sorted (see `docIdRange`).
    const range = docIdRange(jobId);
    const id: { $gte: string; $lt: string; $gt?: string; $eq?: string } = { ...range };
    if (query.url !== undefined) id.$eq = docId(jobId, checkString("Url", query.url));
    if (query.after !== undefined) id.$gt = docId(jobId, checkString("After", query.after));
    const filter: Filter<EventRecord> = { _id: id, type: "page" };
    if (query.status !== undefined) filter.status = checkNumber("Status", query.status);
    const fields = query.fields === undefined ? undefined : checkFields(query.fields);
    // A projection reads only the named fields (a page's content can be megabytes).
    // A stored page leaves `finalUrl` out when it equals `url`, and `meta` when
    // `contentHash` tells what it was (see `storedFields`).
    const projection = fields === undefined ? undefined : Object.fromEntries([
      ["_id", 0],
      ["url", 1],
      ...(fields.includes("meta") ? [["contentHash", 1]] : []),
      ...fields.map((f) => [f, 1]),
    ]);
    const docs = await this.#run(
      "list pages",
      () =>
        this.#events.find(filter, { sort: { _id: 1 }, limit: query.limit, projection })
          .toArray(),
    );
    return fields === undefined
      ? docs.map(toPage)
      : docs.map((d) => pickPageFields(toPage(d), fields));
  }

  /** Admits URLs in order until `limit` new ones; see {@linkcode Store.admitUrls}. */
  admitUrls(
    jobId: string,
    urls: QueuedUrl[],
    tag: WriterTag & { blk: string },
    limit: number,
  ): Promise<AdmitResult> {
    checkString("Job id", jobId);
    checkTag(tag);
    checkString("Block", tag.blk);
    for (const q of urls) {
      checkString("Frontier url", q.url);
      checkNumber("Frontier depth", q.depth);
    }
    return shared.admitUrls(this.#shared, jobId, urls, tag, limit);
  }

  /** Chunk `n` of a host's queue, or `null`; one `_id` lookup. */
  async readQueue(jobId: string, host: string, n: number): Promise<QueuedUrl[] | null> {
    checkString("Job id", jobId);
    checkString("Host", host);
    checkNumber("Chunk", n);
    return await shared.readChunk(this.#shared, jobId, host, n);
  }

  /**
   * The chunks among `refs` that exist; see {@linkcode Store.readQueues}.
   * One `_id` lookup each, sent together: FerretDB 1.24 (SQLite) filters an
   * `_id` equality in SQL but `{ _id: { $in } }` in Go, decoding every
   * document of the collection, ten times slower when measured here.
   */
  async readQueues(jobId: string, refs: ChunkRef[]): Promise<Map<string, QueuedUrl[]>> {
    checkString("Job id", jobId);
    for (const r of refs) {
      checkString("Host", r.host);
      checkNumber("Chunk", r.n);
    }
    const chunks = await Promise.all(
      refs.map((r) => shared.readChunk(this.#shared, jobId, r.host, r.n)),
    );
    const out = new Map<string, QueuedUrl[]>();
    chunks.forEach((urls, i) => {
      if (urls) out.set(chunkKey(refs[i].host, refs[i].n), urls);
    });
    return out;
  }

  /** Which of `urls` have a stored result. */
  async resultsOf(jobId: string, urls: string[]): Promise<Set<string>> {
    checkString("Job id", jobId);
    if (urls.length === 0) return new Set();
    const ids = urls.map((u) => docId(jobId, checkString("Url", u)));
    const docs = await this.#run(
      "read results",
      () =>
        this.#events.find(
          { _id: { $in: ids }, type: { $in: ["page", "error", "skipped"] } },
          { projection: { url: 1 } },
        ).toArray(),
    );
    return new Set(docs.map((d) => String(d.url)));
  }

  /** Results, then one numbered batch; see {@linkcode Store.appendEvents} and `shared_job.ts`. */
  appendEvents(jobId: string, events: NewEvent[], tag: WriterTag): Promise<StoredEvent[]> {
    checkString("Job id", jobId);
    checkTag(tag);
    for (const e of events) checkString("Event key", e.key);
    return shared.appendEvents(this.#shared, jobId, events, tag);
  }

  /** Finishes a dead writer's last flush; see `shared_job.ts`. */
  recoverWriter(jobId: string, w: string): Promise<void> {
    checkString("Job id", jobId);
    checkString("Writer", w);
    return shared.recoverWriter(this.#shared, jobId, w);
  }

  /** Totals of the job's event chain (a `$group` over its batches). */
  chainTotals(jobId: string): Promise<JobCounters> {
    checkString("Job id", jobId);
    return shared.chainTotals(this.#shared, jobId);
  }

  /** URLs admitted under budget block `blk` (a scan; used only after a crash). */
  countAdmitted(jobId: string, blk: string): Promise<number> {
    checkString("Job id", jobId);
    checkString("Block", blk);
    return this.#run(
      "count admitted",
      () => this.#frontier.countDocuments({ _id: docIdRange(jobId), blk }),
    );
  }

  /** Inserts a mark; false when it exists (the unique `_id`). */
  async putMark(jobId: string, key: string): Promise<boolean> {
    checkString("Job id", jobId);
    const _id = docId(jobId, checkString("Mark", key));
    try {
      await this.#run("put mark", () => this.#marks.insertOne({ _id }));
      return true;
    } catch (e) {
      if (e instanceof StoreError && e.code === "duplicate") return false;
      throw e;
    }
  }

  /** Whether the mark exists: one `_id` lookup. */
  async hasMark(jobId: string, key: string): Promise<boolean> {
    checkString("Job id", jobId);
    const _id = docId(jobId, checkString("Mark", key));
    return (await this.#run("read mark", () => this.#marks.findOne({ _id }))) !== null;
  }

  /** Inserts a token; false when it exists (the unique `_id`). */
  async putToken(jobId: string, token: Token): Promise<boolean> {
    checkString("Job id", jobId);
    checkString("Token kind", token.kind);
    checkString("Token key", token.key);
    const doc: TokenRecord = {
      _id: docId(jobId, `${token.kind} ${token.key}`),
      jobId,
      kind: token.kind,
      key: token.key,
      owner: token.owner,
      data: plainData(token.data),
      at: token.at,
    };
    try {
      await this.#run("put token", () => this.#tokens.insertOne(doc));
      return true;
    } catch (e) {
      if (e instanceof StoreError && e.code === "duplicate") return false;
      throw e;
    }
  }

  /** The job's tokens of one kind. */
  async listTokens(jobId: string, kind: string): Promise<Token[]> {
    checkString("Job id", jobId);
    checkString("Token kind", kind);
    const docs = await this.#run("list tokens", () => this.#tokens.find({ jobId, kind }).toArray());
    return docs.map((d) => ({
      kind: d.kind,
      key: d.key,
      owner: d.owner ?? null,
      data: d.data ?? {},
      at: d.at,
    }));
  }

  /** Replaces (or creates) a member's document. */
  async renewMember(jobId: string, m: MemberState): Promise<void> {
    checkString("Job id", jobId);
    checkString("Owner", m.owner);
    const doc: MemberRecord = {
      _id: docId(jobId, m.owner),
      jobId,
      owner: m.owner,
      leaseUntil: m.leaseUntil,
      idle: m.idle === true,
      work: checkNumber("Work", m.work),
      counters: toCounters(m.counters),
      appended: (m.appended ?? []).map((c) => ({
        host: checkString("Host", c.host),
        n: checkNumber("Chunk", c.n),
      })),
      left: m.left === true,
    };
    await this.#run(
      "renew member",
      () => this.#members.replaceOne({ _id: doc._id }, doc, { upsert: true }),
    );
  }

  /** The job's members. */
  async listMembers(jobId: string): Promise<MemberState[]> {
    checkString("Job id", jobId);
    const docs = await this.#run("list members", () => this.#members.find({ jobId }).toArray());
    return docs.map((d) => ({
      owner: d.owner,
      leaseUntil: d.leaseUntil,
      idle: d.idle,
      work: d.work,
      counters: toCounters(d.counters),
      appended: (d.appended ?? []).map((c) => ({ host: c.host, n: c.n })),
      left: d.left === true,
    }));
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

/** Throws `StoreError("invalid")` unless `tag` is a writer tag. */
function checkTag(tag: WriterTag): void {
  checkString("Writer", tag.w);
  checkNumber("Writer batch", tag.b);
}

/** A token's data with only plain scalar values (no operators can hide in it). */
function plainData(
  data: Record<string, unknown>,
): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k.startsWith("$") || k.includes(".")) {
      throw new StoreError("invalid", `Token field not storable: ${JSON.stringify(k)}`);
    }
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      out[k] = v;
    } else throw new StoreError("invalid", `Token field ${k} must be a scalar`);
  }
  return out;
}
