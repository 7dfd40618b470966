/**
 * Runs crawl jobs from the store: claims a job under a lease, resumes it from
 * its stored frontier, turns the engine's events into batched idempotent
 * writes, keeps the lease alive, and ends the job as completed, cancelled or
 * failed. A process that dies leaves its lease to expire, and any process
 * (itself after a restart, or another one) takes the job over.
 *
 * @example
 * ```ts ignore
 * const runner = new JobRunner(store, { owner: "p1", leaseMs: 30000, pollMs: 1000, maxRunning: 4, fetcher, hub, metrics });
 * runner.start();
 * // ...
 * await runner.stop();
 * ```
 * @module
 */
import type { CrawlEvent } from "../crawl/events.ts";
import { crawl, type CrawlRun } from "../crawl/crawl.ts";
import { resolveOptions } from "../crawl/options.ts";
import type { Fetcher } from "../net/fetcher.ts";
import type { JobDoc, JobPatch, Store, WriteBatch } from "../store/store.ts";
import { delay } from "../async/delay.ts";
import { Signal } from "../async/signal.ts";
import type { JobHub } from "./job_hub.ts";
import type { Metrics } from "./metrics.ts";

/** Settings of a {@linkcode JobRunner}. */
export interface JobRunnerOptions {
  /** This process's name in job leases. */
  owner: string;
  /** How long a lease lasts; renewed every `min(1 s, leaseMs / 3)`. */
  leaseMs: number;
  /** How often to look for claimable jobs when idle. */
  pollMs: number;
  /** Jobs run at once by this process. */
  maxRunning: number;
  fetcher: Fetcher;
  hub: JobHub;
  metrics: Metrics;
  /** Longest a finished event waits before it is written. @default 100 */
  flushMs?: number;
  /** Events per write batch at most. @default 200 */
  batchSize?: number;
  /** Where problems are reported. @default console.error */
  log?: (message: string) => void;
}

/** Why a running job was stopped. */
export class JobStop extends Error {
  readonly kind: "cancel" | "shutdown" | "lease_lost";
  constructor(kind: "cancel" | "shutdown" | "lease_lost") {
    super(`Job stopped: ${kind}`);
    this.name = "JobStop";
    this.kind = kind;
  }
}

interface Running {
  ac: AbortController;
  run: CrawlRun | null;
  done: Promise<void>;
}

function emptyBatch(): WriteBatch {
  return { frontier: [], pages: [], events: [] };
}

const TICK: unique symbol = Symbol("tick");

/** See the module doc. */
export class JobRunner {
  #store: Store;
  #o: Required<JobRunnerOptions>;
  #running = new Map<string, Running>();
  #wake = new Signal();
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #claimErrorLogged = false;

  constructor(store: Store, options: JobRunnerOptions) {
    this.#store = store;
    this.#o = {
      ...options,
      flushMs: options.flushMs ?? 100,
      batchSize: options.batchSize ?? 200,
      log: options.log ?? ((m) => console.error(m)),
    };
  }

  /** Jobs running in this process. */
  get runningJobs(): number {
    return this.#running.size;
  }

  /** Fetches in flight across this process's jobs. */
  get inFlight(): number {
    let n = 0;
    for (const r of this.#running.values()) n += r.run?.progress.inFlight ?? 0;
    return n;
  }

  /** Starts claiming and running jobs. */
  start(): void {
    this.#loop ??= this.#claimLoop();
  }

  /** Says a job was queued, so an idle runner looks at once. */
  notify(): void {
    this.#wake.notify();
  }

  /** Cancels a job if this process runs it; false otherwise. */
  cancelLocal(id: string): boolean {
    const r = this.#running.get(id);
    if (!r) return false;
    r.ac.abort(new JobStop("cancel"));
    return true;
  }

  /**
   * Stops claiming, checkpoints every running job (its events so far are
   * written and its lease released, so a restart resumes it) and waits.
   */
  async stop(): Promise<void> {
    this.#stop.abort(new JobStop("shutdown"));
    await this.#loop;
    for (const r of this.#running.values()) r.ac.abort(new JobStop("shutdown"));
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  async #claimLoop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      if (this.#running.size < this.#o.maxRunning) {
        let job: JobDoc | null = null;
        try {
          job = await this.#store.claimJob(this.#o.owner, this.#o.leaseMs, new Date());
          this.#claimErrorLogged = false;
        } catch (e) {
          if (!this.#claimErrorLogged) {
            this.#o.log(`store unavailable, retrying: ${(e as Error).message}`);
          }
          this.#claimErrorLogged = true;
        }
        if (job && !signal.aborted) {
          this.#startJob(job);
          continue;
        }
      }
      const ac = new AbortController();
      const both = AbortSignal.any([signal, ac.signal]);
      const waits = [this.#wake.wait(both), delay(this.#o.pollMs, both)];
      await Promise.race(waits).catch(() => {});
      ac.abort();
      await Promise.allSettled(waits);
    }
  }

  #startJob(job: JobDoc): void {
    const ac = new AbortController();
    const entry: Running = { ac, run: null, done: Promise.resolve() };
    this.#running.set(job.id, entry);
    entry.done = this.#runJob(job, entry)
      .catch((e) => this.#o.log(`job ${job.id}: ${(e as Error).stack ?? e}`))
      .finally(() => {
        this.#running.delete(job.id);
        this.#wake.notify();
      });
  }

  /** Retries a store call until it succeeds or the job is stopped. */
  async #retry<T>(fn: () => Promise<T>, signal: AbortSignal, graceMs = 0): Promise<T> {
    let wait = 250;
    const giveUpAt = graceMs > 0 ? Date.now() + graceMs : Infinity;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (signal.aborted && graceMs === 0) throw signal.reason;
        if (Date.now() >= giveUpAt) throw e;
        this.#o.log(`store write failed, retrying in ${wait} ms: ${(e as Error).message}`);
        await delay(wait, graceMs > 0 ? undefined : signal);
        wait = Math.min(wait * 2, 5000);
      }
    }
  }

  async #runJob(job: JobDoc, entry: Running): Promise<void> {
    const { ac } = entry;
    const store = this.#store;
    const id = job.id;
    const update = (patch: JobPatch) => this.#retry(() => store.updateJob(id, patch), ac.signal);
    const keeper = this.#keepLease(id, ac);
    try {
      await update({ status: "running", startedAt: job.startedAt ?? new Date(), error: null });
      const frontier = await this.#retry(() => store.loadFrontier(id), ac.signal);
      let seq = await this.#retry(() => store.maxSeq(id), ac.signal);
      this.#o.hub.open(id, seq);
      const options = resolveOptions(job.options);
      let batch = emptyBatch();
      // The engine says what it queues: exactly those URLs enter the stored
      // frontier (seeds and admitted links; a resumed job's stored pending
      // URLs are not reported again).
      const run = crawl(job.urls, options, {
        signal: ac.signal,
        fetcher: this.#o.fetcher,
        resume: frontier,
        onQueued: (t) => {
          batch.frontier.push({ url: t.url, depth: t.depth, parent: t.parent, state: "pending" });
        },
      });
      entry.run = run;
      // A batch stays until it is written, so a failed flush loses nothing.
      const flush = async (graceMs = 0) => {
        if (batch.events.length === 0 && batch.frontier.length === 0) return;
        const p = run.progress;
        batch.counters = { pages: p.pages, errors: p.errors, skipped: p.skipped, bytes: p.bytes };
        await this.#retry(() => store.write(id, batch), ac.signal, graceMs);
        this.#o.hub.publish(id, batch.events);
        batch = emptyBatch();
      };

      const it = run[Symbol.asyncIterator]();
      let next = it.next();
      let lastFlush = Date.now();
      let doneEvent: CrawlEvent | null = null;
      for (;;) {
        const waitMs = this.#o.flushMs - (Date.now() - lastFlush);
        const r = batch.events.length === 0 ? await next : await raceTimer(next, waitMs);
        if (r === TICK) {
          await flush().catch(() => {});
          lastFlush = Date.now();
          continue;
        }
        if (r.done) break;
        next = it.next();
        const ev = r.value;
        this.#o.metrics.observeEvent(ev);
        if (ev.type === "done") {
          doneEvent = ev;
          continue;
        }
        batch.events.push({ seq: ++seq, key: ev.url, event: ev });
        batch.frontier.push({ url: ev.url, depth: ev.depth, parent: ev.parent, state: ev.type });
        if (ev.type === "page") batch.pages.push(ev);
        if (batch.events.length >= this.#o.batchSize) {
          await flush().catch(() => {});
          lastFlush = Date.now();
        }
      }
      const stop = ac.signal.aborted ? ac.signal.reason : null;
      const kind = stop instanceof JobStop ? stop.kind : null;
      if (kind === "lease_lost") return; // another process owns the job now
      if (kind === "shutdown") {
        // Checkpoint: what finished is written; the rest stays pending for whoever resumes.
        await flush(10_000);
        await store.updateJob(id, { owner: null, leaseUntil: null });
        return;
      }
      if (doneEvent) batch.events.push({ seq: ++seq, key: "done", event: doneEvent });
      await flush(kind ? 10_000 : 0);
      const status = kind === "cancel" ? "cancelled" : "completed";
      await this.#retry(
        () =>
          store.updateJob(id, { status, finishedAt: new Date(), owner: null, leaseUntil: null }),
        new AbortController().signal,
        10_000,
      );
      this.#o.hub.end(id);
    } catch (e) {
      const stop = ac.signal.aborted ? ac.signal.reason : null;
      if (stop instanceof JobStop) return;
      await store.updateJob(id, {
        status: "failed",
        error: (e as Error).message,
        finishedAt: new Date(),
        owner: null,
        leaseUntil: null,
      }).catch(() => {});
      this.#o.hub.end(id);
      throw e;
    } finally {
      await keeper.stop();
      if (!this.#o.hub.isEnded(id)) this.#o.hub.drop(id);
    }
  }

  /** Renews the lease and watches for a cancel request by another process. */
  #keepLease(id: string, ac: AbortController): { stop(): Promise<void> } {
    const every = Math.min(1000, Math.floor(this.#o.leaseMs / 3));
    const halt = new AbortController();
    const loop = (async () => {
      while (!halt.signal.aborted) {
        try {
          await delay(every, halt.signal);
        } catch {
          return;
        }
        try {
          const ok = await this.#store.renewLease(id, this.#o.owner, this.#o.leaseMs, new Date());
          if (!ok) ac.abort(new JobStop("lease_lost"));
          const job = await this.#store.getJob(id);
          if (job?.cancelRequested) ac.abort(new JobStop("cancel"));
        } catch {
          // the store is down; the next tick tries again
        }
      }
    })();
    return {
      stop: async () => {
        halt.abort();
        await loop;
      },
    };
  }
}

async function raceTimer<T>(p: Promise<T>, ms: number): Promise<T | typeof TICK> {
  if (ms <= 0) return TICK;
  const ac = new AbortController();
  try {
    const timer: Promise<typeof TICK> = delay(ms, ac.signal).then(() => TICK, () => TICK);
    return await Promise.race([p, timer]);
  } finally {
    ac.abort();
  }
}
