/**
 * The documents of the MongoDB store and their converters. Everything is
 * plain BSON a person can query with the MongoDB tools (`mongosh`,
 * Compass): job options and events are documents, not JSON strings.
 *
 * | collection | `_id`               | other indexes                                | holds                        |
 * | ---------- | ------------------- | -------------------------------------------- | ---------------------------- |
 * | `jobs`     | job id              | `(status, createdAt)`, `createdAt`           | {@linkcode JobRecord}        |
 * | `frontier` | `docId(jobId, url)` | none (a job's entries: {@linkcode docIdRange}) | {@linkcode FrontierRecord} |
 * | `events`   | `docId(jobId, key)` | `(jobId, seq)`                               | {@linkcode EventRecord}      |
 * | `claims`   | `<jobId>#<gen>`     | `(jobId, gen)`                               | {@linkcode ClaimRecord}      |
 *
 * A fetched page costs two inserts and no update: its frontier entry (when
 * it was queued, ~130 bytes) and its event (the page itself, which
 * `GET /jobs/:id/pages` reads back). A URL's state is its event's `type`, or
 * `pending` while it has none.
 *
 * @example
 * ```ts
 * import { docId } from "./records.ts";
 * docId("j1", "http://a.test/"); // "2:j1:http://a.test/"
 * ```
 * @module
 */
import type { CrawlEvent, PageEvent } from "../../crawl/events.ts";
import { NO_META } from "../../html/page_meta.ts";
import type {
  FrontierEntry,
  FrontierState,
  JobCounters,
  JobDoc,
  JobPatch,
  QueuedUrl,
  StoredEvent,
} from "../store.ts";
import { eventKey, PAGE_FIELD_ORDER, PAGE_FIELDS, queuedCopy } from "../store.ts";

/** A job as stored: the id is `_id`. */
export type JobRecord = Omit<JobDoc, "id" | "options"> & {
  _id: string;
  /**
   * A document; a JSON string when a key is not a storable field name, and
   * in databases written before issue 11 (both read).
   */
  options: Record<string, unknown> | string;
  /** Generation of the last successful claim; see `claimJob` in `claim.ts`. */
  claims: number;
};

/** The token of claim number `gen` of a job: `_id` is `<jobId>#<gen>`, unique. */
export interface ClaimRecord {
  _id: string;
  jobId: string;
  gen: number;
  owner: string;
  /** The lease the claimer asked for; a token whose job never took it is stale after this. */
  leaseUntil: Date;
}

/**
 * A queued URL as stored; `_id` is {@linkcode docId}`(jobId, url)`, which
 * holds the job and the URL (see {@linkcode frontierUrl}); `parent` is left
 * out when `null`. A shared job's entries also carry the writer tag and the
 * budget block. Entries written before stop 20 also hold `jobId` and `url`
 * (and, before stop 19, the URL's host).
 */
export interface FrontierRecord {
  _id: string;
  jobId?: string;
  url?: string;
  depth: number;
  parent?: string | null;
  host?: string;
  w?: string;
  b?: number;
  blk?: string;
}

/**
 * Chunk `n` of a host's queue in a shared job; `_id` is
 * `docId(jobId, "<host>#<n>")`. Its URLs are in `groups` (see
 * {@linkcode toQueueGroups}); chunks written before stop 19 list them in
 * `urls`, one document each (both read).
 */
export interface QueueRecord {
  _id: string;
  jobId: string;
  host: string;
  n: number;
  groups?: QueueGroup[];
  urls?: {
    url: string;
    depth: number;
    parent: string | null;
    source?: string;
    lastmod?: string | null;
  }[];
  w: string;
  b: number;
  /** The budget block its URLs were admitted under (a flush may use several). */
  blk: string;
}

/**
 * URLs of a queue chunk found on one page, in order: one `parent` and
 * `depth` for all, and for a sitemap's URLs their `lastmods` side by side.
 * On FerretDB 1.24 an insert costs about 7 µs of its CPU per stored value:
 * a URL is one value here and four as a document of its own.
 */
export interface QueueGroup {
  parent: string | null;
  depth: number;
  urls: string[];
  source?: "sitemap";
  lastmods?: (string | null)[];
}

/** `urls` as {@linkcode QueueGroup}s: each run of URLs with one parent, depth and source. */
export function toQueueGroups(urls: QueuedUrl[]): QueueGroup[] {
  const groups: QueueGroup[] = [];
  let g: QueueGroup | undefined;
  for (const q of urls) {
    const parent = q.parent ?? null;
    const sitemap = q.source === "sitemap";
    if (
      !g || g.parent !== parent || g.depth !== q.depth || (g.source === "sitemap") !== sitemap
    ) {
      g = { parent, depth: q.depth, urls: [] };
      if (sitemap) {
        g.source = "sitemap";
        g.lastmods = [];
      }
      groups.push(g);
    }
    g.urls.push(q.url);
    if (sitemap) g.lastmods!.push(q.lastmod ?? null);
  }
  return groups;
}

/** The URLs of a queue chunk as stored, in order (either layout). */
export function fromQueueRecord(doc: QueueRecord): QueuedUrl[] {
  if (doc.groups === undefined) return (doc.urls ?? []).map((q) => queuedCopy(q as QueuedUrl));
  const out: QueuedUrl[] = [];
  for (const g of doc.groups) {
    for (const [i, url] of g.urls.entries()) {
      const q: QueuedUrl = { url, depth: g.depth, parent: g.parent ?? null };
      if (g.source === "sitemap") {
        q.source = "sitemap";
        q.lastmod = g.lastmods?.[i] ?? null;
      }
      out.push(q);
    }
  }
  return out;
}

/**
 * Batch `k` of a shared job's event chain: events `first..last` in order, a
 * result as a reference to its event document (`{ key }`), any other event
 * (`done`, `sitemap`) in full.
 */
export interface BatchRecord {
  _id: string;
  jobId: string;
  k: number;
  first: number;
  last: number;
  w: string;
  b: number;
  /**
   * Its events, in older databases only: they are now in the batch's
   * {@linkcode BatchItemsRecord}, so that the chain's links stay small (on
   * FerretDB 1.24 a lookup reads every document of the collection, and
   * writers racing for the chain's tail look often).
   */
  items?: BatchItem[];
  /** What its results add to the job's totals. */
  counts: JobCounters;
}

/** One event of a batch: a result by reference (`{ key }`), any other in full. */
export interface BatchItem {
  key: string;
  event?: CrawlEvent;
}

/**
 * The events of the batch written under writer tag `(w, b)`; `_id` is
 * `docId(jobId, "<w>#<b>")`. Inserted before its batch, so a batch always
 * finds its events. A result is stored as its key alone (a string: one
 * value, where `{ key }` is two); databases written before stop 19 hold
 * `{ key }` (both read, see {@linkcode fromBatchItem}).
 */
export interface BatchItemsRecord {
  _id: string;
  jobId: string;
  items: (string | BatchItem)[];
}

/** A batch item as stored: a result's key alone, any other event in full. */
export function toStoredItem(item: BatchItem): string | BatchItem {
  return item.event === undefined ? item.key : item;
}

/** A batch item from either stored form. */
export function fromBatchItem(item: string | BatchItem): BatchItem {
  return typeof item === "string" ? { key: item } : item;
}

/** A token (see `Token` in `store.ts`); `_id` is `docId(jobId, "<kind> <key>")`. */
export interface TokenRecord {
  _id: string;
  jobId: string;
  kind: string;
  key: string;
  owner: string | null;
  data: Record<string, string | number | boolean | null>;
  at: Date;
}

/** A member of a shared job; `_id` is `docId(jobId, owner)`. */
export interface MemberRecord {
  _id: string;
  jobId: string;
  owner: string;
  leaseUntil: Date;
  idle: boolean;
  work: number;
  counters: JobCounters;
  /** See `MemberState.appended`. */
  appended?: { host: string; n: number }[];
  /** See `MemberState.left`. */
  left?: boolean;
}

/**
 * An event as stored: its own fields (`type`, `url`, ...) as a document,
 * plus `_id` ({@linkcode docId}`(jobId, key)`), `jobId` and `seq`.
 */
export type EventRecord = {
  _id: string;
  jobId: string;
  /** Absent on a shared job's results, whose numbers live in their batch. */
  seq?: number;
  type: CrawlEvent["type"];
  url?: string;
  /** Databases written before issue 11 kept the event as a JSON string here (still read). */
  event?: string;
  [field: string]: unknown;
};

/**
 * The `_id` of the document of `key` in job `jobId`: FerretDB 1.24 (SQLite)
 * uses an index only for a filter that is exactly `{ _id: <string> }`, and
 * its unique `_id` is what makes an insert of the same key a no-op. The
 * length prefix keeps `("a:b", "c")` and `("a", "b:c")` apart.
 */
export function docId(jobId: string, key: string): string {
  return `${jobId.length}:${jobId}:${key}`;
}

/**
 * The key part of a {@linkcode docId}: `keyOfDocId(docId(j, k)) === k`.
 * Throws a `TypeError` on a string that is not one.
 */
export function keyOfDocId(id: string): string {
  const colon = id.indexOf(":");
  const length = Number(id.slice(0, colon));
  const keyAt = colon + 1 + length + 1;
  if (colon < 1 || !Number.isInteger(length) || id[keyAt - 1] !== ":") {
    throw new TypeError(`Not a document id: ${JSON.stringify(id)}`);
  }
  return id.slice(keyAt);
}

/**
 * The `_id` range of every document of `jobId` in a collection keyed by
 * {@linkcode docId}: `_id`s of one job share the prefix `<length>:<jobId>:`,
 * so a range query on `_id` (always indexed) finds them, sorted by key (for
 * events and frontier entries: by URL; URLs are ASCII once normalized).
 */
export function docIdRange(jobId: string): { $gte: string; $lt: string } {
  const prefix = `${jobId.length}:${jobId}:`;
  return { $gte: prefix, $lt: `${jobId.length}:${jobId};` };
}

/** A new job's record. */
export function toRecord(job: JobDoc): JobRecord {
  return {
    _id: job.id,
    status: job.status,
    urls: job.urls.map(String),
    options: storableOptions(job.options ?? {}),
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

/**
 * Job options as a document, or, when a key cannot be a BSON field name
 * (`$...`, `a.b`: never from the service, whose options are validated), as a
 * JSON string, so any plain value round-trips.
 */
function storableOptions(options: Record<string, unknown>): Record<string, unknown> | string {
  try {
    return plainCopy(options) as Record<string, unknown>;
  } catch {
    return JSON.stringify(options);
  }
}

/** The job of a record. */
export function toJob(doc: JobRecord): JobDoc {
  return {
    id: doc._id,
    status: doc.status,
    urls: doc.urls,
    options: typeof doc.options === "string"
      ? JSON.parse(doc.options) as Record<string, unknown>
      : doc.options ?? {},
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
export function toSet(patch: JobPatch): Partial<JobRecord> {
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

/** The four counters and nothing else. */
export function toCounters(c: JobCounters): JobCounters {
  return { pages: c.pages, errors: c.errors, skipped: c.skipped, bytes: c.bytes };
}

/**
 * A queued URL's record, with `extra` fields (a shared job's writer tag and
 * block). On FerretDB 1.24 an entry costs its insert about 7 µs of CPU per
 * value: the job and the URL are read from `_id`, not stored again.
 */
export function toFrontierRecord(
  jobId: string,
  q: QueuedUrl,
  extra?: Pick<FrontierRecord, "w" | "b" | "blk">,
): FrontierRecord {
  const r: FrontierRecord = { _id: docId(jobId, q.url), depth: q.depth };
  if (q.parent !== null) r.parent = q.parent;
  if (extra) Object.assign(r, extra);
  return r;
}

/** The URL of a frontier record (its `_id`'s key; older records also hold it as `url`). */
export function frontierUrl(d: Pick<FrontierRecord, "_id" | "url">): string {
  return d.url ?? keyOfDocId(d._id);
}

/** A frontier entry from its record and the type of the URL's event, if any. */
export function toFrontierEntry(d: FrontierRecord, type: string | undefined): FrontierEntry {
  const state: FrontierState = type === "page" || type === "error" || type === "skipped"
    ? type
    : "pending";
  return { url: frontierUrl(d), depth: d.depth, parent: d.parent ?? null, state };
}

/** An event's record: the event's own fields plus `_id`, `jobId` and `seq`. */
export function toEventRecord(jobId: string, e: StoredEvent): EventRecord {
  return {
    ...storedFields(e.event),
    _id: docId(jobId, e.key),
    jobId,
    seq: e.seq,
    type: e.event.type,
  };
}

/** The stored event of a record. */
export function toStoredEvent(d: EventRecord): StoredEvent {
  if (typeof d.event === "string") {
    return { seq: d.seq ?? 0, key: String(d.key), event: JSON.parse(d.event) as CrawlEvent };
  }
  const { _id: _, jobId: __, seq, w: ___, b: ____, ...event } = d;
  const ev = (event.type === "page" ? expandPage(event) : event) as unknown as CrawlEvent;
  return { seq: seq ?? 0, key: eventKey(ev), event: ev };
}

/**
 * An event's fields as stored: a plain copy and, for a page, without what
 * {@linkcode expandPage} puts back (fields that are `null`, `finalUrl` equal
 * to `url`, one attempt, `meta` fields that are `null`, and `meta` itself
 * when nothing was found in a page parsed, or the page was not parsed). On
 * FerretDB 1.24 an insert costs about 7 µs of its CPU per value, so a
 * typical page is a third cheaper to store (its `meta` alone is nine
 * `null`s); the document stays one a person can query (`{ title: "..." }`,
 * `{ "meta.lang": "en" }`).
 * Throws a `TypeError` on a field name BSON cannot store.
 */
export function storedFields(
  event: CrawlEvent,
  into: Record<string, unknown> = {},
): Record<string, unknown> {
  if (event.type !== "page") return Object.assign(into, plainCopy(event));
  // Built field by field in the engine's order, no copy of the links (strings, never
  // changed): a generic copy and `delete`s cost this process a tenth of its time on FerretDB.
  const page = event as unknown as Record<string, unknown>;
  for (const k of PAGE_FIELD_ORDER) {
    const v = page[k];
    if (k === "meta") {
      // Left out when `expandPage` can tell it from `contentHash`: a page parsed has both,
      // one not parsed neither.
      const meta = v === null || v === undefined ? null : storedMeta(v as Record<string, unknown>);
      const hashed = event.contentHash !== null && event.contentHash !== undefined;
      if (meta === null ? !hashed : hashed && Object.keys(meta).length === 0) continue;
      into.meta = meta;
      continue;
    }
    if (v === undefined || (v === null && NULLABLE.has(k))) continue;
    if ((k === "finalUrl" && v === event.url) || (k === "attempts" && v === 1)) continue;
    into[k] = k === "links" ? v : plainCopy(v);
  }
  // A field this list does not know (yet) is stored too, its name checked like any.
  for (const k of Object.keys(page)) {
    if (!PAGE_FIELDS.has(k) && page[k] !== undefined) {
      Object.assign(into, plainCopy({ [k]: page[k] }));
    }
  }
  return into;
}

/** A page's `meta` as stored: its fields that are not `null`. */
function storedMeta(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(meta)) {
    const v = meta[k];
    if (v !== null && v !== undefined) out[k] = plainCopy(v);
  }
  // Its keys are checked like the event's (`alternates` are hreflang codes from the page).
  plainCopy(out);
  return out;
}

/** Page fields left out of a stored page when `null` (see {@linkcode storedFields}). */
const NULLABLE_PAGE_FIELDS = ["parent", "title", "meta", "contentHash", "content"] as const;
const NULLABLE = new Set<string>(NULLABLE_PAGE_FIELDS);

/**
 * A stored page's fields as the event had them: what {@linkcode storedFields}
 * left out is put back (a record written whole is returned as it is). On a
 * projection, fields it left out come back as defaults, for the caller to
 * drop; `finalUrl` needs `url` in the projection, and `meta` needs
 * `contentHash`.
 */
export function expandPage(fields: Record<string, unknown>): Record<string, unknown> {
  const given = { ...fields };
  if (given.finalUrl === undefined && given.url !== undefined) given.finalUrl = given.url;
  if (given.attempts === undefined) given.attempts = 1;
  // A page left without `meta` had nothing found when it was parsed (it has a
  // `contentHash`), or was not parsed (it has none; so were pages stored before stop 20).
  if (given.meta === undefined) {
    given.meta = given.contentHash === undefined || given.contentHash === null ? null : {};
  }
  for (const k of NULLABLE_PAGE_FIELDS) if (given[k] === undefined) given[k] = null;
  if (given.meta !== null) given.meta = { ...NO_META, ...(given.meta as Record<string, unknown>) };
  // In the engine's order (a follower reading from memory and one reading from the
  // store get the same lines), then any other field.
  const out: Record<string, unknown> = {};
  for (const k of PAGE_FIELD_ORDER) if (k in given) out[k] = given[k];
  for (const k of Object.keys(given)) if (!(k in out)) out[k] = given[k];
  return out;
}

/** A page event of a record (an event record of type `page`). */
export function toPage(d: EventRecord): PageEvent {
  // A projection may leave `type` out: the record is a page's all the same.
  return toStoredEvent({ ...d, type: "page" }).event as PageEvent;
}

/**
 * A copy of a JSON-like value without `undefined` fields (BSON would store
 * them as `null`); throws a TypeError on a key BSON cannot take as a field
 * name (`$...` or containing `.`), so no caller's key becomes an operator.
 */
export function plainCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainCopy);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (k.startsWith("$") || k.includes(".") || k === "_id") {
      throw new TypeError(`Field name not storable: ${JSON.stringify(k)}`);
    }
    out[k] = plainCopy(v);
  }
  return out;
}
