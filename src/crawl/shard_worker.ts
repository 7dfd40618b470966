/**
 * A worker thread running one shard of a crawl spread over threads (see
 * `sharded_crawl.ts` for the whole, `shard_protocol.ts` for the messages):
 * it crawls the URLs it owns with its share of the limits, sends the others'
 * links on through the coordinator, and sends its events back in batches of
 * NDJSON text,
 * at most {@linkcode MAX_UNACKED} unacknowledged (the coordinator acknowledges
 * a batch once it has room for it, so a slow consumer pauses this shard too).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { crawl, type CrawlRun } from "./crawl.ts";
import { ShardRouter } from "./shard_router.ts";
import { claimShared } from "./shard_plan.ts";
import { type FromShard, rulesWhenFetched, type ToShard } from "./shard_protocol.ts";
import { makeFetcherForFlags } from "../net/make_fetcher.ts";
import type { RobotsFile, RobotsRules } from "../robots/robots_rules.ts";
import { SharedSemaphore } from "../async/shared_semaphore.ts";

/** Event batches sent and not yet acknowledged, at most. */
const MAX_UNACKED = 4;
/** Events per batch, at most. */
const BATCH_EVENTS = 64;
/** How long a batch may wait to fill, in ms. */
const BATCH_WAIT_MS = 2;

const stop = new AbortController();
const drain = new AbortController();
let router: ShardRouter | null = null;
let unacked = 0;
let onAck: (() => void) | null = null;

function post(m: FromShard): void {
  self.postMessage(m);
}

/** Loads of robots.txt waiting for the coordinator, by origin. */
const robotsWaiting = new Map<string, PromiseWithResolvers<RobotsFile | null>>();

/** Asks the coordinator for an origin's robots.txt, which it fetches once for every shard. */
function loadRobots(origin: string, signal?: AbortSignal): Promise<RobotsRules> {
  let w = robotsWaiting.get(origin);
  if (w === undefined) {
    w = Promise.withResolvers();
    robotsWaiting.set(origin, w);
    post({ t: "robots", origin });
  }
  return rulesWhenFetched(w.promise, signal);
}

function robotsArrived(origin: string, file: RobotsFile | null): void {
  robotsWaiting.get(origin)?.resolve(file);
  robotsWaiting.delete(origin);
}

self.onmessage = (e: MessageEvent<ToShard>) => {
  const m = e.data;
  switch (m.t) {
    case "start":
      run(m).catch((err) => post({ t: "failed", message: String(err?.stack ?? err) }));
      break;
    case "links":
      router?.receive(m.tasks);
      break;
    case "seen":
      router?.receiveSeen(m.urls);
      break;
    case "robots":
      robotsArrived(m.origin, m.file);
      break;
    case "probe":
      router?.probe(m.wave);
      break;
    case "ack":
      unacked--;
      onAck?.();
      break;
    case "drain":
      drain.abort();
      break;
    case "abort":
      stop.abort(new DOMException("Crawl stopped", "AbortError"));
      break;
  }
};

async function run(m: Extract<ToShard, { t: "start" }>): Promise<void> {
  const r = new ShardRouter(m.shard, m.plan, post, m.heapLimitBytes);
  router = r;
  const counter = new Int32Array(m.budget);
  const fetcher = await makeFetcherForFlags(m.fetcher.denyPrivate, m.fetcher.allowNets);
  let crawlRun: CrawlRun | null = null;
  try {
    crawlRun = crawl(m.seeds, m.options, {
      signal: stop.signal,
      fetcher,
      drain: drain.signal,
      admit: (task) => r.admit(task),
      shard: {
        claimPage: () => claimShared(counter, m.options.maxPages),
        delayScale: m.delayScale,
        loadRobots,
        slots: new SharedSemaphore(m.slots, m.concurrency, m.options.concurrency),
        onIdle: () => r.onIdle(),
        onRedirect: (url) => r.redirected(url),
      },
    });
    r.attach(crawlRun.add, crawlRun.markSeen);
    let batch = "";
    let inBatch = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiting: (() => void) | null = null;
    /** Sends the batch soon, unless one is on its way or too many are unacknowledged. */
    const schedule = () => {
      if (timer === undefined && inBatch > 0 && unacked < MAX_UNACKED) {
        timer = setTimeout(send, BATCH_WAIT_MS);
      }
    };
    onAck = () => {
      if (waiting !== null) waiting();
      else schedule();
    };
    const send = () => {
      clearTimeout(timer);
      timer = undefined;
      if (inBatch === 0) return;
      unacked++;
      post({ t: "events", text: batch, progress: crawlRun!.progress });
      batch = "";
      inBatch = 0;
    };
    for await (const ev of crawlRun) {
      if (ev.type === "done") {
        send();
        post({
          t: "done",
          stats: ev.stats,
          progress: crawlRun.progress,
          memoryFull: r.memoryFull,
        });
        break;
      }
      batch += JSON.stringify(ev) + "\n";
      if (++inBatch >= BATCH_EVENTS) {
        while (unacked >= MAX_UNACKED) await new Promise<void>((res) => (waiting = res));
        waiting = null;
        send();
      } else schedule();
    }
    clearTimeout(timer);
  } finally {
    await fetcher[Symbol.asyncDispose]?.();
  }
}
