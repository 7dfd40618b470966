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
import { defaultFetcher, type Fetcher } from "../net/fetcher.ts";
import { Frontier, type Task } from "./frontier.ts";
import { RobotsCache } from "../robots/robots_cache.ts";
import { fetchRobots } from "../robots/robots_rules.ts";
import { type CompiledScope, compileScope, inScope } from "../url/scope.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import { Semaphore } from "../async/semaphore.ts";
import { Channel } from "../async/channel.ts";
import { Signal } from "../async/signal.ts";
import { waitForWakeOrTimeout } from "../async/wait_for_wake_or_timeout.ts";
import { fetchPage, type PageEnv } from "./fetch_page.ts";
import { ParsePool } from "../html/parse_pool.ts";
import { setImmediate } from "node:timers";
import { trace } from "../trace/dispatch_trace.ts";

/** A URL known from an earlier run of the same crawl (crash-resume). */
export interface ResumeEntry {
  url: string;
  depth: number;
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
}

/** A live view of a running crawl, e.g. for a progress line. */
export interface CrawlProgress extends CrawlStats {
  queued: number;
  inFlight: number;
}

/** What {@linkcode crawl} returns: the events, plus live progress. */
export interface CrawlRun extends AsyncIterableIterator<CrawlEvent> {
  readonly progress: CrawlProgress;
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

/** Resolves after pending I/O callbacks have run (a macrotask, unlike a microtask). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
  });
  const live = { inFlight: 0, tasks: 0 };
  const gen = run(seeds, opts, context, stats, frontier, live);
  Object.defineProperty(gen, "progress", {
    get: (): CrawlProgress => ({ ...stats, queued: frontier.pending, inFlight: live.inFlight }),
  });
  return gen as unknown as CrawlRun;
}

async function* run(
  rawSeeds: Iterable<string>,
  opts: CrawlOptions,
  context: CrawlContext,
  stats: CrawlStats,
  frontier: Frontier,
  live: { inFlight: number; tasks: number },
): AsyncGenerator<CrawlEvent> {
  const started = performance.now();
  const internal = new AbortController();
  const outer = context.signal;
  const onOuterAbort = () => internal.abort(outer!.reason);
  if (outer?.aborted) internal.abort(outer.reason);
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = internal.signal;

  const out = new Channel<CrawlEvent>(OUTPUT_BUFFER);
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
  const scope = compileScope(
    [...seeds, ...resumed.filter((t) => t.depth === 0).map((t) => t.url)],
    opts,
  );
  const fetcher = context.fetcher ?? defaultFetcher;
  const robots = opts.ignoreRobots ? null : new RobotsCache((origin, s) =>
    fetchRobots(origin, {
      fetcher,
      userAgent: opts.userAgent,
      timeoutMs: opts.timeoutMs,
      signal: s,
    })
  );
  const parsePool = opts.parseWorkers > 0 ? new ParsePool(opts.parseWorkers) : null;
  const env: PageEnv = {
    options: opts,
    fetcher,
    scope,
    robots,
    onRobots: (url, d) => frontier.setHostDelay(url, d),
    onRedirect: (url) => frontier.markSeen(url),
    parsePool,
  };
  for (const t of resumed) frontier.add(t);
  for (const s of seeds) frontier.add({ url: s, depth: 0, parent: null });

  // `sem` bounds fetches in flight; a fetch ends when its body is received, and
  // its page may still be parsed and handed on. `tasks` bounds fetched pages
  // not yet handed on, so a slow consumer still pauses the crawl.
  const sem = new Semaphore(opts.concurrency);
  const tasks = new Semaphore(opts.concurrency + OUTPUT_BUFFER);
  const wake = new Signal();
  const running = new Set<Promise<void>>();

  const record = (ev: CrawlEvent) => {
    if (ev.type === "page") {
      stats.pages++;
      stats.bytes += ev.bytes;
      if (ev.depth < opts.maxDepth) {
        for (const link of ev.links) {
          if (!frontier.has(link) && admitsLink(scope, link, ev.depth + 1, opts.maxDepth)) {
            frontier.add({ url: link, depth: ev.depth + 1, parent: ev.url });
          }
        }
      }
    } else if (ev.type === "error") stats.errors++;
    else if (ev.type === "skipped") stats.skipped++;
  };

  const runTask = async (task: Task, release: () => void, releaseTask: () => void) => {
    let fetching = true;
    // Gives back the fetch slot as soon as the body is in (or the fetch failed),
    // before the page is parsed: the next fetch need not wait for this parse.
    const fetched = () => {
      if (!fetching) return;
      fetching = false;
      if (trace !== null) trace.stamp("slotFree");
      live.inFlight--;
      frontier.finish(task);
      release();
      wake.notify();
    };
    try {
      const ev = await fetchPage(task, env, signal, { onBodyReceived: fetched });
      fetched();
      record(ev);
      wake.notify(); // its links may be the work the dispatcher waits for
      await out.send(ev);
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      fetched();
      live.tasks--;
      releaseTask();
      wake.notify();
    }
  };

  let dispatched = 0;
  const dispatch = async () => {
    for (const ev of invalid) {
      stats.errors++;
      await out.send(ev);
    }
    while (!signal.aborted) {
      const releaseTask = await tasks.acquire(signal);
      let release: () => void;
      if (sem.available === 0) dispatched = 0; // waits for a slot: not a burst
      try {
        release = await sem.acquire(signal);
      } catch (e) {
        releaseTask();
        throw e;
      }
      let task: Task | null;
      while ((task = frontier.next(Date.now())) === null) {
        if (live.tasks === 0 && frontier.pending === 0) {
          release();
          releaseTask();
          return;
        }
        const at = frontier.nextWakeAt(Date.now());
        try {
          await waitForWakeOrTimeout(
            wake,
            at === null ? null : Math.max(1, at - Date.now()),
            signal,
          );
        } catch (e) {
          release();
          releaseTask();
          throw e;
        }
      }
      live.inFlight++;
      live.tasks++;
      if (trace !== null) trace.stamp("dispatch");
      const p = runTask(task, release, releaseTask);
      running.add(p);
      p.finally(() => running.delete(p)).catch(() => {});
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
    if (!finished) {
      internal.abort(new DOMException("Crawl consumer stopped", "AbortError"));
      out.close();
      await dispatcher;
    }
    parsePool?.close();
  }
  stats.durationMs = Math.round(performance.now() - started);
  const done: DoneEvent = {
    type: "done",
    stats: { ...stats },
    reason: signal.aborted ? "aborted" : frontier.dropped > 0 ? "max_pages" : "complete",
  };
  yield done;
}
