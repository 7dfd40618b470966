/**
 * How a crawl is split over threads (see `sharded_crawl.ts`): which shard
 * owns a URL, and each shard's share of the crawl's limits. Pure functions.
 *
 * A URL belongs to one shard, found from a hash of the URL itself when every
 * shard may hold a request to a host at once (`perHost` at least the number
 * of shards) and no delay spaces the requests, so one big site spreads over
 * all of them (the seeds go to shard 0, which starts first); otherwise from a
 * hash of its host name, so each host lives in one shard under the full
 * limits and its requests are spaced by one clock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planShards, shardOf } from "./shard_plan.ts";
 * const plan = planShards({ concurrency: 64, perHost: 64, delayMs: 0 }, 2);
 * assert.equal(plan.by, "url");
 * assert.deepEqual(plan.shares.map((s) => s.concurrency), [32, 32]);
 * const owner = shardOf("http://a.test/x", plan);
 * assert.ok(owner === 0 || owner === 1);
 * ```
 * @module
 */
import type { CrawlOptions } from "./options.ts";
import { hostnameOf } from "../url/url_parts.ts";

/**
 * One shard's share of the crawl's limits. The fetch slots themselves are
 * shared (`concurrency` in all, see `SharedSemaphore`); a shard's own
 * `concurrency` sizes its buffers and its pre-connects.
 */
export interface ShardShare {
  /** Its share of the fetches in flight at once. */
  concurrency: number;
  /** Its fetches in flight at once to one host. */
  perHost: number;
  /** Factor on its host delays, `delayMs` and robots.txt `Crawl-delay` alike. */
  delayScale: number;
}

/** A crawl's split over `shards` threads. */
export interface ShardPlan {
  /** How many shards. */
  shards: number;
  /** What a URL's owner is hashed from. */
  by: "url" | "host";
  /** Each shard's limits, by shard number. */
  shares: ShardShare[];
}

/** Splits `total` into `n` whole parts that differ by at most one, larger first. */
export function splitEvenly(total: number, n: number): number[] {
  const base = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => base + (i < total % n ? 1 : 0));
}

/**
 * Plans a crawl over `threads` shards: never more shards than the crawl's
 * concurrency; the limits add up to the crawl's own (a shard owning a part of
 * each host's URLs also gets a part of `perHost`, unless `perHost` is at
 * least the whole concurrency, and spaces its requests to a host `shards`
 * times a robots.txt `Crawl-delay` apart).
 */
export function planShards(
  options: Pick<CrawlOptions, "concurrency" | "perHost" | "delayMs">,
  threads: number,
): ShardPlan {
  const shards = Math.max(1, Math.min(threads, options.concurrency));
  const by = options.perHost >= shards && options.delayMs === 0 ? "url" : "host";
  const concurrency = splitEvenly(options.concurrency, shards);
  // A per-host limit of at least the whole concurrency never binds before the shared
  // fetch slots do (see `SharedSemaphore`), so each shard may take all of it.
  const perHost = by === "url" && options.perHost < options.concurrency
    ? splitEvenly(options.perHost, shards)
    : concurrency.map(() => options.perHost);
  const scale = by === "url" ? shards : 1;
  return {
    shards,
    by,
    shares: concurrency.map((c, i) => ({
      concurrency: c,
      perHost: perHost[i],
      delayScale: scale,
    })),
  };
}

/** FNV-1a, 32 bits, of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** What decides a URL's owner: the plan, and the seeds when URLs are hashed. */
export interface Ownership extends Pick<ShardPlan, "shards" | "by"> {
  /**
   * The crawl's (normalized) seeds: when URLs are hashed, shard 0 owns them,
   * so the first requests go out from the thread that starts first. @default none
   */
  seeds?: ReadonlySet<string>;
}

/**
 * MurmurHash3's finalizer: every output bit depends on every input bit. FNV-1a
 * alone is no good modulo a small number: its lowest bit is the parity of the
 * text's characters, so `/r1` and `/t1` would always share a shard.
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard that owns a (normalized) URL. */
export function shardOf(url: string, owners: Ownership): number {
  if (owners.shards === 1) return 0;
  if (owners.by === "host") return mix32(fnv1a(hostnameOf(url))) % owners.shards;
  if (owners.seeds?.has(url)) return 0;
  return mix32(fnv1a(url)) % owners.shards;
}

/** Int32s in a {@linkcode claimShared} counter. */
export const BUDGET_SLOTS = 2;

/**
 * Claims one URL of `maxPages` from a budget shared by the shards
 * ({@linkcode BUDGET_SLOTS} Int32s in a SharedArrayBuffer: the URLs claimed,
 * and 1 once a claim was refused); false once they are spent. Exactly
 * `maxPages` claims succeed, whichever threads make them.
 */
export function claimShared(budget: Int32Array, maxPages: number): boolean {
  if (Atomics.load(budget, 0) < maxPages && Atomics.add(budget, 0, 1) < maxPages) return true;
  Atomics.store(budget, 1, 1);
  return false;
}

/** Whether a claim on the budget was ever refused (the crawl ended at `maxPages`). */
export function budgetRefused(budget: Int32Array): boolean {
  return Atomics.load(budget, 1) === 1;
}
