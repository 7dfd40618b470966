/**
 * The storage contract of the crawl service. The crawl engine never sees it:
 * the service's job runner turns engine events into {@linkcode WriteBatch}es.
 *
 * Two implementations pass one contract suite (`tests/store/contract.ts`):
 * `MemoryStore` (default, nothing persists) and `MongoStore` (`npm:mongodb`,
 * run against FerretDB in CI).
 *
 * "Each URL once per job" is a fact of the store: frontier entries are keyed
 * by `(jobId, url)` and events by `(jobId, key)` (a URL's event is its result
 * and, for a `page`, the stored page), and every write inserts where the key is
 * missing, so replaying a batch after a crash never stores anything twice.
 *
 * @example
 * ```ts
 * import type { Store } from "./store.ts";
 * async function pending(store: Store, jobId: string) {
 *   return (await store.loadFrontier(jobId)).filter((e) => e.state === "pending");
 * }
 * ```
 * @module
 */
import type { CrawlEvent, PageEvent } from "../crawl/events.ts";
import { hostnameOf } from "../url/url_parts.ts";

/**
 * The key an event is stored under, unique within its job: the URL for the
 * event that ended a URL, `sitemap <url>` for an event about a sitemap file
 * (which is not a URL of the frontier), `done` for `done`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventKey } from "./store.ts";
 * assert.equal(eventKey({ type: "skipped", url: "http://a.test/x", reason: "robots", depth: 1, parent: null }), "http://a.test/x");
 * ```
 */
export function eventKey(event: CrawlEvent): string {
  if (event.type === "done") return "done";
  if (event.type === "sitemap" || (event.type === "error" && event.sitemap === true)) {
    return `sitemap ${event.url}`;
  }
  return event.url;
}

/**
 * A new job as `POST /jobs` creates it: queued, no owner, zero counters.
 *
 * @example
 * ```ts
 * import { newJob } from "./store.ts";
 * const job = newJob("id-1", ["http://a.test/"], { maxPages: 10 }, new Date(0));
 * job.status; // "queued"
 * ```
 */
export function newJob(
  id: string,
  urls: string[],
  options: Record<string, unknown>,
  now: Date,
): JobDoc {
  return {
    id,
    status: "queued",
    urls,
    options,
    counters: { pages: 0, errors: 0, skipped: 0, bytes: 0 },
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    owner: null,
    leaseUntil: null,
    cancelRequested: false,
    error: null,
  };
}

/** Life cycle of a job. */
export type JobStatus = "queued" | "running" | "completed" | "cancelled" | "failed";

/** Running totals of a job. */
export interface JobCounters {
  /** Pages fetched (any status). */
  pages: number;
  /** URLs that ended in an `error` event. */
  errors: number;
  /** URLs left out by robots.txt. */
  skipped: number;
  /** Decoded body bytes read. */
  bytes: number;
}

/** A crawl job as stored. */
export interface JobDoc {
  /** The job's id (a UUID). */
  id: string;
  /** Where the job is in its life cycle. */
  status: JobStatus;
  /** Normalized seed URLs. */
  urls: string[];
  /** The engine options the job was created with (validated, plain JSON). */
  options: Record<string, unknown>;
  /** Running totals. */
  counters: JobCounters;
  /** When `POST /jobs` created it. */
  createdAt: Date;
  /** When it last changed. */
  updatedAt: Date;
  /** When a process first started it. */
  startedAt: Date | null;
  /** When it ended (completed, cancelled or failed). */
  finishedAt: Date | null;
  /** The process holding the job's lease, or `null`. */
  owner: string | null;
  /** When the owner's lease runs out; another process may take the job after it. */
  leaseUntil: Date | null;
  /** Set by `DELETE /jobs/:id`; the owner sees it and aborts. */
  cancelRequested: boolean;
  /** Why the job failed, when `status` is `failed`. */
  error: string | null;
}

/** Where a queued URL stands: `pending` until its result event is stored. */
export type FrontierState = "pending" | "page" | "error" | "skipped";

/** A URL the engine queued: it enters the stored frontier once. */
export interface QueuedUrl {
  /** The normalized URL. */
  url: string;
  /** Link hops from the seeds. */
  depth: number;
  /** The page that led here; `null` for seeds. */
  parent: string | null;
  /** `"sitemap"` for a URL read from a sitemap (kept by shared jobs' queues). */
  source?: "sitemap";
  /** The sitemap's `<lastmod>` of the URL (kept by shared jobs' queues). */
  lastmod?: string | null;
}

/**
 * `urls` grouped by host name, in order within each host: a shared job's
 * queue is one chain of chunks a host (both stores append them this way).
 *
 * @example
 * ```ts
 * import { groupByHost } from "./store.ts";
 * const g = groupByHost([
 *   { url: "http://a.test/1", depth: 1, parent: null },
 *   { url: "http://b.test/", depth: 1, parent: null },
 *   { url: "http://a.test/2", depth: 1, parent: null },
 * ]);
 * // g.get("a.test")!.length === 2
 * ```
 */
export function groupByHost(urls: QueuedUrl[]): Map<string, QueuedUrl[]> {
  const byHost = new Map<string, QueuedUrl[]>();
  for (const q of urls) {
    const host = hostnameOf(q.url);
    let list = byHost.get(host);
    if (!list) byHost.set(host, list = []);
    list.push(q);
  }
  return byHost;
}

/** One queued URL of a job and where it stands (derived from its stored event). */
export interface FrontierEntry extends QueuedUrl {
  /** `pending` until a page, error or skip ends it. */
  state: FrontierState;
}

/**
 * An event of a job, numbered. `key` makes storing it idempotent: the URL of a
 * `page`, `error` or `skipped` event (the URL's result: one per URL), or
 * `done`.
 */
export interface StoredEvent {
  /** The event's number in its job, from 1. */
  seq: number;
  /** What makes storing it idempotent: the URL, or `done`. */
  key: string;
  /** The event as the engine yielded it. */
  event: CrawlEvent;
}

/**
 * The index of the first of `events` (ascending `seq`) with `seq > after`:
 * a binary search.
 *
 * @example
 * ```ts
 * import { firstAfter } from "./store.ts";
 * const e = (seq: number) => ({ seq, key: "k", event: { type: "done" } }) as never;
 * firstAfter([e(1), e(2), e(4)], 2); // 2
 * ```
 */
export function firstAfter(events: readonly StoredEvent[], after: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].seq <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Everything one flush of the job runner writes. A store applies it in this
 * order, so that a crash between steps only ever leaves work to redo, never
 * work lost: (1) `frontier`: the URLs the engine queued, inserted where
 * missing; (2) `events`, inserted where their key is missing: a URL's event is
 * its result (a `page` event is the stored page; its state is the event's
 * type), so a fetched page costs one frontier entry and one event and nothing
 * is ever updated; (3) `counters` are set on the job.
 */
export interface WriteBatch {
  /** URLs the engine queued since the last batch. */
  frontier: QueuedUrl[];
  /** Events since the last batch, in `seq` order. */
  events: StoredEvent[];
  /** Running totals. */
  counters?: JobCounters;
  /**
   * The lease holder writing: when set, the batch is written only while the
   * job's `owner` is this one; otherwise nothing is written and the store
   * rejects with a `StoreError` of code `lease_lost` (a fence, so a process
   * that lost its lease cannot write events numbered like the new owner's).
   */
  owner?: string;
}

/** A queued URL with only the fields that are set (what a shared job's queue stores). */
export function queuedCopy(q: QueuedUrl): QueuedUrl {
  const out: QueuedUrl = { url: q.url, depth: q.depth, parent: q.parent ?? null };
  if (q.source === "sitemap") {
    out.source = "sitemap";
    out.lastmod = q.lastmod ?? null;
  }
  return out;
}

/**
 * Who wrote a shared job's documents: `w` names one run of one process on the
 * job (a fresh id per run), `b` counts its flushes from 1. Every document a
 * flush writes carries the tag, so what a writer that died had half written
 * can be found and finished (see {@linkcode Store.recoverWriter}).
 */
export interface WriterTag {
  /** The writer: one run of one process on the job. */
  w: string;
  /** The writer's flush number, from 1, ascending. */
  b: number;
  /**
   * The flush is written again after a failure that may have stored part of
   * it: keys found stored are then looked up, and those this flush stored
   * count as its own (on FerretDB that lookup scans a collection, so a first
   * attempt skips it: its tag is new, nothing stored can be its own).
   */
  replay?: boolean;
}

/** An event to store, before the store numbers it. */
export interface NewEvent {
  /** What makes storing it idempotent (see {@linkcode eventKey}). */
  key: string;
  /** The event as the engine yielded it. */
  event: CrawlEvent;
}

/**
 * A record of the unique-insert trick: `(jobId, kind, key)` can be inserted
 * once, by one process, on MongoDB and FerretDB alike. Shared jobs use them for
 * host leases (`lease`, key `<host>#<gen>`), known hosts (`host`), page
 * budget blocks (`budget`, `bclose`) and the `dropped` mark.
 */
export interface Token {
  /** What the token is about. */
  kind: string;
  /** Unique within the job and kind. */
  key: string;
  /** The process (writer) that inserted it; `null` when it releases something. */
  owner: string | null;
  /** Small facts: strings, numbers, booleans. */
  data: Record<string, string | number | boolean | null>;
  /** When it was inserted. */
  at: Date;
}

/**
 * One process's part in a shared job, renewed while it works on it. Its host
 * leases and budget blocks are valid while `leaseUntil` is in the future.
 */
export interface MemberState {
  /** The writer id of the run (see {@linkcode WriterTag}). */
  owner: string;
  /** The member's lease; past it, the member counts as dead. */
  leaseUntil: Date;
  /** Nothing in flight, nothing unwritten, no host leased. */
  idle: boolean;
  /** Grows with every flush and every chunk read: a change says it did something. */
  work: number;
  /** Results this member wrote. */
  counters: JobCounters;
  /**
   * Chunks it appended lately to queues of hosts it does not hold (the
   * highest number per host; 0 when not known): their holders read those
   * queues again. Absent means none.
   */
  appended?: ChunkRef[];
  /** It signed off with everything written: nothing of it to recover. */
  left?: boolean;
}

/** Filters and paging of {@linkcode Store.listPages}. */
export interface PageQuery {
  /** Only pages with this HTTP status. */
  status?: number;
  /** Only the page with this exact (normalized) URL. */
  url?: string;
  /** Only pages whose URL sorts after this one (paging cursor). */
  after?: string;
  /** At most this many, sorted by URL. */
  limit: number;
  /**
   * Only these fields of each page (names of {@linkcode PAGE_FIELDS}); every
   * field when absent. Pages then have only the named fields that they have.
   */
  fields?: readonly string[];
}

/** The fields of a page, in the order the engine writes them (`fetch_page.ts`). */
export const PAGE_FIELD_ORDER = [
  "type",
  "url",
  "finalUrl",
  "status",
  "depth",
  "parent",
  "contentType",
  "title",
  "links",
  "bytes",
  "ms",
  "attempts",
  "meta",
  "contentHash",
  "content",
  "contentTruncated",
  "source",
  "lastmod",
] as const satisfies readonly (keyof PageEvent)[];
/** Compiles only while `PAGE_FIELD_ORDER` names every field of a page. */
const _everyPageField: Exclude<keyof PageEvent, typeof PAGE_FIELD_ORDER[number]> extends never
  ? true
  : never = true;

/** The fields of a stored page, the names `PageQuery.fields` accepts. */
export const PAGE_FIELDS: ReadonlySet<string> = new Set<string>(PAGE_FIELD_ORDER);

/** `page` with only `fields` (those it has), or `page` itself when `fields` is absent. */
export function pickPageFields(page: PageEvent, fields?: readonly string[]): PageEvent {
  if (fields === undefined) return page;
  const out: Record<string, unknown> = {};
  const rec = page as unknown as Record<string, unknown>;
  for (const f of fields) if (rec[f] !== undefined) out[f] = rec[f];
  return out as unknown as PageEvent;
}

/** Fields of a job that {@linkcode Store.updateJob} may change. */
export type JobPatch = Partial<
  Pick<
    JobDoc,
    | "status"
    | "counters"
    | "startedAt"
    | "finishedAt"
    | "owner"
    | "leaseUntil"
    | "cancelRequested"
    | "error"
  >
>;

/** Chunk `n` of a host's queue in a shared job. */
export interface ChunkRef {
  /** The host whose queue it is. */
  host: string;
  /** Its number in that queue, from 1 (0 in `MemberState.appended`: not known). */
  n: number;
}

/** What {@linkcode Store.admitUrls} did. */
export interface AdmitResult {
  /** The URLs inserted (new to the job), in order. */
  added: QueuedUrl[];
  /** How many of the given URLs (from the front) were looked at. */
  used: number;
  /** Chunks this call appended, with their numbers (those it knows). */
  chunks: (ChunkRef & { urls: QueuedUrl[] })[];
}

/**
 * The key of chunk `n` of `host` in {@linkcode Store.readQueues}' answer.
 *
 * @example
 * ```ts
 * import { chunkKey } from "./store.ts";
 * chunkKey("a.test", 3); // "a.test#3"
 * ```
 */
export function chunkKey(host: string, n: number): string {
  return `${host}#${n}`;
}

/** The storage of the crawl service; see the module doc. */
export interface Store {
  /** A name for logs, e.g. `memory` or `mongodb`. */
  readonly kind: string;
  /** Connects and creates indexes. Rejects with a `StoreError` when the database is unreachable. */
  init(signal?: AbortSignal): Promise<void>;
  /** Resolves when the database answers, rejects with a `StoreError` otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  /** Closes the connection; the store is not used after. */
  close(): Promise<void>;

  /** Stores a new job (from {@linkcode newJob}). */
  createJob(job: JobDoc): Promise<void>;
  /** The job, or `null` when there is none with that id. */
  getJob(id: string): Promise<JobDoc | null>;
  /** Most recent first. */
  listJobs(limit: number): Promise<JobDoc[]>;
  /** Returns false when no such job. */
  updateJob(id: string, patch: JobPatch): Promise<boolean>;
  /** Number of jobs in each status (statuses with none may be absent). */
  countJobs(): Promise<Partial<Record<JobStatus, number>>>;
  /**
   * Atomically takes one job that is `queued`, or `running` with no owner or
   * an expired lease, for `owner` until `now + leaseMs`. Oldest first. The job
   * is returned as it is after the claim (status unchanged). With `only`,
   * that job and no other.
   */
  claimJob(owner: string, leaseMs: number, now: Date, only?: string): Promise<JobDoc | null>;
  /** Extends the lease while `owner` still holds it; false when it does not. */
  renewLease(id: string, owner: string, leaseMs: number, now: Date): Promise<boolean>;

  /** Applies a batch in the documented order. */
  write(jobId: string, batch: WriteBatch): Promise<void>;
  /** Every queued URL of the job with its state, in no particular order. */
  loadFrontier(jobId: string): Promise<FrontierEntry[]>;
  /** Highest stored `seq` of the job, 0 when none. */
  maxSeq(jobId: string): Promise<number>;
  /** Events with `seq > afterSeq`, ascending, at most `limit`. */
  readEvents(jobId: string, afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** The job's `page` events matching the query, sorted by URL. */
  listPages(jobId: string, query: PageQuery): Promise<PageEvent[]>;

  // Shared jobs (issue 11): one job worked by many processes at once.

  /**
   * Admits URLs into a shared job's frontier, in order, until `limit` new
   * ones were inserted: each URL is inserted where missing (the database
   * dedupes), tagged with `tag` and the budget block `blk`, and the new ones
   * are appended to their host's queue (chunks numbered 1, 2, ... per host;
   * a chunk is written once per `(host, tag)`). Resolves with the URLs added,
   * how many of `urls` (from the front) were looked at, and the chunks this
   * call appended whose number it knows (a writer holding the host can take
   * them without reading them back; one missing here is found by
   * {@linkcode Store.readQueues}).
   */
  admitUrls(
    jobId: string,
    urls: QueuedUrl[],
    tag: WriterTag & { blk: string },
    limit: number,
  ): Promise<AdmitResult>;
  /** Chunk `n` (from 1) of a host's queue, or `null` when it does not exist yet. */
  readQueue(jobId: string, host: string, n: number): Promise<QueuedUrl[] | null>;
  /**
   * The chunks among `refs` that exist, by `chunkKey(host, n)`: one query
   * for many hosts (on FerretDB 1.24 every lookup reads the whole
   * collection, so a process asks once for all the hosts it holds).
   */
  readQueues(jobId: string, refs: ChunkRef[]): Promise<Map<string, QueuedUrl[]>>;
  /** Which of `urls` have a stored result (a `page`, `error` or `skipped` event). */
  resultsOf(jobId: string, urls: string[]): Promise<Set<string>>;
  /**
   * Stores a flush's events of a shared job: URL results inserted where
   * missing (tagged), then one batch appended to the job's event chain that
   * numbers them. Batch `k + 1` starts one past the end of batch `k`, read
   * from batch `k` itself, and a batch is one insert: so `seq` has no gaps
   * and no two writers share a number. Results whose key was stored already
   * get no event. Resolves with the events as numbered. Calls of one
   * process may overlap: their results go in side by side, and their batches
   * are appended in the order of the calls.
   */
  appendEvents(jobId: string, events: NewEvent[], tag: WriterTag): Promise<StoredEvent[]>;
  /**
   * Finishes the last flush of a writer that died: its admitted URLs missing
   * from their host's queue are appended, its results without a batch get
   * one. Idempotent; call it only once the writer's member lease ran out.
   */
  recoverWriter(jobId: string, w: string): Promise<void>;
  /** Totals of the results numbered in the job's event chain (each counted once). */
  chainTotals(jobId: string): Promise<JobCounters>;
  /** URLs of the job admitted under budget block `blk`. */
  countAdmitted(jobId: string, blk: string): Promise<number>;
  /**
   * Inserts a mark (a bare key, e.g. `qdone <host>#<n>`: chunk `n` of a host
   * done); false when it exists. Marks are looked up one by one by key (an
   * `_id` lookup), never listed, so any number of them costs nothing to
   * readers of tokens.
   */
  putMark(jobId: string, key: string): Promise<boolean>;
  /** Whether the mark exists. */
  hasMark(jobId: string, key: string): Promise<boolean>;
  /** Inserts a token; false when `(jobId, kind, key)` exists already. */
  putToken(jobId: string, token: Token): Promise<boolean>;
  /** The job's tokens of a kind, in no particular order. */
  listTokens(jobId: string, kind: string): Promise<Token[]>;
  /** Creates or replaces a member's state. */
  renewMember(jobId: string, member: MemberState): Promise<void>;
  /** The job's members, live or not. */
  listMembers(jobId: string): Promise<MemberState[]>;
}

/** Stable codes of {@linkcode StoreError}. */
export type StoreErrorCode = "unavailable" | "duplicate" | "invalid" | "lease_lost";

/** A failure of the store, with a stable `code`. */
export class StoreError extends Error {
  /** The stable code. */
  readonly code: StoreErrorCode;
  /** `code` says which failure; `options.cause` carries the driver's error. */
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
    this.code = code;
  }
}
