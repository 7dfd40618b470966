/**
 * The crawl engine: `crawl(seeds, options, { signal })` is an async iterable
 * of {@linkcode CrawlEvent}s. Fetches run concurrently under a global
 * semaphore and per-host limits; events come out as fetches complete; the
 * last event is always exactly one `done`.
 *
 * @example
 * ```ts ignore
 * import { crawl } from "./crawl.ts";
 * for await (const event of crawl(["http://127.0.0.1:8080/"], { maxPages: 10 })) {
 *   console.log(JSON.stringify(event));
 * }
 * ```
 * @module
 */
import type { CrawlEvent, CrawlStats, DoneEvent } from "./events.ts";
import { type CrawlOptions, resolveOptions } from "./options.ts";
import { defaultFetcher, type Fetcher, preconnectOf } from "../net/fetcher.ts";
import { Frontier, type Task } from "./frontier.ts";
import { RobotsCache, type RobotsLoader } from "../robots/robots_cache.ts";
import { fetchRobots } from "../robots/robots_rules.ts";
import { type CompiledScope, compileScope, inScope, loadScopeKind } from "../url/scope.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import { type Permits, Semaphore } from "../async/semaphore.ts";
import { Channel } from "../async/channel.ts";
import { Notifier } from "../async/notifier.ts";
import { waitForWakeOrTimeout } from "../async/wait_for_wake_or_timeout.ts";
import { fetchPage, loadPageParsers, type PageEnv } from "./fetch_page.ts";
import { warmParsersOnce } from "./warm_parsers.ts";
import { ParsePool } from "../html/parse_pool.ts";
import { UnparsedBudget, unparsedBudgetBytes } from "./unparsed_budget.ts";
import { HeapGuard } from "./heap_guard.ts";
import { setImmediate } from "node:timers";

import { trace } from "../trace/dispatch_trace.ts";
import { originOf } from "../url/url_parts.ts";

export type { Task };

/** A URL known from an earlier run of the same crawl (crash-resume). */
export interface ResumeEntry {
  /** The normalized URL. */
  url: string;
  /** Link hops from the seeds (seeds are 0). */
  depth: number;
  /** The page whose link led here; `null` for seeds. */
  parent: string | null;
  /** `pending` URLs are fetched; the others count as done. */
  state: "pending" | "page" | "error" | "skipped";
}

/** The context of a crawl: cancellation and the replaceable parts. */
export interface CrawlContext {
  /** Aborting it stops the crawl at once: in-flight fetches are aborted, then `done` is yielded. */
  signal?: AbortSignal;
  /** How requests are made. @default defaultFetcher (Deno's fetch) */
  fetcher?: Fetcher;
  /** URLs of an interrupted run: done ones are not fetched again, pending ones are. */
  resume?: Iterable<ResumeEntry>;
  /**
   * Called once for each URL the engine queues (a seed or an admitted link;
   * not the `pending` URLs of `resume`, which were reported by the run that
   * queued them), synchronously, before the event of the page it was found on
   * is yielded. Exactly these URLs are fetched, unless the crawl is stopped:
   * a store that records them holds the crawl's frontier, with no second
   * scope check and no second seen-set.
   */
  onQueued?: (task: Task) => void;
  /**
   * Called for each in-scope link refused because `maxPages` URLs were
   * already queued or the memory limit was reached (once per time it is
   * found, so a link found on three pages is reported three times).
   */
  onDropped?: (task: Task) => void;
  /**
   * Aborting it ends the crawl gently: no new fetch starts, those in flight
   * finish and their events are yielded, then `done` with reason `aborted`
   * (a graceful shutdown; `signal` is the hard stop).
   */
  drain?: AbortSignal;
  /**
   * Heap bytes in use (`Deno.memoryUsage().heapUsed`) past which the crawl
   * admits no new URL: links are dropped as at `maxPages`, the URLs already
   * queued are still fetched, and `done` says `memory_limit`. The frontier
   * costs about 200 bytes per known URL (see the README), so this turns an
   * out-of-memory crash of a huge crawl into a clean, early end. Checked every
   * 1,024 admissions. @default no limit
   */
  heapLimitBytes?: number;
  /**
   * Finished events that may wait for a slow consumer before fetching pauses.
   * A shared job takes fewer: a page's links are handed to `admit` before its
   * event, so this bounds the links found and not yet admitted too.
   * @default 256
   */
  outputBuffer?: number;
  /**
   * A shared job (issue 11): the store, not this process, decides which URLs
   * are queued. Every URL the engine would queue (a seed or an admitted link,
   * after scope, depth and its own seen-set) is handed to `admit` instead of
   * the local frontier and never fetched here unless it comes back through
   * {@linkcode CrawlRun.add}; and the crawl does not end when its frontier
   * runs dry, only when `drain` (or `signal`) aborts. A shard's `admit`
   * (see `shard`) says whether it kept or sent on the task, which a sitemap
   * event counts as admitted. @default undefined
   */
  admit?: (task: Task) => boolean | void;
  /**
   * This run is one shard of a crawl spread over threads (see
   * `sharded_crawl.ts`); set together with `admit`, which routes each URL to
   * the shard that owns it. @default undefined
   */
  shard?: CrawlShard;
}

/** What a shard of a crawl spread over threads shares with the others. */
export interface CrawlShard {
  /** Claims one URL of the whole crawl's `maxPages`; false once they are spent. */
  claimPage(): boolean;
  /** Host delays are multiplied by it (the shards' requests to a host add up). @default 1 */
  delayScale?: number;
  /**
   * The crawl's fetch slots, shared by all shards (a `SharedSemaphore`): a
   * shard may then use more than its share of `concurrency` while another has
   * nothing to fetch. @default this run's own `concurrency` slots
   */
  slots?: Permits;
  /**
   * Loads an origin's robots.txt rules, so the shards share one fetch of each.
   * @default this run fetches them itself
   */
  loadRobots?: RobotsLoader;
  /**
   * Called when the run has nothing queued, nothing in flight and every task
   * handed on: it will do nothing more until a task is added.
   */
  onIdle(): void;
  /**
   * Called with each redirect target the run follows (and so will not fetch
   * again), for the shard that owns it to mark it seen too (see
   * {@linkcode CrawlRun.markSeen}). @default nothing
   */
  onRedirect?(url: string): void;
}

/** A live view of a running crawl, e.g. for a progress line. */
export interface CrawlProgress extends CrawlStats {
  /** URLs waiting in the frontier. */
  queued: number;
  /** Fetches in flight. */
  inFlight: number;
}

/** What {@linkcode crawl} returns: the events, plus live progress. */
export interface CrawlRun extends AsyncIterableIterator<CrawlEvent> {
  /** Counters so far, read at any time. */
  readonly progress: CrawlProgress;
  /**
   * Queues a task from outside (a shared job's window, see
   * `CrawlContext.admit`); false when this run has seen its URL already.
   */
  add(task: Task): boolean;
  /**
   * Marks a URL seen without fetching it (another shard fetched it as a
   * redirect target, say): it is not queued after this.
   */
  markSeen(url: string): void;
}

/** How many finished events may wait for a slow consumer before fetching pauses. */
const OUTPUT_BUFFER = 256;

/**
 * Fetches started in a row before the dispatcher lets the event loop run.
 * Starting 500 fetches at once (a new connection each) is tens of ms of work,
 * during which no connection could send its request or read an answer;
 * pausing every 8 halved the first wave's median answer delay in a 500-wide
 * crawl (42 to 21 ms), though the whole crawl was not measurably faster.
 * Only a burst pauses (fetches started on slots that were free already): a
 * fetch that waited for a slot starts at once, since the pause would put it
 * behind every answer read meanwhile and the parsing of each (the slot stood
 * empty 34 ms on average that way in the 500-wide latency crawl).
 */
const DISPATCH_BATCH = 8;

/**
 * Most tasks one page's queued links start at once on free slots (see
 * `pump` in {@linkcode crawl}): enough for the links of a typical page,
 * while the seed's hundreds of links still go through the dispatcher's
 * batches. Starting them all at once sent the 500-wide latency crawl's
 * first wave as one burst that came back as one, and the 500 answers then
 * waited on each other's parsing (sustained 80-85 % against 84-87 %, 3
 * interleaved runs); with at most 16 the links of each page of that first
 * wave filled the slots it freed at once: 77 → 83 % sustained and slot lag
 * 34 → 18 ms (medians of 4 interleaved runs under load).
 */
const PUMP_MAX = 16;

/**
 * When the first wave's connections start opening and the page parsers
 * start loading, in ms after the crawl starts: after the seeds' requests
 * are written on loopback (1-3 ms warm, 4-9 ms in a new process), long
 * before the first answer of a real site. (Opened at once, the
 * connections put the seed's request 2-4 ms later in a new process.)
 */
const PRELOAD_AFTER_MS = 10;

/** Resolves after pending I/O callbacks have run (a macrotask, unlike a microtask). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * How many connections to open ahead to each seed's origin (option
 * `preconnect`): the first wave can use `min(perHost, concurrency)` at
 * once, less the seeds' own requests; none when no link can follow (depth
 * 0, or `maxPages` taken by the seeds) or when requests to a host are
 * spaced by `delayMs` (the user asked to go gently: there is no wave), and
 * never more than `concurrency` in all.
 */
export function preconnectCounts(
  seeds: readonly string[],
  options: Pick<CrawlOptions, "perHost" | "concurrency" | "maxDepth" | "maxPages" | "delayMs">,
): Map<string, number> {
  const counts = new Map<string, number>();
  if (options.maxDepth < 1 || options.delayMs > 0) return counts;
  const seedsOf = new Map<string, number>();
  for (const s of seeds) {
    const origin = originOf(s);
    seedsOf.set(origin, (seedsOf.get(origin) ?? 0) + 1);
  }
  const wide = Math.min(options.perHost, options.concurrency);
  let budget = Math.min(options.concurrency, options.maxPages) - seeds.length;
  for (const [origin, own] of seedsOf) {
    const n = Math.min(wide - own, budget);
    if (n <= 0) continue;
    counts.set(origin, n);
    budget -= n;
  }
  return counts;
}

/** Whether a link found at `depth` may be followed: depth bound and scope. */
export function admitsLink(
  scope: CompiledScope,
  url: string,
  depth: number,
  maxDepth: number,
): boolean {
  return depth <= maxDepth && inScope(scope, url);
}

/**
 * Crawls from `seeds`. Invalid seeds become `error` events with code
 * `invalid_url`; options are checked first (throws `OptionError`).
 */
export function crawl(
  seeds: Iterable<string>,
  options: Partial<CrawlOptions> = {},
  context: CrawlContext = {},
): CrawlRun {
  const opts = resolveOptions(options);
  const stats: CrawlStats = { pages: 0, errors: 0, skipped: 0, bytes: 0, durationMs: 0 };
  const frontier = new Frontier({
    perHost: opts.perHost,
    delayMs: opts.delayMs,
    maxPages: opts.maxPages,
    probeNewHosts: !opts.ignoreRobots,
    claim: context.shard?.claimPage,
    delayScale: context.shard?.delayScale,
  });
  const live = { inFlight: 0, unhanded: 0 };
  const wake = new Notifier();
  const gen = run(seeds, opts, context, stats, frontier, live, wake);
  Object.defineProperty(gen, "progress", {
    get: (): CrawlProgress => ({ ...stats, queued: frontier.pending, inFlight: live.inFlight }),
  });
  Object.defineProperty(gen, "markSeen", { value: (url: string) => frontier.markSeen(url) });
  Object.defineProperty(gen, "add", {
    value: (task: Task): boolean => {
      if (!frontier.add(task)) return false;
      wake.notify();
      return true;
    },
  });
  return gen as unknown as CrawlRun;
}

async function* run(
  rawSeeds: Iterable<string>,
  opts: CrawlOptions,
  context: CrawlContext,
  stats: CrawlStats,
  frontier: Frontier,
  live: { inFlight: number; unhanded: number },
  wake: Notifier,
): AsyncGenerator<CrawlEvent> {
  const started = performance.now();
  const internal = new AbortController();
  const outer = context.signal;
  const onOuterAbort = () => internal.abort(outer!.reason);
  if (outer?.aborted) internal.abort(outer.reason);
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = internal.signal;

  const outputBuffer = context.outputBuffer ?? OUTPUT_BUFFER;
  const out = new Channel<CrawlEvent>(outputBuffer);
  const seeds: string[] = [];
  const invalid: CrawlEvent[] = [];
  for (const raw of rawSeeds) {
    const n = normalizeUrl(raw);
    if (n === null) {
      invalid.push({
        type: "error",
        url: raw,
        depth: 0,
        parent: null,
        code: "invalid_url",
        message: `Not an http(s) URL: ${JSON.stringify(raw)}`,
        attempts: 0,
      });
    } else seeds.push(n);
  }
  /** The seeds this run fetches (not those an earlier run fetched). */
  const fresh = [...seeds];
  const resumed: Task[] = [];
  for (const e of context.resume ?? []) {
    if (e.state === "pending") resumed.push(e);
    else {
      frontier.markSeen(e.url, e.state !== "skipped");
      if (e.state === "page") stats.pages++;
      else if (e.state === "error") stats.errors++;
      else stats.skipped++;
      if (e.depth === 0) seeds.push(e.url);
    }
  }
  await loadScopeKind(opts.scope);
  const scope = compileScope(
    [...seeds, ...resumed.filter((t) => t.depth === 0).map((t) => t.url)],
    opts,
  );
  const fetcher = context.fetcher ?? defaultFetcher;
  const robots = opts.ignoreRobots ? null : new RobotsCache(
    context.shard?.loadRobots ?? ((origin, s) =>
      fetchRobots(origin, {
        fetcher,
        userAgent: opts.userAgent,
        timeoutMs: opts.timeoutMs,
        signal: s,
      })),
  );
  const parsePool = opts.parseWorkers > 0 ? new ParsePool(opts.parseWorkers) : null;
  const env: PageEnv = {
    options: opts,
    fetcher,
    scope,
    robots,
    onRobots: (url, d) => frontier.setHostDelay(url, d),
    onRedirect: (url) => {
      frontier.markSeen(url);
      context.shard?.onRedirect?.(url);
    },
    parsePool,
  };
  const { onQueued, onDropped, drain, admit } = context;
  const onDrain = () => wake.notify();
  drain?.addEventListener("abort", onDrain, { once: true });
  const heap = new HeapGuard(context.heapLimitBytes);
  /** Queues a task through the frontier and says what became of it; true when queued. */
  const enqueue = (task: Task): boolean => {
    if (frontier.has(task.url)) return false;
    if (admit !== undefined) {
      const taken = admit(task);
      if (context.shard === undefined) return false;
      // A shard never fetches a URL it routed elsewhere: seen here, it is not routed again.
      frontier.markSeen(task.url);
      return taken === true;
    }
    if (heap.admit() && frontier.add(task)) {
      onQueued?.(task);
      return true;
    }
    onDropped?.(task);
    return false;
  };
  for (const t of resumed) frontier.add(t);
  for (const s of seeds) enqueue({ url: s, depth: 0, parent: null });
  // While the seeds' answers are awaited, once their requests are out: connections for
  // the first wave open (option `preconnect`), then the parsers load (loaded at once,
  // their 50-70 ms of evaluation held up the seed's request; a failure to load shows at
  // the first parse). The connects go first: they complete while the parsers evaluate.
  const preconnecting = new AbortController();
  let preconnected: Promise<unknown> = Promise.resolve();
  // A shared job's links may go to other workers, so it opens none; a shard's go to other
  // shards of the same host, each of which opens its own.
  const preconnect = opts.preconnect && (admit === undefined || context.shard !== undefined)
    ? preconnectOf(fetcher)
    : null;
  const preload = setTimeout(() => {
    if (preconnect !== null) {
      const init = {
        signal: preconnecting.signal,
        connectTimeoutMs: Math.min(opts.connectTimeoutMs, opts.timeoutMs),
      };
      preconnected = Promise.all(
        [...preconnectCounts(fresh, opts)].map(([origin, n]) => preconnect(origin + "/", n, init)),
      );
    }
    loadPageParsers().then((parsers) => {
      // Only while nothing has been parsed yet: warming up later would cost, not save.
      if (stats.pages === 0 && !signal.aborted) warmParsersOnce(parsers);
    }).catch(() => {});
  }, PRELOAD_AFTER_MS);

  // `fetchSlots` bounds fetches in flight; a fetch ends when its body is
  // received, and its page may still be parsed and handed on. `unhanded`
  // bounds the tasks started but not yet handed on to the consumer, so a slow
  // consumer still pauses the crawl.
  const fetchSlots: Permits = context.shard?.slots ?? new Semaphore(opts.concurrency);
  const sharedSlots = context.shard?.slots !== undefined;
  // Bounds the pages whose slot went before they were parsed, by their bytes.
  const unparsed = new UnparsedBudget(unparsedBudgetBytes(opts.concurrency));
  const unhanded = new Semaphore(opts.concurrency + outputBuffer);
  const running = new Set<Promise<void>>();

  /** Adds an event to the totals. */
  const count = (ev: CrawlEvent) => {
    if (ev.type === "page") {
      stats.pages++;
      stats.bytes += ev.bytes;
    } else if (ev.type === "error") stats.errors++;
    else if (ev.type === "skipped") stats.skipped++;
  };

  /** Queues the links of a page that the depth bound and the scope admit. */
  const queueLinks = (ev: CrawlEvent) => {
    if (ev.type !== "page" || ev.depth >= opts.maxDepth) return;
    for (const link of ev.links) {
      if (!frontier.has(link) && admitsLink(scope, link, ev.depth + 1, opts.maxDepth)) {
        enqueue({ url: link, depth: ev.depth + 1, parent: ev.url });
      }
    }
  };

  const runTask = async (task: Task, release: () => void, releaseUnhanded: () => void) => {
    let fetching = true;
    /** Bytes this page holds in `unparsed` (its slot went before it was parsed). */
    let held = 0;
    // Gives back the fetch slot as soon as the body is in (or the fetch failed),
    // before the page is parsed: the next fetch need not wait for this parse.
    const fetched = () => {
      if (!fetching) return;
      fetching = false;
      if (trace !== null) trace.stamp("slotFree");
      live.inFlight--;
      frontier.finish(task);
      // A shard over its share of the shared slots gives the slot back to the others.
      if (!fetchSlots.overShare && handOff(release)) return;
      release();
      wake.notify();
    };
    // The answer is in but not parsed: its slot may go now, if its body fits in the
    // budget of unparsed bytes; otherwise it goes once the page has been parsed.
    const fetchedEarly = (bytes: number) => {
      if (!fetching || !unparsed.take(bytes)) return;
      held = bytes;
      fetched();
    };
    /** The page has been parsed (or its fetch failed): its bytes leave the budget. */
    const parsed = () => {
      unparsed.give(held);
      held = 0;
      fetched();
    };
    try {
      // The slot goes as soon as the fetcher has the answer (onAnswerIn), or else once
      // the body has been read (onBodyReceived), before the page is parsed; at the
      // latest once it is parsed.
      const ev = await fetchPage(task, env, signal, {
        onAnswerIn: fetchedEarly,
        onBodyReceived: fetchedEarly,
      });
      parsed();
      count(ev);
      queueLinks(ev);
      pump();
      wake.notify(); // its links may be the work the dispatcher waits for
      await out.send(ev);
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      parsed();
      live.unhanded--;
      releaseUnhanded();
      wake.notify();
    }
  };

  /** Starts a task on a fetch slot and an `unhanded` permit already held. */
  const start = (task: Task, release: () => void, releaseUnhanded: () => void) => {
    live.inFlight++;
    live.unhanded++;
    if (trace !== null) trace.stamp("dispatch");
    const p = runTask(task, release, releaseUnhanded);
    running.add(p);
    p.finally(() => running.delete(p)).catch(() => {});
  };

  /** Set while a hand-off starts its task. */
  let handingOff = false;
  /**
   * Gives a fetch slot that was just freed straight to the next task, when
   * one may start now: the next request is sent from the code that read the
   * last answer, before that answer is parsed. Through the dispatcher it
   * would wait behind every microtask queued meanwhile (the reads and parses
   * of the other answers of the same event-loop turn): 4-8 ms on average,
   * 30-40 ms at p99, in the 500-wide latency crawl. False when the slot must
   * go back to the dispatcher (no task ready, output full, stopping).
   */
  const handOff = (release: () => void): boolean => {
    // Not from inside a hand-off: a fetcher that ends a body within its call would
    // otherwise run the whole frontier down one call stack.
    if (handingOff || signal.aborted || drain?.aborted) return false;
    const releaseUnhanded = unhanded.tryAcquire();
    if (releaseUnhanded === null) return false;
    const task = frontier.next(Date.now());
    if (task === null) {
      releaseUnhanded();
      return false;
    }
    handingOff = true;
    try {
      start(task, release, releaseUnhanded);
    } finally {
      handingOff = false;
    }
    return true;
  };

  /**
   * Starts tasks on free fetch slots at once, up to {@linkcode PUMP_MAX}:
   * called when a page's links were queued, so they are requested before
   * the next answer is parsed rather than when the dispatcher next runs.
   */
  const pump = () => {
    for (let n = 0; n < PUMP_MAX; n++) {
      const release = fetchSlots.tryAcquire();
      if (release === null) return;
      if (!handOff(release)) return release();
    }
  };

  let dispatched = 0;
  const dispatch = async () => {
    for (const ev of invalid) {
      stats.errors++;
      await out.send(ev);
    }
    if (opts.sitemaps) {
      // Loaded only here: the sitemap reader and its XML parser cost 20-25 ms of start-up.
      const { readSitemaps } = await import("./read_sitemaps.ts");
      // Sitemap URLs enter at depth 0 before any link is followed, through the
      // same admission as links (scope, include/exclude, maxPages, dedupe).
      const sitemapEnv = {
        options: opts,
        fetcher,
        scope,
        robots,
        admit: (url: string, sitemap: string, lastmod: string | null) =>
          !frontier.has(url) && admitsLink(scope, url, 0, opts.maxDepth) &&
          enqueue({ url, depth: 0, parent: sitemap, source: "sitemap", lastmod }),
        full: () => frontier.admitted >= opts.maxPages,
      };
      for await (const ev of readSitemaps(seeds, sitemapEnv, signal)) {
        count(ev);
        await out.send(ev);
      }
    }
    while (!signal.aborted && !drain?.aborted) {
      const releaseUnhanded = await unhanded.acquire(signal);
      let release: () => void;
      if (fetchSlots.available === 0) dispatched = 0; // waits for a slot: not a burst
      try {
        release = await fetchSlots.acquire(signal);
      } catch (e) {
        releaseUnhanded();
        throw e;
      }
      let task: Task | null;
      while ((task = drain?.aborted ? null : frontier.next(Date.now())) === null) {
        if (
          (live.unhanded === 0 && frontier.pending === 0 && admit === undefined) ||
          drain?.aborted
        ) {
          release();
          releaseUnhanded();
          return;
        }
        if (live.unhanded === 0 && frontier.pending === 0) context.shard?.onIdle();
        const at = frontier.nextWakeAt(Date.now());
        // A slot shared with other shards is not held while this one has nothing to fetch.
        if (sharedSlots) release();
        try {
          await waitForWakeOrTimeout(
            wake,
            at === null ? null : Math.max(1, at - Date.now()),
            signal,
          );
          if (sharedSlots) release = await fetchSlots.acquire(signal);
        } catch (e) {
          release();
          releaseUnhanded();
          throw e;
        }
      }
      start(task, release, releaseUnhanded);
      if (++dispatched % DISPATCH_BATCH === 0) await yieldToEventLoop();
    }
  };

  let failure: unknown = null;
  const dispatcher = dispatch()
    .catch((e) => {
      if (!signal.aborted) failure = e;
    })
    .finally(async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
      out.close();
    });

  let finished = false;
  try {
    for await (const ev of out) yield ev;
    await dispatcher;
    if (failure) throw failure;
    finished = true;
  } finally {
    outer?.removeEventListener("abort", onOuterAbort);
    drain?.removeEventListener("abort", onDrain);
    if (!finished) {
      internal.abort(new DOMException("Crawl consumer stopped", "AbortError"));
      out.close();
      await dispatcher;
    }
    parsePool?.close();
    clearTimeout(preload);
    // Connections opened ahead that no request used are closed.
    preconnecting.abort();
    await preconnected;
  }
  stats.durationMs = Math.round(performance.now() - started);
  const done: DoneEvent = {
    type: "done",
    stats: { ...stats },
    reason: signal.aborted || drain?.aborted
      ? "aborted"
      : heap.full
      ? "memory_limit"
      : frontier.dropped > 0
      ? "max_pages"
      : "complete",
  };
  yield done;
}
