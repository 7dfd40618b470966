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
 * - **A bounded window.** It reads a host's chunks only while fewer than
 *   `window` of that host's URLs are queued or in flight here; links it finds
 *   are admitted into the store (which dedupes them) and come back through
 *   their host's queue, to whoever holds the host.
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

/** How often the end of a held host's queue is looked at again, in ms (see `readChunks`). */
const PROBE_MS = 500;
/** How often a host released as empty is looked at again by one process, in ms. */
const EMPTY_PROBE_MS = 2000;
/** Links admitted lately, skipped without a round trip; cleared when this large. */
const RECENT_LINKS = 100_000;
/** Links admitted by one flush at most. */
const ADMIT_PER_FLUSH = 5_000;
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
  const window = Math.max(256, 8 * opts.perHost);
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
    let n = 0;
    for (const m of live.values()) if (isLive(m.owner)) n++;
    const share = Math.ceil(knownHostCount / Math.max(1, n));
    return Math.max(minHosts, Math.min(2 * minHosts, share));
  };
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
  let events: NewEvent[] = [];
  let b = 0;
  let work = 0;
  const counters = emptyCounters();
  let flushing: Promise<void> | null = null;
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
  const idleHere = () =>
    performance.now() - lastActivity > 3 * env.flushMs && held.size === 0 &&
    (handles.run?.progress.inFlight ?? 0) === 0 &&
    (handles.run?.progress.queued ?? 0) === 0 && events.length === 0 &&
    candidates.length === 0 && flushing === null;

  const member = (leaseUntil: Date): MemberState => ({
    owner: w,
    leaseUntil,
    idle: idleHere(),
    work,
    counters: { ...counters },
  });

  const renew = async () => {
    const started = performance.now();
    await store.renewMember(id, member(new Date(Date.now() + env.leaseMs)));
    // Valid until a third of the lease before it runs out, by this process's clock.
    leaseValidUntil = started + env.leaseMs - env.leaseMs / 3;
  };

  // ---- writing: admissions, then results and events, then chunk marks ----

  const admit = async (cands: QueuedUrl[], tag: WriterTag) => {
    let rest = cands;
    while (rest.length > 0) {
      const block = await budget.take();
      if (block === null) {
        if (!dropped) await store.putToken(id, token("dropped", "dropped", {}));
        dropped = true;
        return;
      }
      if (block === "wait") {
        candidates = rest.concat(candidates);
        return;
      }
      // Hosts are registered first: a host the store queues a URL of is always known.
      for (const q of rest) {
        const host = hostnameOf(q.url);
        if (knownHosts.has(host)) continue;
        await store.putToken(id, token("host", host, {}));
        knownHosts.add(host);
      }
      const r = await store.admitUrls(id, rest, { ...tag, blk: block.id }, block.left);
      budget.use(r.added.length);
      for (const q of r.added) {
        const h = held.get(hostnameOf(q.url));
        if (h) h.dirty = true;
      }
      rest = rest.slice(r.used);
    }
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
    for (const h of held.values()) {
      while (h.open.get(h.doneThrough + 1) === 0) {
        h.open.delete(h.doneThrough + 1);
        h.doneThrough++;
        await store.putMark(id, `qdone ${h.host}#${h.doneThrough}`);
      }
    }
  };

  const flushOnce = async () => {
    // At most ADMIT_PER_FLUSH links a flush, so events are not held up behind a page
    // of 1,000 links; the rest wait for the next flush (the engine waits for them).
    const cands = candidates.slice(0, ADMIT_PER_FLUSH);
    candidates = candidates.slice(cands.length);
    const evs = events;
    events = [];
    if (cands.length === 0 && evs.length === 0) return;
    const tag = { w, b: ++b };
    let admitted = false;
    let stored = false;
    let attempts = 0;
    await retry(async () => {
      // A second attempt may find its own first attempt's writes: say so (see `WriterTag`).
      const t = attempts++ === 0 ? tag : { ...tag, replay: true };
      if (!admitted && cands.length > 0) await admit(cands, t);
      admitted = true;
      if (!stored && evs.length > 0) {
        const out = await metrics.timeStoreWrite(() => store.appendEvents(id, evs, t));
        for (const e of out) countEvent(counters, e.event);
        hub.publish(id, out);
        stored = true;
      }
      await finishUrls(evs.map((e) => e.event).filter((e) => e.type !== "done").map(urlOf));
    });
    work++;
  };

  const flush = () => {
    flushing ??= flushOnce().finally(() => (flushing = null));
    return flushing;
  };

  // ---- hosts: lease, read, release ----

  function token(kind: string, key: string, data: Token["data"], owner: string | null = w): Token {
    return { kind, key, owner, data, at: new Date() };
  }

  /**
   * Reads a held host's next chunks while fewer than `window` of its URLs are
   * here. Past the end of its queue it looks again only after `PROBE_MS`, or
   * at once when this process added to that queue (or `force`): on FerretDB
   * 1.24 a lookup that finds nothing scans the collection (tens of ms), and
   * ten hosts probed on every flush kept a database core busy.
   */
  const readChunks = async (h: HeldHost, force = false) => {
    if (h.atEnd && !h.dirty && !force && performance.now() - h.probedAt < PROBE_MS) return;
    // Backpressure: no new work while links wait for admission (the store is the bottleneck).
    while (
      h.local < window && !h.handoff && candidates.length < MAX_CANDIDATES &&
      !drain.signal.aborted && !signal.aborted
    ) {
      h.dirty = false;
      const urls = await store.readQueue(id, h.host, h.next);
      if (urls === null) {
        h.atEnd = true;
        h.probedAt = performance.now();
        return;
      }
      h.atEnd = false;
      work++;
      await store.putMark(id, `qread ${h.host}#${h.next}`);
      let fresh = urls;
      if (h.next <= h.verifyThrough) {
        const done = await store.resultsOf(id, urls.map((q) => q.url));
        fresh = urls.filter((q) => !done.has(q.url));
      }
      let n = 0;
      for (const q of fresh) {
        if (handles.run?.add(q)) {
          origin.set(q.url, { host: h.host, n: h.next });
          n++;
        }
      }
      h.local += n;
      h.open.set(h.next, n);
      h.next++;
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
    for (const h of [...held.values()]) {
      if (h.handoff && h.local === 0 && h.open.size === 0) {
        await release(h, false);
        any = true;
        continue;
      }
      if (!(h.atEnd && h.local === 0 && h.open.size === 0 && candidates.length === 0)) {
        h.idleSince = null;
        continue;
      }
      h.idleSince ??= now;
      if (now - h.idleSince < 3 * env.flushMs) continue;
      await readChunks(h, true);
      if (!h.atEnd || h.local > 0) continue;
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
  const takeHosts = async () => {
    if (performance.now() < nextTakeAt) return;
    nextTakeAt = performance.now() + 1000;
    const hosts = await store.listTokens(id, "host");
    knownHostCount = hosts.length;
    const latest = await latestLeases();
    const free: { host: string; gen: number }[] = [];
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
        // Released with nothing left: worth taking only if its queue grew since (looked at
        // every EMPTY_PROBE_MS).
        const next = Number(t.data.next);
        const probed = emptyProbed.get(host);
        if (probed?.next === next && performance.now() - probed.at < EMPTY_PROBE_MS) continue;
        emptyProbed.set(host, { next, at: performance.now() });
        if (await store.readQueue(id, host, next) === null) continue;
      }
      free.push({ host, gen: Number(t.data.gen) });
    }
    if (free.length === 0) return;
    nextTakeAt = 0;
    // Spread the processes over the hosts: each starts at a different place.
    const start = Math.floor(Math.random() * free.length);
    for (let i = 0; i < free.length && held.size < wantHosts(); i++) {
      const f = free[(start + i) % free.length];
      const gen = f.gen + 1;
      const won = await store.putToken(
        id,
        token("lease", `${f.host}#${gen}`, { host: f.host, gen }),
      );
      if (!won) continue;
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
    }
  };

  const recoverDead = async () => {
    for (const m of live.values()) {
      if (m.owner === w || recovered.has(m.owner) || m.leaseUntil.getTime() > Date.now()) continue;
      await store.recoverWriter(id, m.owner);
      recovered.add(m.owner);
      nextTakeAt = 0;
    }
  };

  /**
   * Whether the job is over, checked by the coordinator on each tick: every
   * live member idle, every host released with nothing left in its queue,
   * and, since the last tick that found the same, every live member renewed
   * its record (so the records are fresh) without doing anything.
   */
  let finishCheck: { work: number; members: Map<string, MemberState> } | null = null;
  const finished = async (): Promise<boolean> => {
    const others = [...live.values()].filter((m) =>
      m.owner !== w && m.leaseUntil.getTime() > Date.now()
    );
    const hostsDone = async () => {
      const latest = await latestLeases();
      for (const ht of await store.listTokens(id, "host")) {
        const t = latest.get(ht.key);
        if (!t || t.owner !== null) return false;
        if (await store.readQueue(id, ht.key, Number(t.data.next)) !== null) return false;
      }
      return true;
    };
    if (!others.every((m) => m.idle) || !(await hostsDone())) {
      finishCheck = null;
      return false;
    }
    const prev = finishCheck;
    finishCheck = { work, members: new Map(others.map((m) => [m.owner, m])) };
    if (prev === null || prev.work !== work) return false;
    return others.every((m) => {
      const before = prev.members.get(m.owner);
      return before !== undefined && before.work === m.work &&
        m.leaseUntil.getTime() > before.leaseUntil.getTime();
    });
  };

  const tick = async () => {
    live = new Map((await store.listMembers(id)).map((m) => [m.owner, m]));
    await recoverDead();
    const current = await store.getJob(id);
    if (!current || ENDED.has(current.status)) {
      ended = true;
      drain.abort(new SharedStop("lease_lost", "job ended"));
      return;
    }
    if (current.cancelRequested && !signal.aborted) ac.abort(new Error("cancelled"));
    if (coordinator) {
      coordinator = await store.renewLease(id, env.owner, env.leaseMs, new Date());
      if (!coordinator) metrics.leaseRenewalFailed();
    } else if (
      current.owner === null || current.leaseUntil === null ||
      current.leaseUntil.getTime() <= Date.now()
    ) {
      coordinator = (await store.claimJob(env.owner, env.leaseMs, new Date(), id)) !== null;
    }
    if (coordinator) {
      const total = emptyCounters();
      for (const m of live.values()) {
        total.pages += m.counters.pages;
        total.errors += m.counters.errors;
        total.skipped += m.counters.skipped;
        total.bytes += m.counters.bytes;
      }
      await store.updateJob(id, { counters: total });
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
    for (const h of held.values()) if (h.local === 0) await readChunks(h);
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
    admit: (t) => {
      if (recent.has(t.url)) return;
      if (recent.size >= RECENT_LINKS) recent.clear();
      recent.add(t.url);
      candidates.push(queuedCopy(t));
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
      await delay(renewEvery, stopRenewing.signal).catch(() => {});
      if (stopRenewing.signal.aborted) return;
      await renew().catch((e) => log(`job ${id}: member renewal failed: ${(e as Error).message}`));
    }
  })();
  const ticker = (async () => {
    while (!signal.aborted && !drain.signal.aborted) {
      await delay(env.flushMs, drain.signal).catch(() => {});
      if (signal.aborted || drain.signal.aborted) break;
      try {
        await flush();
        for (const h of held.values()) if (h.local < window / 2) await readChunks(h);
        const released = await releaseIdle();
        // A host short, between ticks: look for one twice as often as the tick.
        if (
          held.size < wantHosts() &&
          (released || performance.now() - lastTake >= renewEvery / 2)
        ) {
          lastTake = performance.now();
          await takeHosts();
        }
        if (performance.now() - last >= renewEvery) {
          last = performance.now();
          await tick();
        }
      } catch (e) {
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
      if (events.length >= env.batchSize || candidates.length >= ADMIT_PER_FLUSH) {
        await flush().catch(stopAll);
      }
    }
  } finally {
    await ticker;
  }
  // Drained or stopped: write what finished, hand everything back.
  const lost = failure instanceof SharedStop && failure.kind === "lease_lost";
  if (!lost && !(failure instanceof StoreError && failure.code === "invalid")) {
    try {
      while (flushing) await flushing;
      await flush();
      for (const h of [...held.values()]) await release(h, false);
      await budget.close();
    } catch (e) {
      log(`job ${id}: could not hand back: ${(e as Error).message}`);
    }
  }
  stopRenewing.abort();
  await renewing;
  // Best effort: a member record left behind expires with its lease.
  await store.renewMember(id, member(new Date(0))).catch((e) =>
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
