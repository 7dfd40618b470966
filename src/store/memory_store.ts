/**
 * The in-process {@linkcode Store}: everything lives in `Map`s and is gone when
 * the process ends. It is the default store and the reference the contract
 * suite (`tests/store/contract.ts`) is checked against.
 *
 * Every value going in or out is copied (events field by field, the rest with
 * `structuredClone`), so callers can
 * never change stored state by mutating what they passed or got back.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * const store = new MemoryStore();
 * await store.init();
 * (await store.getJob("nope")) === null; // true
 * await store.close();
 * ```
 * @module
 */
import type { CrawlEvent, PageEvent } from "../crawl/events.ts";
import {
  type AdmitResult,
  chunkKey,
  type ChunkRef,
  firstAfter,
  type FrontierEntry,
  type FrontierState,
  groupByHost,
  type JobCounters,
  type JobDoc,
  type JobPatch,
  type JobStatus,
  type MemberState,
  type NewEvent,
  type PageQuery,
  pickPageFields,
  queuedCopy,
  type QueuedUrl,
  type Store,
  type StoredEvent,
  StoreError,
  type Token,
  type WriteBatch,
  type WriterTag,
} from "./store.ts";
import { checkBatch, checkFields, checkLimit, checkNumber, checkString } from "./check_input.ts";

/** The fields of a {@linkcode JobPatch}, the only ones `updateJob` copies. */
const PATCH_FIELDS = [
  "status",
  "counters",
  "startedAt",
  "finishedAt",
  "owner",
  "leaseUntil",
  "cancelRequested",
  "error",
] as const satisfies readonly (keyof JobPatch)[];

/**
 * A {@linkcode Store} kept in memory; see the module doc.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory_store.ts";
 * const store = new MemoryStore();
 * await store.write("j1", {
 *   frontier: [{ url: "http://a.test/", depth: 0, parent: null }],
 *   events: [],
 * });
 * (await store.loadFrontier("j1")).length; // 1
 * ```
 */
export class MemoryStore implements Store {
  /** Always `memory`. */
  readonly kind = "memory";
  #jobs = new Map<string, JobDoc>();
  #frontier = new Map<string, Map<string, QueuedUrl>>();
  #events = new Map<string, Map<string, StoredEvent>>();
  /** Each job's events ascending by `seq`, for `readEvents` and `maxSeq` without a sort. */
  #bySeq = new Map<string, StoredEvent[]>();
  /** The parts of shared jobs (issue 11), per job. */
  #shared = new Map<string, SharedJob>();

  #sharedOf(jobId: string): SharedJob {
    let s = this.#shared.get(jobId);
    if (!s) {
      s = {
        admittedBy: new Map(),
        queues: new Map(),
        chunkTags: new Set(),
        batchTags: new Set(),
        tokens: new Map(),
        marks: new Set(),
        members: new Map(),
      };
      this.#shared.set(jobId, s);
    }
    return s;
  }

  /** Nothing to connect to; rejects only when `signal` is already aborted. */
  init(signal?: AbortSignal): Promise<void> {
    return this.ping(signal);
  }

  /** Always answers, unless `signal` is already aborted. */
  ping(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return Promise.resolve();
  }

  /** Nothing to release; the data stays readable until the object is dropped. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Stores a new job; rejects with code `duplicate` when the id is taken. */
  createJob(job: JobDoc): Promise<void> {
    return settle(() => {
      checkString("Job id", job.id);
      if (this.#jobs.has(job.id)) throw new StoreError("duplicate", `Job ${job.id} already exists`);
      this.#jobs.set(job.id, structuredClone(job));
    });
  }

  /** The job with this id, or `null`. */
  getJob(id: string): Promise<JobDoc | null> {
    const job = this.#jobs.get(id);
    return Promise.resolve(job ? structuredClone(job) : null);
  }

  /** Most recent first (by `createdAt`, then id). */
  listJobs(limit: number): Promise<JobDoc[]> {
    return settle(() => {
      const n = checkLimit(limit);
      const jobs = [...this.#jobs.values()].sort((a, b) => byAge(b, a)).slice(0, n);
      return jobs.map((j) => structuredClone(j));
    });
  }

  /** Copies the patch's known fields and sets `updatedAt`; false when no such job. */
  updateJob(id: string, patch: JobPatch): Promise<boolean> {
    const job = this.#jobs.get(id);
    if (!job) return Promise.resolve(false);
    const next: JobDoc = { ...job, updatedAt: new Date() };
    for (const field of PATCH_FIELDS) {
      if (patch[field] !== undefined) {
        Object.assign(next, { [field]: structuredClone(patch[field]) });
      }
    }
    this.#jobs.set(id, next);
    return Promise.resolve(true);
  }

  /** Number of jobs per status. */
  countJobs(): Promise<Partial<Record<JobStatus, number>>> {
    const counts: Partial<Record<JobStatus, number>> = {};
    for (const job of this.#jobs.values()) counts[job.status] = (counts[job.status] ?? 0) + 1;
    return Promise.resolve(counts);
  }

  /** Takes the oldest claimable job; see {@linkcode Store.claimJob}. */
  claimJob(owner: string, leaseMs: number, now: Date, only?: string): Promise<JobDoc | null> {
    return settle(() => {
      checkString("Owner", owner);
      const job = [...this.#jobs.values()]
        .filter((j) => claimable(j, now) && (only === undefined || j.id === only))
        .sort(byAge)[0];
      if (!job) return null;
      const claimed: JobDoc = {
        ...job,
        owner,
        leaseUntil: new Date(now.getTime() + leaseMs),
        updatedAt: now,
      };
      this.#jobs.set(job.id, claimed);
      return structuredClone(claimed);
    });
  }

  /** Extends the lease when `owner` still holds the job. */
  renewLease(id: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const job = this.#jobs.get(id);
    if (!job || job.owner !== owner) return Promise.resolve(false);
    this.#jobs.set(id, { ...job, leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: now });
    return Promise.resolve(true);
  }

  /** Applies the batch in the order documented on {@linkcode WriteBatch}. */
  write(jobId: string, batch: WriteBatch): Promise<void> {
    return settle(() => this.#write(jobId, batch));
  }

  #write(jobId: string, batch: WriteBatch): void {
    checkBatch(jobId, batch);
    if (batch.owner !== undefined && this.#jobs.get(jobId)?.owner !== batch.owner) {
      throw new StoreError("lease_lost", `Job ${jobId} is no longer leased to ${batch.owner}`);
    }
    // (1) queued URLs where missing.
    const frontier = bucket(this.#frontier, jobId);
    for (const q of batch.frontier) {
      if (!frontier.has(q.url)) {
        frontier.set(q.url, { url: q.url, depth: q.depth, parent: q.parent });
      }
    }
    // (2) events where their key is missing (a URL's event is its result).
    const events = bucket(this.#events, jobId);
    let bySeq = this.#bySeq.get(jobId);
    if (!bySeq) this.#bySeq.set(jobId, bySeq = []);
    for (const event of batch.events) {
      if (events.has(event.key)) continue;
      const copy = copyStored(event);
      events.set(event.key, copy);
      // Almost always appended: the runner writes ascending seqs.
      if (bySeq.length === 0 || bySeq[bySeq.length - 1].seq <= copy.seq) bySeq.push(copy);
      else bySeq.splice(firstAfter(bySeq, copy.seq), 0, copy);
    }
    // (3) counters on the job.
    const job = this.#jobs.get(jobId);
    if (batch.counters && job) {
      this.#jobs.set(jobId, {
        ...job,
        counters: structuredClone(batch.counters),
        updatedAt: new Date(),
      });
    }
  }

  /** All queued URLs of the job, in the order they were first stored, with their state. */
  loadFrontier(jobId: string): Promise<FrontierEntry[]> {
    const events = this.#events.get(jobId);
    const entries = [...(this.#frontier.get(jobId)?.values() ?? [])];
    return Promise.resolve(entries.map((q) => ({
      url: q.url,
      depth: q.depth,
      parent: q.parent,
      state: stateOf(events?.get(q.url)),
    })));
  }

  /** Highest stored `seq`, 0 when none. */
  maxSeq(jobId: string): Promise<number> {
    return Promise.resolve(this.#bySeq.get(jobId)?.at(-1)?.seq ?? 0);
  }

  /** Events with `seq > afterSeq`, ascending, at most `limit`. */
  readEvents(jobId: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return settle(() => {
      checkString("Job id", jobId);
      checkNumber("afterSeq", afterSeq);
      const n = checkLimit(limit);
      const bySeq = this.#bySeq.get(jobId) ?? [];
      const from = firstAfter(bySeq, afterSeq);
      return bySeq.slice(from, from + n).map(copyStored);
    });
  }

  /** Admits URLs in order until `limit` new ones; see {@linkcode Store.admitUrls}. */
  admitUrls(
    jobId: string,
    urls: QueuedUrl[],
    tag: WriterTag & { blk: string },
    limit: number,
  ): Promise<AdmitResult> {
    return settle(() => {
      checkString("Job id", jobId);
      checkTag(tag);
      checkString("Block", tag.blk);
      const frontier = bucket(this.#frontier, jobId);
      const shared = this.#sharedOf(jobId);
      const added: QueuedUrl[] = [];
      let used = 0;
      for (const q of urls) {
        if (added.length >= limit) break;
        used++;
        checkString("Frontier url", q.url);
        if (frontier.has(q.url)) continue;
        const copy = queuedCopy(q);
        frontier.set(q.url, { url: q.url, depth: q.depth, parent: q.parent });
        shared.admittedBy.set(q.url, tag.blk);
        added.push({ ...copy });
      }
      const chunks: AdmitResult["chunks"] = [];
      for (const [host, list] of groupByHost(added)) {
        const chunkTag = `${host} ${tag.w}#${tag.b}#${tag.blk}`;
        if (shared.chunkTags.has(chunkTag)) continue;
        shared.chunkTags.add(chunkTag);
        let queue = shared.queues.get(host);
        if (!queue) shared.queues.set(host, queue = []);
        queue.push(list.map(queuedCopy));
        chunks.push({ host, n: queue.length, urls: list.map(queuedCopy) });
      }
      return { added, used, chunks };
    });
  }

  /** The chunks among `refs` that exist; see {@linkcode Store.readQueues}. */
  readQueues(jobId: string, refs: ChunkRef[]): Promise<Map<string, QueuedUrl[]>> {
    return settle(() => {
      checkString("Job id", jobId);
      const out = new Map<string, QueuedUrl[]>();
      const queues = this.#shared.get(jobId)?.queues;
      for (const r of refs) {
        checkString("Host", r.host);
        const chunk = queues?.get(r.host)?.[r.n - 1];
        if (chunk) out.set(chunkKey(r.host, r.n), chunk.map(queuedCopy));
      }
      return out;
    });
  }

  /** Chunk `n` of a host's queue, or `null`. */
  readQueue(jobId: string, host: string, n: number): Promise<QueuedUrl[] | null> {
    const chunk = this.#shared.get(jobId)?.queues.get(host)?.[n - 1];
    return Promise.resolve(chunk ? chunk.map(queuedCopy) : null);
  }

  /** Which of `urls` have a stored result. */
  resultsOf(jobId: string, urls: string[]): Promise<Set<string>> {
    const events = this.#events.get(jobId);
    return Promise.resolve(
      new Set(urls.filter((u) => stateOf(events?.get(u)) !== "pending")),
    );
  }

  /** Stores results, then one numbered batch; see {@linkcode Store.appendEvents}. */
  appendEvents(jobId: string, events: NewEvent[], tag: WriterTag): Promise<StoredEvent[]> {
    return settle(() => {
      checkString("Job id", jobId);
      checkTag(tag);
      const shared = this.#sharedOf(jobId);
      const batchTag = `${tag.w}#${tag.b}`;
      if (shared.batchTags.has(batchTag)) return [];
      const stored = bucket(this.#events, jobId);
      let bySeq = this.#bySeq.get(jobId);
      if (!bySeq) this.#bySeq.set(jobId, bySeq = []);
      let seq = bySeq.at(-1)?.seq ?? 0;
      const out: StoredEvent[] = [];
      for (const e of events) {
        checkString("Event key", e.key);
        if (stored.has(e.key)) continue;
        const copy = { seq: ++seq, key: e.key, event: copyEvent(e.event) };
        stored.set(e.key, copy);
        bySeq.push(copy);
        out.push(copyStored(copy));
      }
      shared.batchTags.add(batchTag);
      return out;
    });
  }

  /** Nothing is ever half written in memory: nothing to recover. */
  recoverWriter(jobId: string, w: string): Promise<void> {
    return settle(() => {
      checkString("Job id", jobId);
      checkString("Writer", w);
    });
  }

  /** Totals of the job's stored results. */
  chainTotals(jobId: string): Promise<JobCounters> {
    const c: JobCounters = { pages: 0, errors: 0, skipped: 0, bytes: 0 };
    for (const e of this.#events.get(jobId)?.values() ?? []) {
      const ev = e.event;
      if (ev.type === "page") {
        c.pages++;
        c.bytes += ev.bytes;
      } else if (ev.type === "error" && ev.sitemap !== true) c.errors++;
      else if (ev.type === "skipped") c.skipped++;
    }
    return Promise.resolve(c);
  }

  /** URLs admitted under budget block `blk`. */
  countAdmitted(jobId: string, blk: string): Promise<number> {
    let n = 0;
    for (const b of this.#shared.get(jobId)?.admittedBy.values() ?? []) if (b === blk) n++;
    return Promise.resolve(n);
  }

  /** Inserts a mark where missing. */
  putMark(jobId: string, key: string): Promise<boolean> {
    return settle(() => {
      checkString("Job id", jobId);
      const marks = this.#sharedOf(jobId).marks;
      if (marks.has(checkString("Mark", key))) return false;
      marks.add(key);
      return true;
    });
  }

  /** Whether the mark exists. */
  hasMark(jobId: string, key: string): Promise<boolean> {
    return Promise.resolve(this.#shared.get(jobId)?.marks.has(key) ?? false);
  }

  /** Inserts a token where missing. */
  putToken(jobId: string, token: Token): Promise<boolean> {
    return settle(() => {
      checkString("Job id", jobId);
      checkString("Token kind", token.kind);
      checkString("Token key", token.key);
      const tokens = this.#sharedOf(jobId).tokens;
      const id = `${token.kind} ${token.key}`;
      if (tokens.has(id)) return false;
      tokens.set(id, structuredClone(token));
      return true;
    });
  }

  /** The job's tokens of one kind. */
  listTokens(jobId: string, kind: string): Promise<Token[]> {
    const out: Token[] = [];
    for (const t of this.#shared.get(jobId)?.tokens.values() ?? []) {
      if (t.kind === kind) out.push(structuredClone(t));
    }
    return Promise.resolve(out);
  }

  /** Creates or replaces a member's state. */
  renewMember(jobId: string, member: MemberState): Promise<void> {
    return settle(() => {
      checkString("Job id", jobId);
      checkString("Owner", member.owner);
      const copy = structuredClone(member);
      copy.appended ??= [];
      copy.left = copy.left === true;
      for (const c of copy.appended) {
        checkString("Host", c.host);
        checkNumber("Chunk", c.n);
      }
      this.#sharedOf(jobId).members.set(member.owner, copy);
    });
  }

  /** The job's members. */
  listMembers(jobId: string): Promise<MemberState[]> {
    const members = this.#shared.get(jobId)?.members.values() ?? [];
    return Promise.resolve([...members].map((m) => structuredClone(m)));
  }

  /** Pages matching the query, sorted by URL. */
  listPages(jobId: string, query: PageQuery): Promise<PageEvent[]> {
    return settle(() => {
      checkString("Job id", jobId);
      if (query.status !== undefined) checkNumber("Status", query.status);
      if (query.url !== undefined) checkString("Url", query.url);
      if (query.after !== undefined) checkString("After", query.after);
      const n = checkLimit(query.limit);
      const fields = query.fields === undefined ? undefined : checkFields(query.fields);
      const pages: PageEvent[] = [];
      for (const e of this.#events.get(jobId)?.values() ?? []) {
        if (e.event.type === "page") pages.push(e.event);
      }
      return pages
        .filter((p) =>
          (query.status === undefined || p.status === query.status) &&
          (query.url === undefined || p.url === query.url) &&
          (query.after === undefined || p.url > query.after)
        )
        .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
        .slice(0, n)
        .map((p) => copyEvent(pickPageFields(p, fields)) as PageEvent);
    });
  }
}

/** What a shared job keeps besides the frontier and the events. */
interface SharedJob {
  /** The budget block each admitted URL was admitted under. */
  admittedBy: Map<string, string>;
  /** Each host's queue: its chunks, chunk `n` at index `n - 1`. */
  queues: Map<string, QueuedUrl[][]>;
  /** `<host> <w>#<b>#<blk>` of every chunk written. */
  chunkTags: Set<string>;
  /** `<w>#<b>` of every event batch written. */
  batchTags: Set<string>;
  /** Tokens by `<kind> <key>`. */
  tokens: Map<string, Token>;
  /** Marks by key. */
  marks: Set<string>;
  /** Members by owner. */
  members: Map<string, MemberState>;
}

/** Throws `StoreError("invalid")` unless `tag` is a writer tag. */
function checkTag(tag: WriterTag): void {
  checkString("Writer", tag.w);
  checkNumber("Writer batch", tag.b);
}

/**
 * A deep copy of an event (see `plainClone`): a tenth of the cost of
 * `structuredClone`, which matters on a 20,000-page job written and read
 * back event by event.
 */
function copyEvent(e: CrawlEvent): CrawlEvent {
  return plainClone(e) as CrawlEvent;
}

/**
 * A deep copy of a JSON-like value: plain objects and arrays copied,
 * anything else kept. `structuredClone` of a page's `meta` cost this store
 * more than the rest of a write.
 */
function plainClone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainClone);
  if (v === null || typeof v !== "object" || v instanceof Date) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = plainClone((v as Record<string, unknown>)[k]);
  return out;
}

function copyStored(e: StoredEvent): StoredEvent {
  return { seq: e.seq, key: e.key, event: copyEvent(e.event) };
}

/** The state of a queued URL given its stored event (none: `pending`). */
function stateOf(e: StoredEvent | undefined): FrontierState {
  const t = e?.event.type;
  return t === "page" || t === "error" || t === "skipped" ? t : "pending";
}

/** The inner map of `outer` for `jobId`, created when missing. */
function bucket<V>(outer: Map<string, Map<string, V>>, jobId: string): Map<string, V> {
  let inner = outer.get(jobId);
  if (!inner) {
    inner = new Map();
    outer.set(jobId, inner);
  }
  return inner;
}

/** Oldest first: by `createdAt`, then by id. */
function byAge(a: JobDoc, b: JobDoc): number {
  const d = a.createdAt.getTime() - b.createdAt.getTime();
  return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Queued or running, and nobody holds a valid lease at `now`. */
function claimable(job: JobDoc, now: Date): boolean {
  if (job.status !== "queued" && job.status !== "running") return false;
  return job.owner === null || job.leaseUntil === null ||
    job.leaseUntil.getTime() <= now.getTime();
}

/** Runs `fn` now; its result or throw becomes a settled promise. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
