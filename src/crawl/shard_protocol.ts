/**
 * The messages between a crawl's coordinator (`sharded_crawl.ts`, on the
 * main thread, which runs shard 0 itself) and the worker threads running the
 * other shards (`shard_worker.ts`), and how either side turns a robots.txt
 * fetched once for all shards into rules.
 *
 * @module
 */
import type { CrawlOptions } from "./options.ts";
import type { Task } from "./frontier.ts";
import type { CrawlStats } from "./events.ts";
import type { CrawlProgress } from "./crawl.ts";
import type { ShardMessage } from "./shard_router.ts";
import type { Ownership } from "./shard_plan.ts";
import { type RobotsFile, type RobotsRules, rulesOf } from "../robots/robots_rules.ts";
import { abortable } from "../async/abortable.ts";

/** How a worker builds its fetcher: the SSRF guard's settings, as data. */
export interface FetcherSpec {
  /** Refuse private and reserved addresses (`--deny-private`). */
  denyPrivate: boolean;
  /** Networks let through anyway (`--allow-nets`). */
  allowNets: string | null;
}

/** From the coordinator to a worker. */
export type ToShard =
  | {
    t: "start";
    shard: number;
    plan: Ownership;
    seeds: string[];
    options: CrawlOptions;
    /** Factor on its host delays (`ShardShare.delayScale`). */
    delayScale: number;
    /** URLs admitted so far, all shards together (see `claimShared`). */
    budget: SharedArrayBuffer;
    /** The fetch slots of the whole crawl (a `SharedSemaphore`'s buffer). */
    slots: SharedArrayBuffer;
    /** The crawl's whole concurrency: how many of `slots`. */
    concurrency: number;
    heapLimitBytes: number;
    fetcher: FetcherSpec;
  }
  | { t: "links"; tasks: Task[] }
  /** URLs this shard owns that another followed as redirect targets. */
  | { t: "seen"; urls: string[] }
  /** An origin's robots.txt, as fetched once for all shards; `null` when the crawl is stopping. */
  | { t: "robots"; origin: string; file: RobotsFile | null }
  | { t: "probe"; wave: number }
  /** A batch of events was taken: one more may be sent. */
  | { t: "ack" }
  /** The crawl has ended (or is stopping gently): finish what is in flight. */
  | { t: "drain" }
  /** Stop at once. */
  | { t: "abort" };

/** From a worker to the coordinator. */
export type FromShard =
  | ShardMessage
  /** The shard needs the robots.txt rules of an origin. */
  | { t: "robots"; origin: string }
  /** Events, encoded as NDJSON lines. */
  | { t: "events"; text: string; progress: CrawlProgress }
  | { t: "done"; stats: CrawlStats; progress: CrawlProgress; memoryFull: boolean }
  | { t: "failed"; message: string };

/**
 * The rules of a robots.txt fetched once for all shards, no longer waited
 * for once `signal` aborts; `null` (the crawl stopped before it came)
 * rejects with an `AbortError`.
 */
export async function rulesWhenFetched(
  file: Promise<RobotsFile | null>,
  signal?: AbortSignal,
): Promise<RobotsRules> {
  const f = await (signal === undefined ? file : abortable(file, signal));
  if (f === null) throw new DOMException("Crawl stopped", "AbortError");
  return rulesOf(f);
}
