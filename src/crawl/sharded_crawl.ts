/**
 * One crawl spread over threads: `shardedCrawl(seeds, options, { threads })`
 * is {@linkcode crawl} (the same events, one `done` at the end) run as
 * `threads` shards, shard 0 on this thread and each other one in a worker
 * (`shard_worker.ts`). On a 2-core machine one engine thread leaves the
 * second core mostly idle when the site answers fast; two shards use both.
 *
 * - **Who fetches what.** Each URL has one owner (see `shard_plan.ts`), so
 *   no URL is fetched twice: a shard queues the links it owns and sends the
 *   others to their owners, through this thread.
 * - **The limits stay the crawl's.** The fetch slots are one budget of
 *   `concurrency` that every shard takes from (`SharedSemaphore`); `perHost`
 *   is split between the shards that share a host (unless it is at least
 *   `concurrency`), host delays are multiplied by their number, and
 *   `maxPages` is one counter that all shards claim from. Each origin's
 *   robots.txt is fetched once, on this thread, and the workers get it as
 *   text to parse.
 * - **The end.** The shards never end by themselves; this thread tells when
 *   all are idle with no link in flight (`quiescence.ts`) and then drains them.
 *   A shard's events come in batches, and a slow consumer pauses every shard.
 *
 * @example
 * ```ts ignore
 * import { shardedCrawl } from "./sharded_crawl.ts";
 * const run = shardedCrawl(["http://127.0.0.1:8080/"], { concurrency: 64 }, { threads: 2 });
 * for await (const event of run) console.log(JSON.stringify(event));
 * ```
 * @module
 */
import { crawl, type CrawlContext, type CrawlProgress } from "./crawl.ts";
import type { CrawlEvent, CrawlStats, DoneEvent } from "./events.ts";
import { type CrawlOptions, resolveOptions } from "./options.ts";
import { Channel } from "../async/channel.ts";
import { NdjsonText } from "../streams/write_ndjson.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import {
  BUDGET_SLOTS,
  budgetRefused,
  claimShared,
  type Ownership,
  planShards,
} from "./shard_plan.ts";
import { type ShardMessage, ShardRouter } from "./shard_router.ts";
import { Quiescence } from "./quiescence.ts";
import { fetchRobotsFile, type RobotsFile } from "../robots/robots_rules.ts";
import { defaultFetcher } from "../net/fetcher.ts";
import { SharedSemaphore } from "../async/shared_semaphore.ts";
import {
  type FetcherSpec,
  type FromShard,
  rulesWhenFetched,
  type ToShard,
} from "./shard_protocol.ts";

export type { FetcherSpec };

/** The context of a sharded crawl. */
export interface ShardedCrawlContext extends Pick<CrawlContext, "signal" | "fetcher"> {
  /** Threads to spread the crawl over, this one included (1: {@linkcode crawl} itself). */
  threads: number;
  /** How the workers build their fetchers. @default the guard off */
  workerFetcher?: FetcherSpec;
  /** Heap bytes in use past which a shard admits no new URL (per thread). @default no limit */
  heapLimitBytes?: number;
}

/**
 * What {@linkcode shardedCrawl} returns: the crawl's events, those of shard 0
 * as objects and those of the other shards as batches of NDJSON lines (they
 * are encoded on their own threads); the last is always one `done` object.
 */
export interface ShardedCrawlRun extends AsyncIterableIterator<CrawlEvent | NdjsonText> {
  /** Counters so far, all shards together (the workers' as of their last batch). */
  readonly progress: CrawlProgress;
}

/** When the workers are started, in ms after the crawl (see `spawnTimer`). */
const SPAWN_AFTER_MS = 10;

/** How long a stopped crawl waits for its workers to close their connections before ending them. */
const STOP_WAIT_MS = 5000;

/** Events and batches waiting for the consumer before the shards are paused. */
const MERGED_ITEMS = 64;

/** Adds the page, error, skip and byte counts of `from` to `into`. */
function addCounts(into: CrawlStats, from: CrawlStats): void {
  into.pages += from.pages;
  into.errors += from.errors;
  into.skipped += from.skipped;
  into.bytes += from.bytes;
}

/**
 * Crawls from `seeds` over `context.threads` threads; see the module doc.
 * Options are checked first (throws `OptionError`).
 */
export function shardedCrawl(
  seeds: Iterable<string>,
  options: Partial<CrawlOptions>,
  context: ShardedCrawlContext,
): ShardedCrawlRun {
  const opts = resolveOptions(options);
  const plan = planShards(opts, context.threads);
  if (plan.shards === 1) {
    return crawl(seeds, options, {
      signal: context.signal,
      fetcher: context.fetcher,
      heapLimitBytes: context.heapLimitBytes,
    });
  }
  const seedList = [...seeds];
  const progress: (CrawlProgress | null)[] = Array.from({ length: plan.shards }, () => null);
  const budget = new SharedArrayBuffer(4 * BUDGET_SLOTS);
  const counter = new Int32Array(budget);
  const slots = SharedSemaphore.buffer();
  const heapLimit = context.heapLimitBytes ?? Infinity;
  const workers: Worker[] = [];
  const merged = new Channel<CrawlEvent | NdjsonText>(MERGED_ITEMS);
  const stopping = new AbortController();
  const drain = new AbortController();
  let failure: Error | null = null;
  const workerDone: ({ stats: CrawlStats; memoryFull: boolean } | null)[] = Array.from(
    { length: plan.shards - 1 },
    () => null,
  );
  let open = plan.shards;
  const { promise: allClosed, resolve: closedAll } = Promise.withResolvers<void>();
  const closeOne = () => {
    if (--open > 0) return;
    merged.close();
    closedAll();
  };

  /** Messages for workers not started yet. */
  const early: ToShard[][] = Array.from({ length: plan.shards - 1 }, () => []);
  const toShard = (shard: number, m: ToShard) => {
    const worker = workers[shard - 1];
    if (worker === undefined) early[shard - 1].push(m);
    else worker.postMessage(m);
  };
  const fromShard = (shard: number, m: ShardMessage) => {
    if (m.t === "links") {
      if (m.to === 0) router0.receive(m.tasks);
      else toShard(m.to, { t: "links", tasks: m.tasks });
    } else if (m.t === "seen") {
      if (m.to === 0) router0.receiveSeen(m.urls);
      else toShard(m.to, { t: "seen", urls: m.urls });
    } else quiescence.report(shard, m);
  };
  const quiescence = new Quiescence(plan.shards, (wave) => {
    router0.probe(wave);
    for (let s = 1; s < plan.shards; s++) toShard(s, { t: "probe", wave });
  }, () => endGently());
  const endGently = () => {
    drain.abort();
    for (let s = 1; s < plan.shards; s++) toShard(s, { t: "drain" });
  };
  const stopAll = (reason?: unknown) => {
    stopping.abort(reason);
    if (!spawned) {
      // Stopped before the workers started: they never will.
      spawned = true;
      clearTimeout(spawnTimer);
      for (let s = 1; s < plan.shards; s++) closeOne();
      return;
    }
    for (let s = 1; s < plan.shards; s++) toShard(s, { t: "abort" });
  };
  const fail = (e: Error) => {
    failure ??= e;
    stopAll(e);
  };
  const onOuterAbort = () => stopAll(context.signal!.reason);
  if (context.signal?.aborted) stopping.abort(context.signal.reason);
  else context.signal?.addEventListener("abort", onOuterAbort, { once: true });

  // The workers get the valid seeds only: an invalid one is reported once, by shard 0.
  const validSeeds = seedList.filter((s) => normalizeUrl(s) !== null);
  const owners: Ownership = {
    shards: plan.shards,
    by: plan.by,
    seeds: new Set(validSeeds.map((s) => normalizeUrl(s)!)),
  };
  const router0 = new ShardRouter(0, owners, (m) => fromShard(0, m), heapLimit);
  // Each origin's robots.txt is fetched once, here, for every shard.
  const robotsFiles = new Map<string, Promise<RobotsFile | null>>();
  const robotsFile = (origin: string): Promise<RobotsFile | null> => {
    let file = robotsFiles.get(origin);
    if (file === undefined) {
      file = fetchRobotsFile(origin, {
        fetcher: context.fetcher ?? defaultFetcher,
        userAgent: opts.userAgent,
        timeoutMs: opts.timeoutMs,
        signal: stopping.signal,
      }).catch(() => null); // it rejects only when the crawl is stopping
      robotsFiles.set(origin, file);
    }
    return file;
  };
  const shardOptions = (s: number): CrawlOptions => ({
    ...opts,
    concurrency: plan.shares[s].concurrency,
    perHost: plan.shares[s].perHost,
    // One shard reads the sitemaps; their URLs go to their owners like links.
    sitemaps: opts.sitemaps && s === 0,
  });
  const run0 = crawl(seedList, shardOptions(0), {
    signal: stopping.signal,
    fetcher: context.fetcher,
    drain: drain.signal,
    admit: (task) => router0.admit(task),
    shard: {
      claimPage: () => claimShared(counter, opts.maxPages),
      delayScale: plan.shares[0].delayScale,
      loadRobots: (origin, signal) => rulesWhenFetched(robotsFile(origin), signal),
      slots: new SharedSemaphore(slots, opts.concurrency, plan.shares[0].concurrency),
      onIdle: () => router0.onIdle(),
      onRedirect: (url) => router0.redirected(url),
    },
  });
  router0.attach(run0.add, run0.markSeen);

  const spawn = (s: number) => {
    const worker = new Worker(new URL("./shard_worker.ts", import.meta.url).href, {
      type: "module",
    });
    let ended = false;
    /** The worker has said its last: it goes, and counts as closed once. */
    const end = () => {
      if (ended) return;
      ended = true;
      worker.terminate();
      closeOne();
    };
    worker.onmessage = (e: MessageEvent<FromShard>) => {
      const m = e.data;
      switch (m.t) {
        case "links":
        case "seen":
        case "idle":
          fromShard(s, m);
          break;
        case "robots":
          robotsFile(m.origin).then((file) => toShard(s, { t: "robots", origin: m.origin, file }));
          break;
        case "events":
          progress[s] = m.progress;
          merged.send(new NdjsonText(m.text)).then(() => toShard(s, { t: "ack" }));
          break;
        case "done":
          progress[s] = m.progress;
          workerDone[s - 1] = { stats: m.stats, memoryFull: m.memoryFull };
          end();
          break;
        case "failed":
          fail(new Error(`crawl shard ${s} failed: ${m.message}`));
          end();
          break;
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      fail(new Error(`crawl shard ${s} failed: ${e.message}`));
      end();
    };
    worker.postMessage(
      {
        t: "start",
        shard: s,
        plan: owners,
        seeds: validSeeds,
        options: shardOptions(s),
        delayScale: plan.shares[s].delayScale,
        budget,
        slots,
        concurrency: opts.concurrency,
        heapLimitBytes: heapLimit,
        fetcher: context.workerFetcher ?? { denyPrivate: false, allowNets: null },
      } satisfies ToShard,
    );
    for (const m of early[s - 1]) worker.postMessage(m);
    early[s - 1] = [];
    workers[s - 1] = worker;
  };
  // Started once shard 0 has sent the seeds' requests: creating a worker takes this
  // thread 20-40 ms, which would otherwise come before the first request.
  let spawned = false;
  const spawnTimer = setTimeout(() => {
    if (spawned) return;
    spawned = true;
    for (let s = 1; s < plan.shards; s++) spawn(s);
  }, SPAWN_AFTER_MS);

  let done0: DoneEvent | null = null;
  const pump0 = (async () => {
    try {
      for await (const ev of run0) {
        if (ev.type === "done") done0 = ev;
        else if (!(await merged.send(ev))) break;
      }
    } catch (e) {
      fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      closeOne();
    }
  })();

  const started = performance.now();
  async function* events(): AsyncGenerator<CrawlEvent | NdjsonText> {
    let finished = false;
    try {
      yield* merged;
      await pump0;
      finished = true;
    } finally {
      context.signal?.removeEventListener("abort", onOuterAbort);
      if (!finished) {
        stopAll(new DOMException("Crawl consumer stopped", "AbortError"));
        // Closed, the channel takes no more events: every shard can finish and say so.
        merged.close();
        await pump0;
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          allClosed,
          new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
        ]);
        clearTimeout(timer);
      }
      for (const w of workers) w.terminate();
    }
    if (failure !== null) throw failure;
    const stats: CrawlStats = { ...done0!.stats };
    let memoryFull = router0.memoryFull;
    for (const d of workerDone) {
      if (d === null) continue;
      addCounts(stats, d.stats);
      memoryFull ||= d.memoryFull;
    }
    stats.durationMs = Math.round(performance.now() - started);
    yield {
      type: "done",
      stats,
      reason: stopping.signal.aborted || !quiescence.ended
        ? "aborted"
        : memoryFull
        ? "memory_limit"
        : budgetRefused(counter)
        ? "max_pages"
        : "complete",
    };
  }

  const gen = events();
  Object.defineProperty(gen, "progress", {
    get: (): CrawlProgress => {
      const sum: CrawlProgress = {
        pages: 0,
        errors: 0,
        skipped: 0,
        bytes: 0,
        durationMs: Math.round(performance.now() - started),
        queued: 0,
        inFlight: 0,
      };
      progress[0] = run0.progress;
      for (const p of progress) {
        if (p === null) continue;
        addCounts(sum, p);
        sum.queued += p.queued;
        sum.inFlight += p.inFlight;
      }
      return sum;
    },
  });
  return gen as unknown as ShardedCrawlRun;
}
