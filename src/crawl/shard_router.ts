/**
 * One shard's side of a crawl spread over threads (see `sharded_crawl.ts`):
 * every URL the shard's run would queue goes through {@linkcode ShardRouter.admit},
 * which keeps the URLs this shard owns and batches the others to their
 * owners; links from other shards come in through
 * {@linkcode ShardRouter.receive}. The router also counts the tasks sent and
 * received and reports them whenever the run goes idle, which is all the
 * coordinator needs to tell when the whole crawl has ended (see
 * `quiescence.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ShardRouter, type ShardMessage } from "./shard_router.ts";
 * const sent: ShardMessage[] = [];
 * const router = new ShardRouter(0, { shards: 2, by: "host" }, (m) => sent.push(m));
 * const kept: string[] = [];
 * router.attach((t) => (kept.push(t.url), true), () => {});
 * router.receive([{ url: "http://a.test/", depth: 1, parent: "http://b.test/" }]);
 * router.onIdle();
 * assert.deepEqual(kept, ["http://a.test/"]);
 * assert.deepEqual(sent.at(-1), { t: "idle", sent: 0, recv: 1, wave: 0 });
 * ```
 * @module
 */
import type { Task } from "./frontier.ts";
import { type Ownership, shardOf } from "./shard_plan.ts";
import { HeapGuard } from "./heap_guard.ts";

/** What a shard tells the coordinator. */
export type ShardMessage =
  /** Tasks owned by shard `to`. */
  | { t: "links"; to: number; tasks: Task[] }
  /** URLs owned by shard `to` that another shard fetched as redirect targets. */
  | { t: "seen"; to: number; urls: string[] }
  /**
   * The shard is idle, having sent and received these many tasks in all;
   * `wave` is the probe it answers, or 0 when it went idle by itself.
   */
  | { t: "idle"; sent: number; recv: number; wave: number };

/** Tasks batched for one shard before they are posted. */
const BATCH_MAX = 256;

/** See the module doc. */
export class ShardRouter {
  #self: number;
  #plan: Ownership;
  #post: (m: ShardMessage) => void;
  #add: ((task: Task) => boolean) | null = null;
  #markSeen: ((url: string) => void) | null = null;
  #seenEarly: string[] = [];
  /** Redirect targets batched for their owners, by shard. */
  #seen: string[][];
  #batches: Task[][];
  #flushQueued = false;
  #sent = 0;
  #recv = 0;
  #idle = false;
  #reported: { sent: number; recv: number } | null = null;
  #probe = 0;
  #buffered: Task[] = [];
  #heap: HeapGuard;

  /**
   * @param self this shard's number
   * @param plan how many shards, and what owners are found from
   * @param post sends a message to the coordinator
   * @param heapLimitBytes heap bytes in use (this thread's) past which owned
   *   URLs are dropped, as `CrawlContext.heapLimitBytes` does for one run
   */
  constructor(
    self: number,
    plan: Ownership,
    post: (m: ShardMessage) => void,
    heapLimitBytes = Infinity,
  ) {
    this.#self = self;
    this.#plan = plan;
    this.#post = post;
    this.#heap = new HeapGuard(heapLimitBytes);
    this.#batches = Array.from({ length: plan.shards }, () => []);
    this.#seen = Array.from({ length: plan.shards }, () => []);
  }

  /**
   * Connects the run: `add` queues a task in this shard's frontier (false when
   * its URL was seen), `markSeen` marks a URL seen. Tasks and URLs received
   * before are handed on now.
   */
  attach(add: (task: Task) => boolean, markSeen: (url: string) => void): void {
    this.#add = add;
    this.#markSeen = markSeen;
    const early = this.#buffered;
    this.#buffered = [];
    for (const u of this.#seenEarly) markSeen(u);
    this.#seenEarly = [];
    for (const t of early) add(t);
  }

  /** A redirect target this shard followed: its owner marks it seen too. */
  redirected(url: string): void {
    const owner = shardOf(url, this.#plan);
    if (owner === this.#self) return; // the run marked it already
    const batch = this.#seen[owner];
    batch.push(url);
    this.#scheduleFlush();
  }

  /** URLs another shard followed as redirect targets: not to be fetched here. */
  receiveSeen(urls: readonly string[]): void {
    for (const u of urls) {
      if (this.#markSeen === null) this.#seenEarly.push(u);
      else this.#markSeen(u);
    }
  }

  /** Whether the heap limit was reached, so owned URLs are being dropped. */
  get memoryFull(): boolean {
    return this.#heap.full;
  }

  /** Sent and received tasks so far. */
  get counts(): { sent: number; recv: number } {
    return { sent: this.#sent, recv: this.#recv };
  }

  /**
   * A URL the run would queue: kept when this shard owns it, else batched to
   * its owner. A seed (no parent) is left to its owner, which has the seeds
   * too. True when the task was queued here or sent on.
   */
  admit(task: Task): boolean {
    const owner = shardOf(task.url, this.#plan);
    if (owner === this.#self) return this.#queue(task);
    if (task.parent === null) return false;
    this.#sendTo(owner, task);
    return true;
  }

  #sendTo(owner: number, task: Task): void {
    const batch = this.#batches[owner];
    batch.push(task);
    this.#sent++;
    if (batch.length >= BATCH_MAX) this.#flushTo(owner);
    else this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Tasks another shard found for this one. */
  receive(tasks: readonly Task[]): void {
    this.#recv += tasks.length;
    let added = 0;
    for (const t of tasks) if (this.#queue(t)) added++;
    // Nothing new to do: the run stays idle and would not say so again.
    if (added === 0 && this.#idle) this.#report(0);
  }

  /** Posts the batched tasks now. */
  flush(): void {
    this.#flushQueued = false;
    for (let s = 0; s < this.#batches.length; s++) this.#flushTo(s);
  }

  /** The run went idle (see `CrawlShard.onIdle`). */
  onIdle(): void {
    this.#idle = true;
    const r = this.#reported;
    if (this.#probe !== 0) {
      const wave = this.#probe;
      this.#probe = 0;
      this.#report(wave);
    } else if (r === null || r.sent !== this.#sent || r.recv !== this.#recv) this.#report(0);
  }

  /** The coordinator asks for the counts, to be given once the run is idle. */
  probe(wave: number): void {
    if (this.#idle) this.#report(wave);
    else this.#probe = wave;
  }

  #queue(task: Task): boolean {
    if (!this.#heap.admit()) return false;
    if (this.#add === null) this.#buffered.push(task);
    else if (!this.#add(task)) return false;
    this.#idle = false;
    return true;
  }

  #flushTo(owner: number): void {
    // Seen URLs first: a link to the same URL sent after them finds it seen.
    const urls = this.#seen[owner];
    if (urls.length > 0) {
      this.#seen[owner] = [];
      this.#post({ t: "seen", to: owner, urls });
    }
    const tasks = this.#batches[owner];
    if (tasks.length === 0) return;
    this.#batches[owner] = [];
    this.#post({ t: "links", to: owner, tasks });
  }

  #report(wave: number): void {
    this.flush();
    this.#reported = { sent: this.#sent, recv: this.#recv };
    this.#post({ t: "idle", sent: this.#sent, recv: this.#recv, wave });
  }
}
