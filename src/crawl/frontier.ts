/**
 * The crawl frontier: every URL seen once, per-host queues, and the
 * politeness rules (per-host parallelism, per-host delay) as data. It is a
 * plain in-memory structure; the dispatcher asks it for the next task whose
 * host may be contacted now.
 *
 * @example
 * ```ts
 * import { Frontier } from "./frontier.ts";
 * const f = new Frontier({ perHost: 1, delayMs: 0, maxPages: 10 });
 * f.add({ url: "http://a.test/", depth: 0, parent: null });
 * const t = f.next(Date.now()); // the task for http://a.test/
 * f.finish(t!);
 * ```
 * @module
 */
import { hostnameOf } from "../url/url_parts.ts";

/** One URL to fetch. */
export interface Task {
  /** The normalized URL to fetch. */
  url: string;
  /** Link hops from the seeds (seeds are 0). */
  depth: number;
  /** The page (or sitemap) that led here; `null` for seeds. */
  parent: string | null;
  /** `"sitemap"` for a URL read from a sitemap (then `parent` is the sitemap). */
  source?: "sitemap";
  /** The sitemap's `<lastmod>` of the URL, as written. */
  lastmod?: string | null;
}

/** Settings of a {@linkcode Frontier}. */
export interface FrontierOptions {
  /** Tasks in flight per host. */
  perHost: number;
  /** Least time between two starts on one host, in ms. */
  delayMs: number;
  /** URLs admitted at most over the crawl's life. */
  maxPages: number;
  /**
   * New hosts get one request at a time until {@linkcode Frontier.setHostDelay}
   * is called (used while their robots.txt is read). @default false
   */
  probeNewHosts?: boolean;
  /**
   * Claims one URL of a budget shared with other frontiers (the shards of a
   * crawl spread over threads), instead of counting `maxPages` here; false
   * when the budget is spent. @default undefined (this frontier's own count)
   */
  claim?: () => boolean;
  /**
   * Multiplies every host's delay, robots.txt `Crawl-delay` included: a
   * frontier that holds one of N shards of a host's URLs spaces its own
   * requests N times as far apart, so the host sees the delay asked for.
   * @default 1
   */
  delayScale?: number;
}

interface HostState {
  name: string;
  queue: Task[];
  head: number;
  active: number;
  /** When the last task started; the next may start `delayMs` after it. */
  lastStart: number;
  delayMs: number;
  /** Until robots.txt is known, one request at a time. */
  probing: boolean;
}

/** See the module doc. */
export class Frontier {
  #opts: FrontierOptions;
  #seen = new Set<string>();
  #hosts = new Map<string, HostState>();
  /** Hosts with queued tasks, in round-robin order. */
  #ready = new Set<HostState>();
  #pending = 0;
  #admitted = 0;
  #dropped = 0;

  constructor(options: FrontierOptions) {
    this.#opts = options;
  }

  /** Tasks queued and not yet started. */
  get pending(): number {
    return this.#pending;
  }

  /** URLs admitted so far (towards `maxPages`). */
  get admitted(): number {
    return this.#admitted;
  }

  /** URLs refused because `maxPages` was reached. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether a URL was seen (queued, fetched or marked). */
  has(url: string): boolean {
    return this.#seen.has(url);
  }

  /** Records a URL as seen without queueing it (redirect targets, resumed results). */
  markSeen(url: string, counts = false): void {
    if (this.#seen.has(url)) return;
    this.#seen.add(url);
    if (counts) this.#admitted++;
  }

  /** Queues a task unless its URL was seen or `maxPages` is reached; true when queued. */
  add(task: Task): boolean {
    if (this.#seen.has(task.url)) return false;
    const claim = this.#opts.claim;
    if (claim === undefined ? this.#admitted >= this.#opts.maxPages : !claim()) {
      this.#dropped++;
      return false;
    }
    this.#seen.add(task.url);
    this.#admitted++;
    const host = this.#host(hostnameOf(task.url));
    host.queue.push(task);
    this.#pending++;
    this.#ready.add(host);
    return true;
  }

  #host(name: string): HostState {
    let h = this.#hosts.get(name);
    if (!h) {
      h = {
        name,
        queue: [],
        head: 0,
        active: 0,
        lastStart: -Infinity,
        delayMs: this.#opts.delayMs * (this.#opts.delayScale ?? 1),
        probing: this.#opts.probeNewHosts ?? false,
      };
      this.#hosts.set(name, h);
    }
    return h;
  }

  #limit(h: HostState): number {
    return h.probing ? 1 : this.#opts.perHost;
  }

  /** Takes the next task whose host has a free slot and whose delay has passed. */
  next(now: number): Task | null {
    for (const h of this.#ready) {
      if (h.active >= this.#limit(h) || h.lastStart + h.delayMs > now) continue;
      const task = h.queue[h.head++];
      this.#pending--;
      h.active++;
      h.lastStart = now;
      this.#ready.delete(h);
      if (h.head < h.queue.length) this.#ready.add(h); // to the back: round robin
      else {
        h.queue = [];
        h.head = 0;
      }
      return task;
    }
    return null;
  }

  /**
   * When the earliest delayed host becomes ready, or `null` when no host is
   * waiting on a delay only.
   */
  nextWakeAt(now: number): number | null {
    let at: number | null = null;
    for (const h of this.#ready) {
      const readyAt = h.lastStart + h.delayMs;
      if (h.active < this.#limit(h) && readyAt > now && (at === null || readyAt < at)) {
        at = readyAt;
      }
    }
    return at;
  }

  /** Gives back the host slot of a finished task. */
  finish(task: Task): void {
    const h = this.#hosts.get(hostnameOf(task.url));
    if (h) h.active--;
  }

  /** Sets a host's delay (at least the crawl's `delayMs`) and ends its probing. */
  setHostDelay(url: string, delayMs: number | undefined): void {
    const h = this.#host(hostnameOf(url));
    h.probing = false;
    if (delayMs !== undefined) {
      h.delayMs = Math.max(this.#opts.delayMs, delayMs) * (this.#opts.delayScale ?? 1);
    }
  }
}
