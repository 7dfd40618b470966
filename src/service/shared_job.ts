/**
 * One process's part in a shared job (issue 11): many processes work on one
 * job at once, and the job's frontier in the store is the source of truth.
 *
 * - **Hosts under leases.** A host's URLs are a queue of chunks in the store.
 *   A process takes a host by inserting the next lease token of that host
 *   (`lease <host>#<gen>`, won by one process on MongoDB and FerretDB alike)
 *   and only then fetches its URLs, so `perHost`, `delayMs`, `Crawl-delay`
 *   and robots.txt hold across processes. A lease lives as long as its
 *   holder's member record (renewed every `leaseMs / 3`); SIGTERM hands the
 *   hosts back at once (a release token), SIGKILL lets them expire.
 * - **A bounded window.** It takes a host's chunks only while fewer than
 *   `window` of that host's URLs are queued or in flight here; links it finds
 *   are admitted into the store (which dedupes them) and go to their host's
 *   queue: a chunk for a host held here is taken at once, one for a host held
 *   elsewhere is announced in this member's record, and its holder reads it.
 *   Queues are read back only then (and when a host is taken or released):
 *   on FerretDB 1.24 every lookup reads the whole collection.
 * - **Two writers.** Links are admitted while earlier results are written;
 *   a result is written only once its page's links are admitted.
 * - **`maxPages` exactly.** URLs are admitted under budget blocks
 *   (`page_budget.ts`).
 * - **Events numbered once.** A flush stores its results and appends one
 *   batch to the job's event chain (`Store.appendEvents`), so `seq` has no
 *   gaps whoever wrote what.
 * - **Crash.** A writer whose member lease ran out is finished by the next
 *   process that looks (`Store.recoverWriter`); a host taken over is read
 *   again from its first chunk not marked done (`qdone` marks), skipping
 *   URLs with a stored result. Only URLs in flight in the dead process, or
 *   fetched and not yet written, are fetched again.
 * - **The end.** The process holding the job's lease (the coordinator, by the
 *   claim protocol) sees that every live member is idle, every host released
 *   with nothing left in its queue, and that no member did anything
 *   meanwhile; it then appends `done` and completes the job.
 *
 * `concurrency` is per process; `perHost` per host, whoever holds it.
 *
 * @example
 * ```ts ignore
 * await runSharedJob(job, env, { ac, drain, run: null }, true);
 * ```
 * @module
 */
import type { CrawlEvent } from "../crawl/events.ts";
import { crawl, type CrawlRun } from "../crawl/crawl.ts";
import { resolveOptions } from "../crawl/options.ts";
import type { Fetcher } from "../net/fetcher.ts";
import { hostnameOf } from "../url/url_parts.ts";
import {
  chunkKey,
  eventKey,
  type JobCounters,
  type JobDoc,
  type MemberState,
  type NewEvent,
  queuedCopy,
  type QueuedUrl,
  type Store,
  StoreError,
  type Token,
  type WriterTag,
} from "../store/store.ts";
import { delay } from "../async/delay.ts";
import { PageBudget } from "./page_budget.ts";
import { type FinishLook, finishStep } from "./finish_check.ts";
import type { JobHub } from "./job_hub.ts";
import type { Metrics } from "./metrics.ts";

/** What a shared job's run needs from its process. */
export interface SharedJobEnv {
  store: Store;
  /** The process's name in job leases. */
  owner: string;
  leaseMs: number;
  flushMs: number;
  batchSize: number;
  storeRetryMs: number;
  heapLimitBytes: number;
  fetcher: Fetcher;
  hub: JobHub;
  metrics: Metrics;
  log: (message: string) => void;
}

/** The handles of a run its process keeps (cancel, drain, progress). */
export interface SharedJobHandles {
  /** Hard stop: fetches in flight are aborted. */
  ac: AbortController;
  /** Gentle stop: fetches in flight finish and are written, the hosts handed back. */
  drain: AbortController;
  /** The engine, once started. */
  run: CrawlRun | null;
}

/** A host this process holds. */
interface HeldHost {
  host: string;
  gen: number;
  /** The next chunk to read. */
  next: number;
  /** Chunks read and not yet done: chunk number to URLs not yet written. */
  open: Map<number, number>;
  /** Every chunk up to this one is done (all its URLs have a stored result). */
  doneThrough: number;
  /** Chunks up to this one may have been read by an earlier holder: skip stored results. */
  verifyThrough: number;
  /** URLs of this host queued or in flight here. */
  local: number;
  /** The last read found no next chunk. */
  atEnd: boolean;
  /** Since when it has had nothing to do (`performance.now()`), or `null`. */
  idleSince: number | null;
  /** Being handed to another member: no more chunks read; released once drained. */
  handoff: boolean;
  /** When its queue was last found to end (`performance.now()`). */
  probedAt: number;
  /** This process added to its queue since. */
  dirty: boolean;
}

const ENDED = new Set(["completed", "cancelled", "failed"]);

/**
 * How often the end of a held host's queue is looked at again without a
 * reason, in ms (see `readChunks`): a safety net, as this process takes its
 * own chunks at once and the others announce theirs.
 */
const PROBE_MS = 10_000;
/**
 * Pages fetched and not yet taken from the engine, at most (its output
 * buffer): with the pages in flight, this bounds the links found and not
 * yet admitted (a page's links come before its event).
 */
const OUTPUT_BUFFER = 32;
/** URLs queued or in flight here for the held hosts together, at most (about; see `window`). */
const WINDOW_URLS = 40_000;
/** How long a member announces a chunk it appended to a host held elsewhere, in ms. */
const APPENDED_MS = 10_000;
/**
 * How often a host released as empty is looked at again by one process
 * without a reason, in ms: a safety net (see `takeHosts`).
 */
const EMPTY_PROBE_MS = 30_000;
/** Links admitted lately, skipped without a round trip; cleared when this large. */
const RECENT_LINKS = 100_000;
/**
 * Links admitted by one write at most: small enough that a host's first links come back
 * soon (a write waits for the database's lock behind the others' writes).
 */
const ADMIT_PER_FLUSH = 1_000;
/** Events one write stores at most, in batches of `batchSize`. */
const WRITE_BATCHES = 5;
/** Event writes of one process in flight at once, at most (see `kickWrite`). */
const WRITERS = 2;
/** How long after joining a job a process takes no more hosts than fill its slots, in ms. */
const SETTLE_MS = 3000;
/** Events not yet written, in batches, past which the engine waits for a flush. */
const MAX_EVENTS_FACTOR = 24;
/**
 * Links of the pages among the events not yet written past which the engine
 * waits for a flush: with `MAX_EVENTS_FACTOR`, this bounds the memory those
 * events hold (a page with 1,000 links weighs as much as 1,000 without).
 */
const MAX_EVENT_LINKS = 50_000;
/** Links found and not yet admitted past which no new chunk is read (backpressure). */
const MAX_CANDIDATES = 20_000;

function emptyCounters(): JobCounters {
  return { pages: 0, errors: 0, skipped: 0, bytes: 0 };
}

/** Why a shared run stopped early. */
class SharedStop extends Error {
  readonly kind: "lease_lost" | "store_down";
  constructor(kind: "lease_lost" | "store_down", message: string) {
    super(message);
    this.name = "SharedStop";
    this.kind = kind;
  }
}

/**
 * Works on `job` with the others until it ends here (the job ended, this
 * process stops, or it lost its member lease). `coordinator`: this process
 * holds the job's lease (from `claimJob`).
 */
export async function runSharedJob(
  job: JobDoc,
  env: SharedJobEnv,
  handles: SharedJobHandles,
  coordinator: boolean,
): Promise<void> {
  const { store, hub, metrics, log } = env;
  const id = job.id;
  const opts = resolveOptions(job.options);
  const w = `${env.owner}/${crypto.randomUUID().slice(0, 8)}`;
  /**
   * URLs of one held host that may be queued or in flight here: a share of
   * `WINDOW_URLS` among the hosts it wants, at least 256 and `8 x perHost`.
   * The larger it is, the fewer chunks come back from the store: a host's
   * own links are taken as they are admitted, while it has room.
   */
  const window = () =>
    Math.max(256, 8 * opts.perHost, Math.floor(WINDOW_URLS / Math.max(1, wantHosts())));
  /** Hosts enough to fill `concurrency` when each gives `perHost`. */
  const minHosts = Math.max(1, Math.ceil(opts.concurrency / opts.perHost));
  let knownHostCount = 0;
  /**
   * How many hosts to hold: a fair share of the job's hosts among the live
   * members, at least `minHosts` and at most twice that. More than
   * `minHosts` keeps the slots busy while a host starts (its first pages
   * must be fetched before its queue grows) or ends (its last pages are in
   * flight).
   */
  const wantHosts = () => {
    // Just joined: processes that join with this one are not members yet, and a host taken
    // now is handed over only once drained. Take what fills the slots, no more, at first.
    if (performance.now() - joinedAt < SETTLE_MS) return minHosts;
    let n = 0;
    for (const m of live.values()) if (isLive(m.owner)) n++;
    const share = Math.ceil(knownHostCount / Math.max(1, n));
    return Math.max(minHosts, Math.min(2 * minHosts, share));
  };
  const joinedAt = performance.now();
  const renewEvery = Math.max(50, Math.min(500, Math.floor(env.leaseMs / 3)));
  const { ac, drain } = handles;
  const signal = ac.signal;

  let leaseValidUntil = 0;
  let live = new Map<string, MemberState>();
  /** Whether a member holds its lease (one not seen yet counts as live: it may have just joined). */
  const isLive = (owner: string) =>
    owner === w || (live.get(owner)?.leaseUntil.getTime() ?? Infinity) > Date.now();
  const budget = new PageBudget(store, id, w, opts.maxPages);
  const held = new Map<string, HeldHost>();
  const origin = new Map<string, { host: string; n: number }>();
  const recovered = new Set<string>();
  const recent = new Set<string>();
  /** Hosts this run registered (a `host` token each). */
  const knownHosts = new Set<string>();
  let candidates: QueuedUrl[] = [];
  /** An admission is due right after the current parse (see the engine's `admit`). */
  let admitSoon = false;
  /** `qread` marks being written (see `consume`). */
  const marking = new Set<Promise<boolean>>();
  /** The seeds, held back by a process that is not the coordinator. */
  const seeds: QueuedUrl[] = [];
  let events: NewEvent[] = [];
  /** Links of the `page` events in `events`. */
  let eventLinks = 0;
  let b = 0;
  let work = 0;
  const counters = emptyCounters();
  let admitting: Promise<void> | null = null;
  /** The event writers running (at most `WRITERS`). */
  const writing = new Set<Promise<void>>();
  /** Links ever added to `candidates`, and how many of them (the first ones) were admitted. */
  let linksFound = 0;
  let linksDone = 0;
  /** For each unwritten event, `linksFound` when it came: its page's links are among those. */
  let eventsAfter: number[] = [];
  let dropped = false;
  let ended = false;
  let last = 0;
  let lastTake = 0;

  /** Retries a store call until it works, the run stops, or `storeRetryMs` passed. */
  const retry = async <T>(fn: () => Promise<T>): Promise<T> => {
    let wait = 250;
    const giveUpAt = Date.now() + env.storeRetryMs;
    for (;;) {
      if (performance.now() > leaseValidUntil) {
        throw new SharedStop("lease_lost", `job ${id}: member lease ran out`);
      }
      try {
        return await fn();
      } catch (e) {
        if (e instanceof StoreError && e.code === "invalid") throw e;
        if (Date.now() + wait > giveUpAt) throw new SharedStop("store_down", String(e));
        log(`job ${id}: store call failed, retrying in ${wait} ms: ${(e as Error).message}`);
        await delay(wait);
        wait = Math.min(wait * 2, 5000);
      }
    }
  };

  let lastActivity = 0;
  /** What the member record said last about `idle`. */
  let idleSaid = false;
  const idleHere = () =>
    performance.now() - lastActivity > env.flushMs && held.size === 0 &&
    (handles.run?.progress.inFlight ?? 0) === 0 &&
    (handles.run?.progress.queued ?? 0) === 0 && events.length === 0 &&
    candidates.length === 0 && admitting === null && writing.size === 0;

  /** Chunks appended here to hosts held elsewhere, announced for `APPENDED_MS`. */
  const appended = new Map<string, { n: number; at: number }>();
  const member = (leaseUntil: Date): MemberState => {
    const now = performance.now();
    for (const [host, a] of appended) if (now - a.at > APPENDED_MS) appended.delete(host);
    return {
      owner: w,
      leaseUntil,
      idle: idleHere(),
      work,
      counters: { ...counters },
      appended: [...appended].map(([host, a]) => ({ host, n: a.n })),
    };
  };

  const renew = async () => {
    const started = performance.now();
    await store.renewMember(id, member(new Date(Date.now() + env.leaseMs)));
    // Valid until a third of the lease before it runs out, by this process's clock.
    leaseValidUntil = started + env.leaseMs - env.leaseMs / 3;
  };

  // ---- writing: admissions, then results and events, then chunk marks ----

  /** Admits `cands` under budget blocks; resolves with how many it put back (no budget yet). */
  const admit = async (cands: QueuedUrl[], tag: WriterTag): Promise<number> => {
    let rest = cands;
    while (rest.length > 0) {
      const block = await budget.take();
      if (block === null) {
        if (!dropped) await store.putToken(id, token("dropped", "dropped", {}));
        dropped = true;
        return 0;
      }
      if (block === "wait") {
        candidates = rest.concat(candidates);
        return rest.length;
      }
      // Hosts are registered first: a host the store queues a URL of is always known.
      const fresh = new Set<string>();
      for (const q of rest) {
        const host = hostnameOf(q.url);
        if (!knownHosts.has(host)) fresh.add(host);
      }
      await Promise.all([...fresh].map((host) => store.putToken(id, token("host", host, {}))));
      for (const host of fresh) knownHosts.add(host);
      const r = await store.admitUrls(id, rest, { ...tag, blk: block.id }, block.left);
      budget.use(r.added.length);
      // A chunk of a host held here is taken at once, not read back (unless this process is
      // behind on that host's queue, or has enough of it): the next read would find it.
      // A chunk for a host held elsewhere is announced in this member's record, so that its
      // holder reads that queue again (it does not look otherwise: see `readChunks`).
      const told = new Map<string, number>();
      const taking: Promise<void>[] = [];
      for (const c of r.chunks) {
        const h = held.get(c.host);
        if (h && h.next === c.n && readable(h)) taking.push(consume(h, c.n, c.urls));
        else if (h) h.dirty = true;
        else told.set(c.host, c.n);
      }
      await Promise.all(taking);
      const chunked = new Set(r.chunks.map((c) => c.host));
      for (const q of r.added) {
        const host = hostnameOf(q.url);
        if (told.has(host) || chunked.has(host)) continue;
        const h = held.get(host);
        if (h) h.dirty = true;
        else told.set(host, 0); // appended at a number not known here
      }
      const now = performance.now();
      for (const [host, n] of told) {
        const before = appended.get(host)?.n ?? 0;
        appended.set(host, { n: n === 0 || before === 0 ? 0 : Math.max(n, before), at: now });
      }
      rest = rest.slice(r.used);
    }
    return 0;
  };

  const finishUrls = async (urls: string[]) => {
    for (const u of urls) {
      const o = origin.get(u);
      if (!o) continue;
      origin.delete(u);
      const h = held.get(o.host);
      if (!h) continue;
      h.local--;
      const left = (h.open.get(o.n) ?? 1) - 1;
      h.open.set(o.n, left);
    }
    // Marks of one host in order (a later holder looks for the last one), hosts side by side.
    await Promise.all([...held.values()].map(async (h) => {
      while (h.open.get(h.doneThrough + 1) === 0) {
        h.open.delete(h.doneThrough + 1);
        await store.putMark(id, `qdone ${h.host}#${h.doneThrough + 1}`);
        h.doneThrough++;
      }
    }));
  };

  /**
   * Admits the next links (at most ADMIT_PER_FLUSH): true when it got any
   * further. Links are admitted in the order found; `linksDone` counts them.
   */
  const admitOnce = async (): Promise<boolean> => {
    const cands = candidates.slice(0, ADMIT_PER_FLUSH);
    candidates = candidates.slice(cands.length);
    if (cands.length === 0) return false;
    const tag = { w, b: ++b };
    let attempts = 0;
    let back = 0;
    await retry(async () => {
      // A second attempt may find its own first attempt's writes: say so (see `WriterTag`).
      back = await admit(cands, attempts++ === 0 ? tag : { ...tag, replay: true });
    });
    linksDone += cands.length - back;
    work++;
    wrote();
    return back < cands.length;
  };

  /**
   * Writes the events whose pages' links are admitted (all of them when
   * `all`): true when it wrote any. A result is never stored before the
   * links of its page, so a process that dies loses no link: the page is
   * fetched again.
   */
  const writeOnce = async (all: boolean): Promise<boolean> => {
    const n = writable(all);
    if (n === 0) return false;
    const evs = events.slice(0, n);
    events = events.slice(n);
    for (const e of evs) if (e.event.type === "page") eventLinks -= e.event.links.length;
    eventsAfter = eventsAfter.slice(n);
    const tag = { w, b: ++b };
    let stored = false;
    let attempts = 0;
    // Followers here wait for these events rather than read them back (see `JobHub.writing`).
    hub.writing(id, 1);
    await retry(async () => {
      const t = attempts++ === 0 ? tag : { ...tag, replay: true };
      if (!stored) {
        await Promise.all(marking);
        const out = await metrics.timeStoreWrite(() => store.appendEvents(id, evs, t));
        for (const e of out) countEvent(counters, e.event);
        hub.publish(id, out);
        stored = true;
      }
      await finishUrls(evs.map((e) => e.event).filter((e) => e.type !== "done").map(urlOf));
    }).finally(() => hub.writing(id, -1));
    work++;
    wrote();
    return true;
  };

  /** How many of the first events the next write takes (see `writeOnce`). */
  const writable = (all: boolean): number => {
    let n = 0;
    const most = all ? events.length : WRITE_BATCHES * env.batchSize;
    while (n < most && n < events.length && (all || eventsAfter[n] <= linksDone)) n++;
    return n;
  };

  /**
   * Writers side by side: links are admitted while earlier events are
   * written (a flush that did both in turn held every new link up behind the
   * events), and up to `WRITERS` event writes overlap (the store appends
   * their batches in call order). One write at a time kept the database
   * waiting on this process and the engine waiting on the write.
   */
  const kickAdmit = () => {
    admitting ??= (async () => {
      try {
        while (await admitOnce()) kickWrite();
      } finally {
        admitting = null;
      }
    })().catch(stopAll);
  };
  const kickWrite = (all = false) => {
    while (writing.size < WRITERS && (writing.size === 0 || writable(all) > 0)) {
      const writer = (async () => {
        while (await writeOnce(all));
      })().catch(stopAll).finally(() => writing.delete(writer));
      writing.add(writer);
      if (all) break;
    }
  };
  /** Waiters for the next write done (see `progress`). */
  let progressed: (() => void)[] = [];
  const wrote = () => {
    const waiting = progressed;
    progressed = [];
    for (const r of waiting) r();
  };
  /** Resolves when a writer finishes a write, or after `ms` (when none is running). */
  const progress = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        progressed = progressed.filter((r) => r !== done);
        resolve();
      }
      progressed.push(done);
    });

  // ---- hosts: lease, read, release ----

  function token(kind: string, key: string, data: Token["data"], owner: string | null = w): Token {
    return { kind, key, owner, data, at: new Date() };
  }

  /**
   * Whether more of a held host's queue may come here: fewer than `window`
   * of its URLs queued or in flight here, not being handed over, and no
   * backpressure (links waiting for admission: the store is the bottleneck).
   */
  const readable = (h: HeldHost) =>
    h.local < window() && !h.handoff && candidates.length < MAX_CANDIDATES &&
    !drain.signal.aborted && !signal.aborted;

  /**
   * Takes chunk `n` of a held host (its next one) into the engine: marked
   * read first (so a later holder checks its URLs against stored results),
   * and checked against them here when an earlier holder may have read it.
   * The chunk is claimed before the first `await`, so the flush (taking its
   * own chunks) and the reads never take one chunk twice.
   */
  const consume = async (h: HeldHost, n: number, urls: QueuedUrl[]) => {
    if (h.next !== n) return;
    h.next++;
    work++;
    const mark = retry(() => store.putMark(id, `qread ${h.host}#${n}`));
    let fresh = urls;
    if (n <= h.verifyThrough) {
      await mark;
      const done = await store.resultsOf(id, urls.map((q) => q.url));
      fresh = urls.filter((q) => !done.has(q.url));
    } else {
      // Its URLs are fetched while the mark is written: no result is written before the
      // marks (`writeOnce` waits for them), so a later holder still checks every result.
      // A mark that cannot be written stops this process's part, as a failed write does.
      marking.add(mark);
      mark.catch(stopAll).finally(() => marking.delete(mark));
    }
    let added = 0;
    for (const q of fresh) {
      if (handles.run?.add(q)) {
        origin.set(q.url, { host: h.host, n });
        added++;
      }
    }
    h.local += added;
    h.open.set(n, added);
  };

  /**
   * Reads the next chunks of held hosts, all hosts' at once each round, while
   * they are `readable`. Past the end of its queue a host is looked at again
   * only when it is `dirty` (this process appended a chunk it did not take,
   * another member announced one, a member died), when `force`d, or after
   * `PROBE_MS`: on FerretDB 1.24 every lookup reads the whole collection, and
   * hosts probed on every tick kept a database core busy.
   */
  const readChunks = async (hosts: Iterable<HeldHost>, force = false) => {
    const due = (h: HeldHost) =>
      readable(h) && held.get(h.host) === h &&
      (force || !h.atEnd || h.dirty || performance.now() - h.probedAt >= PROBE_MS);
    let want = [...hosts].filter(due);
    while (want.length > 0) {
      const refs = want.map((h) => ({ host: h.host, n: h.next }));
      for (const h of want) h.dirty = false;
      const found = await store.readQueues(id, refs);
      const more: HeldHost[] = [];
      for (const [i, h] of want.entries()) {
        const urls = found.get(chunkKey(h.host, refs[i].n));
        if (urls === undefined) {
          if (h.next === refs[i].n) {
            h.atEnd = true;
            h.probedAt = performance.now();
          }
          continue;
        }
        h.atEnd = false;
        await consume(h, refs[i].n, urls);
        if (readable(h) && held.get(h.host) === h) more.push(h);
      }
      want = more;
    }
  };

  /**
   * Hands back the hosts with nothing left: queue read to its end, nothing
   * queued or in flight here, nothing unwritten, for three flush intervals
   * (their last pages' links may still add to their queue). True when any.
   */
  const releaseIdle = async () => {
    let any = false;
    const now = performance.now();
    const idle: HeldHost[] = [];
    for (const h of [...held.values()]) {
      if (h.handoff && h.local === 0 && h.open.size === 0) {
        await release(h, false);
        any = true;
        continue;
      }
      const linksPending = candidates.length > 0 || admitting !== null;
      if (!(h.atEnd && h.local === 0 && h.open.size === 0 && !linksPending)) {
        h.idleSince = null;
        continue;
      }
      h.idleSince ??= now;
      // Its own pages are all written, their links admitted: one beat for links from others.
      if (now - h.idleSince >= env.flushMs) idle.push(h);
    }
    if (idle.length === 0) return any;
    await readChunks(idle, true);
    for (const h of idle) {
      if (held.get(h.host) !== h || !h.atEnd || h.local > 0) continue;
      await release(h, true);
      any = true;
    }
    return any;
  };

  const release = async (h: HeldHost, empty: boolean) => {
    held.delete(h.host);
    nextTakeAt = 0;
    await store.putToken(
      id,
      token("lease", `${h.host}#${h.gen + 1}`, {
        host: h.host,
        gen: h.gen + 1,
        next: h.doneThrough + 1,
        empty,
      }, null),
    );
  };

  /** The latest lease token of each host. */
  const latestLeases = async () => {
    const latest = new Map<string, Token>();
    for (const t of await store.listTokens(id, "lease")) {
      const host = String(t.data.host);
      const cur = latest.get(host);
      if (!cur || Number(t.data.gen) > Number(cur.data.gen)) latest.set(host, t);
    }
    return latest;
  };

  /**
   * The last of a host's marks `<kind> <host>#1`, `#2`, ... (written in
   * order, so without holes), found by galloping `_id` lookups from a guess.
   */
  const lastMark = async (kind: string, host: string, from: number) => {
    const has = (n: number) => store.hasMark(id, `${kind} ${host}#${n}`);
    let lo = from > 0 && await has(from) ? from : 0;
    let step = 1;
    let hi = lo + 1;
    while (await has(hi)) {
      lo = hi;
      step *= 2;
      hi = lo + step;
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (await has(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  };

  /**
   * Looks for free hosts and leases them up to `wantHosts()`. A look that
   * finds none is not repeated for a second (idle members would otherwise
   * keep the database busy at the end of a job), unless something changed
   * here (a host released, a member found dead).
   */
  let nextTakeAt = 0;
  const emptyProbed = new Map<string, { next: number; at: number }>();
  /** Hosts released as empty and looked at before this time are looked at again. */
  let lookAgainAt = 0;
  const takeHosts = async () => {
    if (performance.now() < nextTakeAt) return;
    nextTakeAt = performance.now() + 1000;
    const hosts = await store.listTokens(id, "host");
    knownHostCount = hosts.length;
    // No host yet (the job is starting): look again at the next beat, not a second later.
    if (hosts.length === 0) nextTakeAt = 0;
    const latest = await latestLeases();
    const free: { host: string; gen: number }[] = [];
    /** Chunks the other members announce (see `MemberState.appended`). */
    const announced = [...live.values()].flatMap((m) => m.owner === w ? [] : m.appended ?? []);
    /** Released with nothing left: worth taking only if its queue grew since. */
    const empties: { host: string; gen: number; next: number }[] = [];
    for (const ht of hosts) {
      const host = ht.key;
      if (held.has(host)) continue;
      const t = latest.get(host);
      if (!t) {
        free.push({ host, gen: 0 });
        continue;
      }
      if (t.owner !== null && isLive(t.owner)) continue;
      if (t.owner === null && t.data.empty === true) {
        // Looked at again when a member announced a chunk for it, a member died, the
        // coordinator found one, or EMPTY_PROBE_MS passed: all of them at once.
        const next = Number(t.data.next);
        let probed = emptyProbed.get(host);
        if (probed?.next !== next) {
          // Seen for the first time: its releaser has just looked.
          probed = { next, at: performance.now() };
          emptyProbed.set(host, probed);
        }
        const told = announced.some((c) => c.host === host && (c.n === 0 || c.n >= next));
        if (
          !told && probed.at >= lookAgainAt && performance.now() - probed.at < EMPTY_PROBE_MS
        ) continue;
        emptyProbed.set(host, { next, at: performance.now() });
        empties.push({ host, gen: Number(t.data.gen), next });
        continue;
      }
      free.push({ host, gen: Number(t.data.gen) });
    }
    if (empties.length > 0) {
      const found = await store.readQueues(id, empties.map((e) => ({ host: e.host, n: e.next })));
      for (const e of empties) if (found.has(chunkKey(e.host, e.next))) free.push(e);
    }
    if (free.length === 0) return;
    nextTakeAt = 0;
    // Spread the processes over the hosts: each starts at a different place. The hosts
    // wanted are leased side by side; one lost to another process is made up next round.
    const start = Math.floor(Math.random() * free.length);
    const picked = Array.from(
      { length: Math.min(free.length, Math.max(0, wantHosts() - held.size)) },
      (_, i) => free[(start + i) % free.length],
    );
    await Promise.all(picked.map(async (f) => {
      const gen = f.gen + 1;
      const won = await store.putToken(
        id,
        token("lease", `${f.host}#${gen}`, { host: f.host, gen }),
      );
      if (!won) return;
      const hint = Number(latest.get(f.host)?.data.next ?? 1) - 1;
      const doneThrough = await lastMark("qdone", f.host, hint);
      held.set(f.host, {
        host: f.host,
        gen,
        next: doneThrough + 1,
        open: new Map(),
        doneThrough,
        verifyThrough: await lastMark("qread", f.host, doneThrough),
        local: 0,
        atEnd: false,
        idleSince: null,
        handoff: false,
        probedAt: 0,
        dirty: false,
      });
      work++;
    }));
    if (picked.length > 0) {
      await readChunks(picked.map((f) => held.get(f.host)).filter((h) => h !== undefined));
    }
  };

  const recoverDead = async () => {
    for (const m of live.values()) {
      if (m.owner === w || recovered.has(m.owner) || m.leaseUntil.getTime() > Date.now()) continue;
      if (m.left === true) {
        // Signed off with everything written: its hosts are free, nothing to finish.
        recovered.add(m.owner);
        nextTakeAt = 0;
        continue;
      }
      await store.recoverWriter(id, m.owner);
      recovered.add(m.owner);
      nextTakeAt = 0;
      // Its last chunks were announced in a record that may not have been written.
      for (const h of held.values()) h.dirty = true;
      lookAgainAt = performance.now();
    }
  };

  /**
   * Whether the job is over, checked by the coordinator on each tick: every
   * live member idle, every host released with nothing left in its queue,
   * and, since the last tick that found the same, every other live member
   * renewed its record (so the records are fresh) without doing anything
   * (`finishStep`; alone on the job, one look is enough).
   */
  let finishCheck: FinishLook | null = null;
  const finished = async (): Promise<boolean> => {
    const others = [...live.values()].filter((m) =>
      m.owner !== w && m.leaseUntil.getTime() > Date.now()
    );
    /** Where each host's queue would go on, when every host is released; `null` otherwise. */
    const releasedEnds = async () => {
      const latest = await latestLeases();
      const refs = [];
      for (const ht of await store.listTokens(id, "host")) {
        const t = latest.get(ht.key);
        if (!t || t.owner !== null) return null;
        refs.push({ host: ht.key, n: Number(t.data.next) });
      }
      return refs;
    };
    const ends = others.every((m) => m.idle) ? await releasedEnds() : null;
    if (ends === null) {
      finishCheck = null;
      return false;
    }
    const step = finishStep(finishCheck, work, others);
    finishCheck = step.look;
    if (!step.confirmed) return false;
    // Confirmed but for the queues, looked at last (a lookup each).
    if ((await store.readQueues(id, ends)).size === 0) return true;
    // A queue grew after its host was released as empty, unannounced: take it.
    lookAgainAt = performance.now();
    nextTakeAt = 0;
    finishCheck = null;
    return false;
  };

  let countersWritten = { key: "", at: -Infinity };
  let leaseRenewedAt = -Infinity;
  /** The last chunk number of each member's announcement for a host acted on here. */
  const heard = new Map<string, number>();
  const tick = async () => {
    live = new Map((await store.listMembers(id)).map((m) => [m.owner, m]));
    for (const m of live.values()) {
      if (m.owner === w) continue;
      for (const c of m.appended ?? []) {
        const h = held.get(c.host);
        if (!h || (c.n !== 0 && c.n < h.next)) continue;
        // Acted on once per announcement (a member announces a chunk for a while).
        const key = `${m.owner} ${c.host}`;
        if (heard.get(key) === c.n) continue;
        heard.set(key, c.n);
        h.dirty = true;
      }
    }
    await recoverDead();
    const current = await store.getJob(id);
    if (!current || ENDED.has(current.status)) {
      ended = true;
      drain.abort(new SharedStop("lease_lost", "job ended"));
      return;
    }
    if (current.cancelRequested && !signal.aborted) ac.abort(new Error("cancelled"));
    if (coordinator) {
      // At most once a beat, however often the coordinator ticks.
      if (performance.now() - leaseRenewedAt >= renewEvery) {
        leaseRenewedAt = performance.now();
        coordinator = await store.renewLease(id, env.owner, env.leaseMs, new Date());
        if (!coordinator) metrics.leaseRenewalFailed();
      }
    } else if (
      current.owner === null || current.leaseUntil === null ||
      current.leaseUntil.getTime() <= Date.now()
    ) {
      coordinator = (await store.claimJob(env.owner, env.leaseMs, new Date(), id)) !== null;
      if (coordinator) {
        linksFound += seeds.length;
        candidates.push(...seeds.splice(0));
      }
    }
    if (coordinator) {
      const total = emptyCounters();
      for (const m of live.values()) {
        total.pages += m.counters.pages;
        total.errors += m.counters.errors;
        total.skipped += m.counters.skipped;
        total.bytes += m.counters.bytes;
      }
      // Written when they changed, at most once a second (an update rewrites the job).
      const key = JSON.stringify(total);
      if (key !== countersWritten.key && performance.now() - countersWritten.at >= 1000) {
        await store.updateJob(id, { counters: total });
        countersWritten = { key, at: performance.now() };
      }
    }
    if (drain.signal.aborted || signal.aborted) return;
    await releaseIdle();
    if (held.size < wantHosts()) await takeHosts();
    else {
      // More than a fair share (members joined): stop reading the extra hosts (those with
      // the least here), hand them over once drained.
      const keep = [...held.values()].filter((h) => !h.handoff);
      const extra = keep.length - wantHosts();
      if (extra > 0) {
        for (const h of keep.sort((a, b) => a.local - b.local).slice(0, extra)) h.handoff = true;
      }
    }
    await readChunks([...held.values()].filter((h) => h.local === 0));
    if (idleHere() && budget.holding && candidates.length === 0) await budget.close();
    if (coordinator && idleHere() && await finished()) await complete(current);
  };

  const complete = async (current: JobDoc) => {
    const totals = await store.chainTotals(id);
    const reason = (await store.listTokens(id, "dropped")).length > 0 ? "max_pages" : "complete";
    const started = (current.startedAt ?? current.createdAt).getTime();
    const done: CrawlEvent = {
      type: "done",
      stats: { ...totals, durationMs: Math.max(0, Date.now() - started) },
      reason,
    };
    hub.publish(id, await store.appendEvents(id, [{ key: "done", event: done }], { w, b: ++b }));
    await store.updateJob(id, {
      status: "completed",
      counters: totals,
      finishedAt: new Date(),
      owner: null,
      leaseUntil: null,
    });
    ended = true;
    hub.end(id);
    drain.abort(new SharedStop("lease_lost", "job completed"));
  };

  // ---- the run ----
  await renew();
  // Followers here read this process's events from memory, the others' from the store.
  hub.open(id, await retry(() => store.maxSeq(id)), { partial: true });
  const firstStart = job.status === "queued";
  if (coordinator) {
    await retry(() =>
      store.updateJob(id, {
        status: "running",
        startedAt: job.startedAt ?? new Date(),
        error: null,
      })
    );
  }
  // The seeds enter like links (the store dedupes them); known hosts are registered by admission.
  const run = crawl(job.urls, { ...opts, sitemaps: opts.sitemaps && firstStart }, {
    signal,
    fetcher: env.fetcher,
    drain: drain.signal,
    heapLimitBytes: env.heapLimitBytes,
    outputBuffer: OUTPUT_BUFFER,
    admit: (t) => {
      // Only the coordinator admits the seeds: a joiner's would all be refused as known, and
      // on FerretDB a refused insert makes its whole batch go in one by one. A joiner that
      // becomes the coordinator admits them then (see `tick`).
      if (t.depth === 0 && t.parent === null && !coordinator) {
        seeds.push(queuedCopy(t));
        return;
      }
      if (recent.has(t.url)) return;
      if (recent.size >= RECENT_LINKS) recent.clear();
      recent.add(t.url);
      linksFound++;
      candidates.push(queuedCopy(t));
      // Admitted as soon as the page's parse is over, not at the next beat: a host's next
      // level of pages waits for these.
      if (!admitSoon) {
        admitSoon = true;
        setTimeout(() => {
          admitSoon = false;
          if (!signal.aborted) kickAdmit();
        }, 0);
      }
    },
  });
  handles.run = run;
  let failure: unknown = null;
  const stopAll = (e: unknown) => {
    failure ??= e;
    if (!signal.aborted) ac.abort(e);
  };
  // The member record is renewed on its own clock, whatever the flushes cost; a renewal
  // that fails is retried at the next beat, and writes stop once the lease would run out.
  const stopRenewing = new AbortController();
  const renewing = (async () => {
    while (!stopRenewing.signal.aborted) {
      // Idle, it renews more often: the coordinator ends the job on a renewal after its check.
      await delay(
        idleSaid ? Math.min(renewEvery, 2 * env.flushMs) : renewEvery,
        stopRenewing.signal,
      )
        .catch(() => {});
      if (stopRenewing.signal.aborted) return;
      await renew().catch((e) => log(`job ${id}: member renewal failed: ${(e as Error).message}`));
    }
  })();
  /** Since when the tick's store calls fail (`performance.now()`), or `null`. */
  let storeDownSince: number | null = null;
  const ticker = (async () => {
    while (!signal.aborted && !drain.signal.aborted) {
      await delay(env.flushMs, drain.signal).catch(() => {});
      if (signal.aborted || drain.signal.aborted) break;
      try {
        // The writers run on their own (a busy one may run for long): the tick goes on.
        kickAdmit();
        kickWrite();
        await readChunks([...held.values()].filter((h) => h.local < window() / 2));
        const released = await releaseIdle();
        // A host short, between ticks: look for one twice as often as the tick (at every beat
        // while none is held: the job may be starting).
        if (
          held.size < wantHosts() &&
          (released || held.size === 0 || performance.now() - lastTake >= renewEvery / 2)
        ) {
          lastTake = performance.now();
          await takeHosts();
        }
        // Going idle is said at once (the coordinator waits for it to end the job).
        const idleNow = idleHere();
        if (idleNow !== idleSaid) {
          idleSaid = idleNow;
          await renew().catch((e) =>
            log(`job ${id}: member renewal failed: ${(e as Error).message}`)
          );
        }
        // A coordinator that found the job looking finished confirms it as soon as it can.
        // A coordinator with nothing held looks as soon as it can: the job may be ending.
        const every = finishCheck !== null || (coordinator && idleHere())
          ? env.flushMs
          : renewEvery;
        if (performance.now() - last >= every) {
          last = performance.now();
          await tick();
        }
        storeDownSince = null;
      } catch (e) {
        // The store gone for a moment: the tick is tried again (the writers retry on their
        // own); gone for longer than `storeRetryMs`, this process's part stops.
        if (e instanceof StoreError && e.code === "unavailable" && !signal.aborted) {
          storeDownSince ??= performance.now();
          if (performance.now() - storeDownSince <= env.storeRetryMs) {
            log(`job ${id}: store call failed, trying again: ${(e as Error).message}`);
            await delay(250, drain.signal).catch(() => {});
            continue;
          }
          stopAll(new SharedStop("store_down", String(e)));
          continue;
        }
        stopAll(e);
      }
    }
  })();
  try {
    for await (const ev of run) {
      metrics.observeEvent(ev);
      lastActivity = performance.now();
      if (ev.type === "done") continue;
      events.push({ key: eventKey(ev), event: ev });
      if (ev.type === "page") eventLinks += ev.links.length;
      eventsAfter.push(linksFound);
      if (events.length >= env.batchSize || candidates.length >= ADMIT_PER_FLUSH) {
        kickAdmit();
        kickWrite();
        // The engine waits for the writers only while far behind (memory stays bounded), and
        // only until they get that far: meanwhile its slots stay busy.
        while (
          (events.length >= MAX_EVENTS_FACTOR * env.batchSize || eventLinks >= MAX_EVENT_LINKS ||
            candidates.length >= MAX_CANDIDATES) && failure === null && !signal.aborted
        ) {
          kickAdmit();
          kickWrite();
          await progress(env.flushMs);
        }
      }
    }
  } finally {
    await ticker;
  }
  // Drained or stopped: write what finished, hand everything back.
  const lost = failure instanceof SharedStop && failure.kind === "lease_lost";
  /** Everything written and handed back: the others have nothing of this member to recover. */
  let handedBack = false;
  if (!lost && !(failure instanceof StoreError && failure.code === "invalid")) {
    try {
      // Everything: links first, then every event (the links of some may be waiting for
      // budget that will not come).
      const failedBefore = failure;
      while (admitting || writing.size > 0) await Promise.all([admitting, ...writing]);
      kickAdmit();
      await admitting;
      kickWrite(true);
      while (writing.size > 0) await Promise.all(writing);
      if (failure !== failedBefore) throw failure;
      for (const h of [...held.values()]) await release(h, false);
      await budget.close();
      handedBack = true;
    } catch (e) {
      log(`job ${id}: could not hand back: ${(e as Error).message}`);
    }
  }
  stopRenewing.abort();
  await renewing;
  // Best effort: a member record left behind expires with its lease.
  await store.renewMember(id, { ...member(new Date(0)), left: handedBack }).catch((e) =>
    log(`job ${id}: could not sign off: ${(e as Error).message}`)
  );
  if (signal.aborted && isCancel(signal.reason)) {
    if (coordinator) await cancelJob();
    return;
  }
  if (failure && !(failure instanceof SharedStop)) {
    if (coordinator) {
      await store.updateJob(id, {
        status: "failed",
        error: (failure as Error).message,
        finishedAt: new Date(),
        owner: null,
        leaseUntil: null,
      }).catch((e) => log(`job ${id}: could not store the failure: ${(e as Error).message}`));
    }
    throw failure;
  }
  if (coordinator && !ended) {
    await store.updateJob(id, { owner: null, leaseUntil: null }).catch((e) =>
      log(`job ${id}: could not hand the job back: ${(e as Error).message}`)
    );
  }

  async function cancelJob() {
    // Give the other members a moment to write what they had.
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      const ms = await store.listMembers(id);
      if (ms.every((m) => m.owner === w || m.leaseUntil.getTime() <= Date.now() || m.idle)) break;
      await delay(100);
    }
    const totals = await store.chainTotals(id);
    const done: CrawlEvent = {
      type: "done",
      stats: { ...totals, durationMs: 0 },
      reason: "aborted",
    };
    hub.publish(id, await store.appendEvents(id, [{ key: "done", event: done }], { w, b: ++b }));
    await store.updateJob(id, {
      status: "cancelled",
      counters: totals,
      finishedAt: new Date(),
      owner: null,
      leaseUntil: null,
    });
    hub.end(id);
  }
}

/** Whether an abort reason is a cancel (the runner's `JobStop("cancel")`, or this module's). */
function isCancel(reason: unknown): boolean {
  return (reason as { kind?: string } | null)?.kind === "cancel" ||
    (reason instanceof Error && reason.message === "cancelled");
}

/** The URL of a URL's event. */
function urlOf(e: CrawlEvent): string {
  return (e as { url: string }).url;
}

/** Adds a stored event to counters. */
function countEvent(c: JobCounters, e: CrawlEvent): void {
  if (e.type === "page") {
    c.pages++;
    c.bytes += e.bytes;
  } else if (e.type === "error" && e.sitemap !== true) c.errors++;
  else if (e.type === "skipped") c.skipped++;
}
