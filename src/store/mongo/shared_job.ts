/**
 * The MongoDB side of shared jobs (issue 11): one job worked by many
 * processes at once, with nothing but inserts, `_id` lookups and unique
 * indexes, so it holds on FerretDB 1.x (whose `findOneAndUpdate` is not
 * atomic and whose updates rewrite whole documents).
 *
 * Two append-only chains carry the order:
 * - a host's queue: chunk `n` of host `h` has `_id` `docId(job, "h#n")`;
 * - the job's events: batch `k` has `_id` `docId(job, k)` (zero-padded) and
 *   numbers its events `first..last`, `first` being one past the `last` of
 *   batch `k - 1`, read from that batch.
 * A writer appends link `n + 1` after reading link `n`; when two race, the
 * unique `_id` lets one in and the other reads the winner and tries `n + 2`.
 * A chain has no holes, so `seq` has none: batch `k + 1` cannot exist before
 * batch `k`, and a batch is one document. The tail is found by galloping
 * `_id` lookups. FerretDB 1.24 (SQLite) filters an `_id` equality in SQL but
 * does not use its `_id` index for it (the index's expression is not the
 * query's), so each lookup reads the whole collection; any other filter is
 * applied in Go to every document, ten times slower again (measured here).
 * So the chain's links are small (a batch's events are in `batch_items`,
 * inserted before the link), and queue chunks are read by `_id` only.
 *
 * Every document a flush writes carries its writer tag `(w, b)`; a unique
 * index on `(jobId, host, w, b)` (queue) and `(jobId, w, b)` (batches) makes
 * each flush append at most once, so a replayed flush, or the recovery of a
 * writer that died half way ({@linkcode recoverWriter}), appends nothing twice.
 *
 * @example
 * ```ts ignore
 * const stored = await appendEvents(parts, "job-1", [{ key: url, event }], { w: "p1/ab12", b: 7 });
 * ```
 * @module
 */
import type { Collection } from "mongodb";
import { hostnameOf } from "../../url/url_parts.ts";
import type { CrawlEvent } from "../../crawl/events.ts";
import {
  type AdmitResult,
  groupByHost,
  type JobCounters,
  type NewEvent,
  queuedCopy,
  type QueuedUrl,
  type StoredEvent,
  StoreError,
  type WriterTag,
} from "../store.ts";
import { insertMissing, type RunOp } from "./batch_write.ts";
import {
  type BatchItem,
  type BatchItemsRecord,
  type BatchRecord,
  docId,
  docIdRange,
  type EventRecord,
  fromBatchItem,
  fromQueueRecord,
  type FrontierRecord,
  frontierUrl,
  plainCopy,
  type QueueRecord,
  storedFields,
  toFrontierRecord,
  toQueueGroups,
  toStoredEvent,
  toStoredItem,
} from "./records.ts";

/** What the shared-job functions work on. */
export interface SharedParts {
  frontier: Collection<FrontierRecord>;
  events: Collection<EventRecord>;
  queue: Collection<QueueRecord>;
  batches: Collection<BatchRecord>;
  /** The events of each batch, apart from the chain's links (see `BatchRecord.items`). */
  items: Collection<BatchItemsRecord>;
  /** Runs one driver call, mapping failures to `StoreError`s. */
  run: RunOp;
  /**
   * The last link of each chain this process knows (its number and, for the
   * event chain, its `last`): the next append is tried right after it, and
   * only a duplicate sends the writer looking for the real tail.
   */
  tails: Map<string, { n: number; last: number }>;
  /**
   * Per job, the end of the last `appendEvents` call's turn at the event
   * chain: calls of one process insert their results side by side and append
   * their links in the order they were made (two links racing for one tail
   * would send one of them looking for the tail, a scan on FerretDB 1.24).
   */
  chainTurns: Map<string, Promise<void>>;
}

/** Whether a URL event is a result (the URL's one `page`, `error` or `skipped`). */
export function isResult(e: CrawlEvent): boolean {
  if (e.type === "page" || e.type === "skipped") return true;
  return e.type === "error" && e.sitemap !== true;
}

/** `_id` of chunk `n` of a host's queue. */
function chunkId(jobId: string, host: string, n: number): string {
  return docId(jobId, `${host}#${n}`);
}

/** `_id` of event batch `k`. */
function batchId(jobId: string, k: number): string {
  return docId(jobId, `#${String(k).padStart(12, "0")}`);
}

/** `_id` of the events of the batch written under `tag`. */
function itemsId(jobId: string, tag: WriterTag): string {
  return docId(jobId, `${tag.w}#${tag.b}`);
}

/** Inserts one document; false when a unique key exists already. */
async function insertOnce<T extends { _id: string }>(
  what: string,
  coll: Collection<T>,
  doc: T,
  run: RunOp,
): Promise<boolean> {
  try {
    // deno-lint-ignore no-explicit-any
    await run(what, () => coll.insertOne(doc as any));
    return true;
  } catch (e) {
    if (e instanceof StoreError && e.code === "duplicate") return false;
    throw e;
  }
}

/**
 * The last link of a chain at or after `from` (a link known to exist, or 0):
 * galloping `_id` lookups, then a binary search. Links exist for `1..N`.
 */
async function chainEnd<T extends { _id: string }>(
  what: string,
  coll: Collection<T>,
  idOf: (n: number) => string,
  from: number,
  run: RunOp,
): Promise<{ n: number; doc: T | null }> {
  const get = (n: number) =>
    // deno-lint-ignore no-explicit-any
    run(what, () => coll.findOne({ _id: idOf(n) } as any)) as Promise<T | null>;
  let lo = from;
  let doc: T | null = null;
  if (lo > 0) {
    doc = await get(lo);
    if (doc === null) lo = 0; // the hint was wrong (another database): start over
  }
  let step = 1;
  let hi: number;
  for (;;) {
    const probe = lo + step;
    const d = await get(probe);
    if (d === null) {
      hi = probe;
      break;
    }
    lo = probe;
    doc = d;
    step *= 2;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const d = await get(mid);
    if (d === null) hi = mid;
    else {
      lo = mid;
      doc = d;
    }
  }
  return { n: lo, doc };
}

/**
 * Appends `urls` as the next chunk of `host`'s queue, once per `(host, tag)`.
 */
export async function appendChunk(
  parts: SharedParts,
  jobId: string,
  host: string,
  urls: QueuedUrl[],
  tag: WriterTag & { blk: string },
): Promise<number | null> {
  const { queue, run, tails } = parts;
  const tailKey = `q ${jobId} ${host}`;
  let known = tails.get(tailKey);
  for (;;) {
    const end = known ??
      await chainEnd("append queue", queue, (i) => chunkId(jobId, host, i), 0, run);
    known = undefined;
    const n = end.n + 1;
    const doc: QueueRecord = {
      _id: chunkId(jobId, host, n),
      jobId,
      host,
      n,
      groups: toQueueGroups(urls),
      w: tag.w,
      b: tag.b,
      blk: tag.blk,
    };
    if (await insertOnce("append queue", queue, doc, run)) {
      tails.set(tailKey, { n, last: 0 });
      return n;
    }
    const there = await run("append queue", () => queue.findOne({ _id: doc._id }));
    // Free `_id` yet a duplicate: this (host, tag) was appended before, at a number not known here.
    if (there === null) return null;
    if (there.w === tag.w && there.b === tag.b && there.blk === tag.blk) return n;
    const next = await chainEnd("append queue", queue, (k) => chunkId(jobId, host, k), n, run);
    known = { n: next.n, last: 0 };
  }
}

/**
 * Chunk `n` of a host's queue, or `null`: one `_id` lookup. A chunk found
 * is a known link of the chain: this process's next append to that queue
 * is tried right after it (or after a later one it knows).
 */
export async function readChunk(
  parts: SharedParts,
  jobId: string,
  host: string,
  n: number,
): Promise<QueuedUrl[] | null> {
  const doc = await parts.run(
    "read queue",
    () => parts.queue.findOne({ _id: chunkId(jobId, host, n) }),
  );
  if (doc === null) return null;
  const tailKey = `q ${jobId} ${host}`;
  if ((parts.tails.get(tailKey)?.n ?? 0) < n) parts.tails.set(tailKey, { n, last: 0 });
  return fromQueueRecord(doc);
}

/** Admits URLs until `limit` new ones; see `Store.admitUrls`. */
export async function admitUrls(
  parts: SharedParts,
  jobId: string,
  urls: QueuedUrl[],
  tag: WriterTag & { blk: string },
  limit: number,
): Promise<AdmitResult> {
  const added: QueuedUrl[] = [];
  let used = 0;
  const seen = new Set<string>();
  while (added.length < limit && used < urls.length) {
    const take: QueuedUrl[] = [];
    while (take.length < limit - added.length && used < urls.length) {
      const q = urls[used++];
      if (seen.has(q.url)) continue;
      seen.add(q.url);
      take.push(q);
    }
    const extra = { w: tag.w, b: tag.b, blk: tag.blk };
    const records: FrontierRecord[] = take.map((q) => toFrontierRecord(jobId, q, extra));
    const existing = await insertMissing("admit urls", parts.frontier, records, parts.run);
    let mine = new Set<string>();
    if (existing.length > 0 && tag.replay === true) {
      // A replayed flush finds its own inserts: those count as added.
      const ids = existing.map((r) => r._id);
      const docs = await parts.run("admit urls", () =>
        parts.frontier.find(
          { _id: { $in: ids }, w: tag.w, b: tag.b },
          { projection: { _id: 1 } },
        ).toArray());
      mine = new Set(docs.map((d) => d._id));
    }
    const refused = new Set(existing.map((r) => r._id).filter((id) => !mine.has(id)));
    records.forEach((r, i) => {
      if (!refused.has(r._id)) added.push(queuedCopy(take[i]));
    });
  }
  // Each host's queue is a chain of its own: they are appended to side by side.
  const appended = await Promise.all(
    [...groupByHost(added)].map(async ([host, list]) => ({
      host,
      n: await appendChunk(parts, jobId, host, list, tag),
      urls: list,
    })),
  );
  const chunks: AdmitResult["chunks"] = [];
  for (const c of appended) {
    if (c.n !== null) chunks.push({ host: c.host, n: c.n, urls: c.urls.map(queuedCopy) });
  }
  return { added, used, chunks };
}

/** A result's record: the event's fields plus `_id`, `jobId` and the writer tag (no `seq`). */
function resultRecord(jobId: string, e: NewEvent, tag: WriterTag): EventRecord {
  const doc: Record<string, unknown> = { _id: docId(jobId, e.key), jobId };
  try {
    storedFields(e.event, doc);
  } catch (err) {
    throw new StoreError("invalid", `Event: ${(err as Error).message}`, { cause: err });
  }
  doc.w = tag.w;
  doc.b = tag.b;
  return doc as EventRecord;
}

/** Stores results, then appends one numbered batch; see `Store.appendEvents`. */
export async function appendEvents(
  parts: SharedParts,
  jobId: string,
  events: NewEvent[],
  tag: WriterTag,
): Promise<StoredEvent[]> {
  // This call's turn at the chain is taken before the first `await`: turns go in call order.
  const before = parts.chainTurns.get(jobId) ?? Promise.resolve();
  let endTurn = () => {};
  const turn = new Promise<void>((resolve) => endTurn = resolve);
  parts.chainTurns.set(jobId, turn);
  try {
    return await appendInTurn(parts, jobId, events, tag, before);
  } finally {
    // A call that failed early still waits for the one before it: turns never overlap.
    // The last turn of a job is forgotten once it ends.
    before.then(endTurn);
    turn.then(() => {
      if (parts.chainTurns.get(jobId) === turn) parts.chainTurns.delete(jobId);
    });
  }
}

/** `appendEvents` once its turn is taken: results now, the chain's link after `before`. */
async function appendInTurn(
  parts: SharedParts,
  jobId: string,
  events: NewEvent[],
  tag: WriterTag,
  before: Promise<void>,
): Promise<StoredEvent[]> {
  const { events: coll, run } = parts;
  const results = events.filter((e) => isResult(e.event));
  // No `seq`: a result's number lives in its batch.
  const records = results.map((e) => resultRecord(jobId, e, tag));
  const existing = await insertMissing("append events", coll, records, run);
  let refused = new Set(existing.map((r) => r._id));
  if (existing.length > 0 && tag.replay === true) {
    const ids = existing.map((r) => r._id);
    const mine = await run(
      "append events",
      () =>
        coll.find({ _id: { $in: ids }, w: tag.w, b: tag.b }, { projection: { _id: 1 } })
          .toArray(),
    );
    const own = new Set(mine.map((d) => d._id));
    refused = new Set(ids.filter((id) => !own.has(id)));
  }
  const kept = events.filter((e) => !isResult(e.event) || !refused.has(docId(jobId, e.key)));
  if (kept.length === 0) return [];
  const items = kept.map((e) =>
    isResult(e.event) ? { key: e.key } : { key: e.key, event: e.event }
  );
  const counts = countsOf(kept.map((e) => e.event));
  const batch = await appendBatch(parts, jobId, items, counts, tag, before);
  return kept.map((e, i) => ({ seq: batch.first + i, key: e.key, event: e.event }));
}

/** Appends a batch of `items` to the job's event chain, once per tag; the batch as stored. */
async function appendBatch(
  parts: SharedParts,
  jobId: string,
  items: BatchItem[],
  counts: JobCounters,
  tag: WriterTag,
  before: Promise<void>,
): Promise<BatchRecord> {
  const { batches, run, tails } = parts;
  const tailKey = `e ${jobId}`;
  let plain: (string | BatchItem)[];
  try {
    plain = (plainCopy(items) as BatchItem[]).map(toStoredItem);
  } catch (err) {
    throw new StoreError("invalid", `Event: ${(err as Error).message}`, { cause: err });
  }
  // The events first (once per tag: a replay finds its own), then the link that numbers them.
  await insertOnce(
    "append events",
    parts.items,
    { _id: itemsId(jobId, tag), jobId, items: plain },
    run,
  );
  await before;
  let known = tails.get(tailKey);
  for (;;) {
    let k: number;
    let first: number;
    if (known) {
      k = known.n + 1;
      first = known.last + 1;
    } else {
      const end = await chainEnd("append events", batches, (i) => batchId(jobId, i), 0, run);
      k = end.n + 1;
      first = (end.doc?.last ?? 0) + 1;
    }
    known = undefined;
    const doc: BatchRecord = {
      _id: batchId(jobId, k),
      jobId,
      k,
      first,
      last: first + plain.length - 1,
      w: tag.w,
      b: tag.b,
      counts,
    };
    if (await insertOnce("append events", batches, doc, run)) {
      tails.set(tailKey, { n: k, last: doc.last });
      return doc;
    }
    const there = await run("append events", () => batches.findOne({ _id: doc._id }));
    if (there !== null && there.w === tag.w && there.b === tag.b) return there;
    if (there === null) {
      const mine = await run("append events", () => batches.findOne({ jobId, w: tag.w, b: tag.b }));
      if (mine) return mine;
      continue; // the tail known here was wrong (not this database's): look for it
    }
    const end = await chainEnd("append events", batches, (i) => batchId(jobId, i), k, run);
    known = { n: end.n, last: end.doc?.last ?? 0 };
  }
}

/** What events add to a job's totals. */
function countsOf(events: CrawlEvent[]): JobCounters {
  const c: JobCounters = { pages: 0, errors: 0, skipped: 0, bytes: 0 };
  for (const e of events) {
    if (e.type === "page") {
      c.pages++;
      c.bytes += e.bytes ?? 0;
    } else if (e.type === "error" && e.sitemap !== true) c.errors++;
    else if (e.type === "skipped") c.skipped++;
  }
  return c;
}

/**
 * Totals of a shared job's chain, summed here from its batches' `counts`
 * (FerretDB 1.24's `$group` summed `$counts.bytes` as 0 when tried).
 */
export async function chainTotals(parts: SharedParts, jobId: string): Promise<JobCounters> {
  const rows = await parts.run(
    "chain totals",
    () => parts.batches.find({ jobId }, { projection: { counts: 1 } }).toArray(),
  );
  const c: JobCounters = { pages: 0, errors: 0, skipped: 0, bytes: 0 };
  for (const r of rows) {
    c.pages += r.counts?.pages ?? 0;
    c.errors += r.counts?.errors ?? 0;
    c.skipped += r.counts?.skipped ?? 0;
    c.bytes += r.counts?.bytes ?? 0;
  }
  return c;
}

/** Events of a shared job with `seq > afterSeq`, ascending, at most `limit`; `null` when the job has no batch. */
export async function readBatches(
  parts: SharedParts,
  jobId: string,
  afterSeq: number,
  limit: number,
): Promise<StoredEvent[] | null> {
  const { batches, events, run } = parts;
  const docs = await run(
    "read events",
    () => batches.find({ jobId, last: { $gt: afterSeq } }, { sort: { k: 1 }, limit: 64 }).toArray(),
  );
  if (docs.length === 0) {
    const any = await run("read events", () => batches.findOne({ _id: batchId(jobId, 1) }));
    return any === null ? null : [];
  }
  const lists = new Map<string, BatchItem[]>();
  const missing = docs.filter((d) => d.items === undefined).map((d) => itemsId(jobId, d));
  if (missing.length > 0) {
    const found = await run(
      "read events",
      () => parts.items.find({ _id: { $in: missing } }).toArray(),
    );
    for (const f of found) lists.set(f._id, f.items.map(fromBatchItem));
  }
  const wanted: { seq: number; key: string; event?: CrawlEvent }[] = [];
  for (const d of docs) {
    const items = d.items ?? lists.get(itemsId(jobId, d));
    if (items === undefined) {
      throw new StoreError("invalid", `Event batch ${d.k} of job ${jobId} has no events stored`);
    }
    for (let i = 0; i < items.length && wanted.length < limit; i++) {
      const seq = d.first + i;
      if (seq > afterSeq) wanted.push({ seq, ...items[i] } as typeof wanted[number]);
    }
    if (wanted.length >= limit) break;
  }
  const refs = wanted.filter((w) => w.event === undefined).map((w) => docId(jobId, w.key));
  const found = refs.length === 0
    ? []
    : await run("read events", () => events.find({ _id: { $in: refs } }).toArray());
  const byId = new Map(found.map((d) => [d._id, toStoredEvent(d).event]));
  const out: StoredEvent[] = [];
  for (const w of wanted) {
    const event = w.event ?? byId.get(docId(jobId, w.key));
    if (event === undefined) {
      throw new StoreError("invalid", `Event ${w.seq} of job ${jobId} has no stored result`);
    }
    out.push({ seq: w.seq, key: w.key, event });
  }
  return out;
}

/** Highest `seq` of a shared job's chain, or `null` when it has none. */
export async function lastSeq(parts: SharedParts, jobId: string): Promise<number | null> {
  const end = await chainEnd(
    "read max seq",
    parts.batches,
    (k) => batchId(jobId, k),
    parts.tails.get(`e ${jobId}`)?.n ?? 0,
    parts.run,
  );
  return end.doc === null ? null : end.doc.last;
}

/** Finishes the last flush of a writer that died; see `Store.recoverWriter`. */
export async function recoverWriter(parts: SharedParts, jobId: string, w: string): Promise<void> {
  const { frontier, events, run } = parts;
  // Its flushes were written one after the other: only the last can be half done.
  const lastAdmit = await run(
    "recover writer",
    () =>
      frontier.find({ _id: docIdRange(jobId), w }, {
        sort: { b: -1 },
        limit: 1,
        projection: { b: 1 },
      }).toArray(),
  );
  if (lastAdmit.length > 0) {
    const b = lastAdmit[0].b!;
    const docs = await run(
      "recover writer",
      () => frontier.find({ _id: docIdRange(jobId), w, b }).toArray(),
    );
    const groups = new Map<string, { host: string; blk: string; urls: QueuedUrl[] }>();
    for (const d of docs) {
      const url = frontierUrl(d);
      const host = d.host ?? hostnameOf(url);
      const blk = d.blk ?? "";
      const key = `${host} ${blk}`;
      let g = groups.get(key);
      if (!g) groups.set(key, g = { host, blk, urls: [] });
      g.urls.push({ url, depth: d.depth, parent: d.parent ?? null });
    }
    for (const g of groups.values()) {
      await appendChunk(parts, jobId, g.host, g.urls, { w, b, blk: g.blk });
    }
  }
  const lastResult = await run(
    "recover writer",
    () => events.find({ jobId, w }, { sort: { b: -1 }, limit: 1, projection: { b: 1 } }).toArray(),
  );
  if (lastResult.length > 0) {
    const b = lastResult[0].b as number;
    const exists = await run("recover writer", () => parts.batches.findOne({ jobId, w, b }));
    if (exists === null) {
      const docs = await run(
        "recover writer",
        () =>
          events.find({ jobId, w, b }, { projection: { url: 1, type: 1, sitemap: 1, bytes: 1 } })
            .toArray(),
      );
      const items = docs.map((d) => ({ key: String(d.url) }));
      const counts = countsOf(docs as unknown as CrawlEvent[]);
      if (items.length > 0) {
        await appendBatch(parts, jobId, items, counts, { w, b }, Promise.resolve());
      }
    }
  }
}
