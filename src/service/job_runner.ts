/**
 * Runs crawl jobs from the store: claims a job under a lease, resumes it from
 * its stored frontier, turns the engine's events into batched idempotent
 * writes, keeps the lease alive, and ends the job as completed, cancelled or
 * failed. A process that dies leaves its lease to expire, and any process
 * (itself after a restart, or another one) takes the job over. Cancelling a
 * job goes through {@linkcode JobRunner.cancel}, whichever process runs it.
 *
 * Writes are pipelined: while one batch is written the next one fills, and
 * the crawl is only paused when a second full batch waits for the first. A
 * batch is cut every `flushMs` or at `batchSize` events.
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
import {
  eventKey,
  type JobDoc,
  type JobPatch,
  type Store,
  StoreError,
  type WriteBatch,
} from "../store/store.ts";
import { delay } from "../async/delay.ts";
import { Notifier } from "../async/notifier.ts";
import { waitForWakeOrTimeout } from "../async/wait_for_wake_or_timeout.ts";
import type { JobHub } from "./job_hub.ts";
import type { Metrics } from "./metrics.ts";
import { runSharedJob } from "./shared_job.ts";

/** How often a process with a job running looks for more, in ms (at least `pollMs`). */
const BUSY_POLL_MS = 2000;

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
  /** Events per write batch at most (and 10 x as many queued URLs). @default 200 */
  batchSize?: number;
  /**
   * How long a failing store write is retried before the local run of the
   * job stops (the job keeps its state; its lease runs out and it is resumed
   * later, here or elsewhere). @default 60000
   */
  storeRetryMs?: number;
  /**
   * At shutdown, how long fetches in flight may take to finish (their pages
   * are written, so a resume fetches nothing twice) before they are aborted.
   * @default 5000
   */
  shutdownGraceMs?: number;
  /**
   * Heap bytes past which a job admits no new URL and ends `memory_limit`
   * (see `CrawlContext.heapLimitBytes`); all jobs of the process share it.
   * @default no limit
   */
  heapLimitBytes?: number;
  /** Where problems are reported. @default console.error */
  log?: (message: string) => void;
  /**
   * Shared jobs (issue 11): every process works on every running job at
   * once, by host (see `shared_job.ts`), instead of one process per job.
   * @default false
   */
  shared?: boolean;
}

/** Why a running job was stopped. */
export class JobStop extends Error {
  readonly kind: "cancel" | "shutdown" | "lease_lost" | "store_down";
  constructor(kind: "cancel" | "shutdown" | "lease_lost" | "store_down") {
    super(`Job stopped: ${kind}`);
    this.name = "JobStop";
    this.kind = kind;
  }
}

interface Running {
  ac: AbortController;
  /** Aborted at shutdown: fetches in flight finish, no new one starts. */
  drain: AbortController;
  run: CrawlRun | null;
  done: Promise<void>;
}

function emptyBatch(): WriteBatch {
  return { frontier: [], events: [] };
}

/** The `done` event a job cancelled before it ran gets. */
function cancelledBeforeStart(job: JobDoc): CrawlEvent {
  return { type: "done", stats: { ...job.counters, durationMs: 0 }, reason: "aborted" };
}

/** See the module doc. */
export class JobRunner {
  #store: Store;
  #settings: Required<JobRunnerOptions>;
  #running = new Map<string, Running>();
  #wake = new Notifier();
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #claimErrorLogged = false;

  constructor(store: Store, options: JobRunnerOptions) {
    this.#store = store;
    this.#settings = {
      ...options,
      flushMs: options.flushMs ?? 100,
      batchSize: options.batchSize ?? 200,
      storeRetryMs: options.storeRetryMs ?? 60_000,
      shutdownGraceMs: options.shutdownGraceMs ?? 5000,
      heapLimitBytes: options.heapLimitBytes ?? Infinity,
      log: options.log ?? ((m) => console.error(m)),
      shared: options.shared ?? false,
    };
  }

  /** Fetches in flight across this process's jobs. */
  get inFlight(): number {
    let n = 0;
    for (const r of this.#running.values()) n += r.run?.progress.inFlight ?? 0;
    return n;
  }

  /** URLs waiting in the frontiers of this process's jobs (the metrics' queue depth). */
  get queuedUrls(): number {
    let n = 0;
    for (const r of this.#running.values()) n += r.run?.progress.queued ?? 0;
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

  /**
   * Cancels a job, whichever process runs it: run here, it is aborted at
   * once; queued and unowned, it ends `cancelled` with a `done` event now;
   * run by another process, `cancelRequested` is set and its owner stops it
   * within about a second. Returns the job as it was before, or `null` when
   * there is no such job. Rejects with a `StoreError` when the store fails.
   */
  async cancel(id: string): Promise<JobDoc | null> {
    const job = await this.#store.getJob(id);
    if (!job) return null;
    if (job.status !== "queued" && job.status !== "running") return job;
    if (this.#settings.shared && job.status === "running") {
      // Every member of a shared job sees the request; its coordinator writes `done`.
      await this.#store.updateJob(id, { cancelRequested: true });
      this.#cancelLocal(id);
      return job;
    }
    if (this.#cancelLocal(id)) return job;
    if (job.status === "queued" && job.owner === null) {
      // In this order, so that a follower that sees the job cancelled finds its
      // done event, and a process that claims it meanwhile sees the request.
      await this.#store.updateJob(id, { cancelRequested: true });
      const seq = (await this.#store.maxSeq(id)) + 1;
      await this.#store.write(id, {
        frontier: [],
        events: [{ seq, key: "done", event: cancelledBeforeStart(job) }],
      });
      await this.#store.updateJob(id, { status: "cancelled", finishedAt: new Date() });
      this.#settings.hub.notify(id);
    } else {
      await this.#store.updateJob(id, { cancelRequested: true });
    }
    return job;
  }

  /** Aborts a job run by this process; false when it runs elsewhere. */
  #cancelLocal(id: string): boolean {
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
    const all = [...this.#running.values()];
    for (const r of all) r.drain.abort(new JobStop("shutdown"));
    const graceful = Promise.allSettled(all.map((r) => r.done));
    const hard = setTimeout(() => {
      for (const r of all) r.ac.abort(new JobStop("shutdown"));
    }, this.#settings.shutdownGraceMs);
    await graceful;
    clearTimeout(hard);
  }

  async #claimLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const store = this.#store;
    const s = this.#settings;
    while (!signal.aborted) {
      if (this.#running.size < s.maxRunning) {
        let job: JobDoc | null = null;
        try {
          job = await store.claimJob(s.owner, s.leaseMs, new Date());
          this.#claimErrorLogged = false;
        } catch (e) {
          if (!this.#claimErrorLogged) {
            s.log(`store unavailable, retrying: ${(e as Error).message}`);
          }
          this.#claimErrorLogged = true;
        }
        if (job && !signal.aborted) {
          this.#startJob(job, true);
          continue;
        }
        if (s.shared && !signal.aborted) {
          const joinable = await this.#joinable().catch(() => null);
          if (joinable) {
            this.#startJob(joinable, false);
            continue;
          }
        }
      }
      // Busy: look for more work less often (on FerretDB every look reads the jobs).
      const wait = this.#running.size > 0 ? Math.max(s.pollMs, BUSY_POLL_MS) : s.pollMs;
      await waitForWakeOrTimeout(this.#wake, wait, signal).catch(() => {});
    }
  }

  /**
   * A running shared job this process is not working on yet, or `null`;
   * among the 500 most recent jobs (`LIMIT_ACTIVE_JOBS` is 100 by default).
   */
  async #joinable(): Promise<JobDoc | null> {
    const jobs = await this.#store.listJobs(500);
    return jobs.find((j) => j.status === "running" && !this.#running.has(j.id)) ?? null;
  }

  #startJob(job: JobDoc, claimed: boolean): void {
    const ac = new AbortController();
    const entry: Running = {
      ac,
      drain: new AbortController(),
      run: null,
      done: Promise.resolve(),
    };
    this.#running.set(job.id, entry);
    const s = this.#settings;
    const work = s.shared
      ? runSharedJob(job, { store: this.#store, ...s }, entry, claimed)
      : this.#runJob(job, entry);
    entry.done = work
      .catch((e) => this.#settings.log(`job ${job.id}: ${(e as Error).stack ?? e}`))
      .finally(() => {
        this.#running.delete(job.id);
        if (!s.hub.isEnded(job.id)) s.hub.drop(job.id);
        this.#wake.notify();
      });
  }

  /**
   * Retries a store call until it succeeds, the job is stopped (then it
   * throws the stop reason), or `giveUpMs` passed (then it throws the error).
   */
  async #retry<T>(fn: () => Promise<T>, signal: AbortSignal | null, giveUpMs: number): Promise<T> {
    let wait = 250;
    const giveUpAt = Date.now() + giveUpMs;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        // Retrying cannot help a lost lease, nor a batch the store refuses as invalid.
        if (e instanceof StoreError && (e.code === "lease_lost" || e.code === "invalid")) throw e;
        if (signal?.aborted) throw signal.reason;
        if (Date.now() + wait > giveUpAt) throw e;
        this.#settings.log(`store write failed, retrying in ${wait} ms: ${(e as Error).message}`);
        await delay(wait, signal ?? undefined);
        wait = Math.min(wait * 2, 5000);
      }
    }
  }

  async #runJob(job: JobDoc, entry: Running): Promise<void> {
    const { ac } = entry;
    const store = this.#store;
    const s = this.#settings;
    const id = job.id;
    /** Stops the local run for a store error: lease lost (the fence), or retries given up. */
    const stopFor = (e: unknown) => {
      if (e instanceof StoreError && e.code === "invalid") {
        // A bug, not an outage: the job fails with the store's message.
        if (!ac.signal.aborted) ac.abort(e);
        return;
      }
      const lost = e instanceof StoreError && e.code === "lease_lost";
      if (!ac.signal.aborted) ac.abort(new JobStop(lost ? "lease_lost" : "store_down"));
    };
    /** Retries while the job runs; past `storeRetryMs` the local run stops. */
    const retry = <T>(fn: () => Promise<T>) =>
      this.#retry(fn, ac.signal, s.storeRetryMs).catch((e) => {
        stopFor(e);
        throw e;
      });
    const keeper = this.#keepLease(id, ac);
    // Batches cut and not yet written, oldest first; one writer at a time.
    const unwritten: WriteBatch[] = [];
    let writing = null as Promise<void> | null;
    let batch = emptyBatch();
    let run: CrawlRun | null = null;
    const stopKind = () => {
      const stop = ac.signal.aborted
        ? ac.signal.reason
        : entry.drain.signal.aborted
        ? entry.drain.signal.reason
        : null;
      return stop instanceof JobStop ? stop.kind : null;
    };
    /**
     * Writes the cut batches in order. While the job runs, a stop ends the
     * retries; when it ends (`giveUpMs` > 0) they go on for that long anyway.
     * Retries that give up stop the local run (`store_down`).
     */
    const writeUnwritten = async (giveUpMs: number) => {
      while (unwritten.length > 0 && stopKind() !== "lease_lost") {
        const b = unwritten[0];
        const write = () => s.metrics.timeStoreWrite(() => store.write(id, b));
        await (giveUpMs > 0
          ? this.#retry(write, null, giveUpMs).catch((e) => {
            stopFor(e);
            throw e;
          })
          : retry(write));
        unwritten.shift();
        s.hub.publish(id, b.events);
      }
    };
    const cut = () => {
      if (batch.events.length === 0 && batch.frontier.length === 0) return;
      if (run) {
        const p = run.progress;
        batch.counters = { pages: p.pages, errors: p.errors, skipped: p.skipped, bytes: p.bytes };
      }
      batch.owner = s.owner; // fenced: written only while this process holds the lease
      unwritten.push(batch);
      batch = emptyBatch();
    };
    const kick = () => {
      writing ??= writeUnwritten(0).catch(() => {}).finally(() => (writing = null));
    };
    /** Writes everything cut or collected, retrying for up to `giveUpMs` even when stopped. */
    const drain = async (giveUpMs: number) => {
      while (writing) await writing;
      cut();
      await writeUnwritten(giveUpMs);
    };
    let timer: ReturnType<typeof setInterval> | undefined;
    try {
      if (job.cancelRequested) ac.abort(new JobStop("cancel"));
      await retry(() =>
        store.updateJob(id, {
          status: "running",
          startedAt: job.startedAt ?? new Date(),
          error: null,
        })
      );
      const frontier = await retry(() => store.loadFrontier(id));
      let seq = await retry(() => store.maxSeq(id));
      s.hub.open(id, seq);
      const options = resolveOptions(job.options);
      // The engine says what it queues: exactly those URLs enter the stored
      // frontier (seeds and admitted links; a resumed job's stored pending
      // URLs are not reported again).
      run = crawl(job.urls, options, {
        signal: ac.signal,
        fetcher: s.fetcher,
        resume: frontier,
        drain: entry.drain.signal,
        heapLimitBytes: s.heapLimitBytes,
        onQueued: (t) => batch.frontier.push({ url: t.url, depth: t.depth, parent: t.parent }),
      });
      entry.run = run;
      timer = setInterval(() => {
        if (stopKind() !== null) return;
        cut();
        if (unwritten.length > 0) kick();
      }, s.flushMs);

      let doneEvent: CrawlEvent | null = null;
      for await (const ev of run) {
        s.metrics.observeEvent(ev);
        if (ev.type === "done") {
          doneEvent = ev;
          continue;
        }
        batch.events.push({ seq: ++seq, key: eventKey(ev), event: ev });
        // Pages with many links queue many URLs: a batch is cut at batchSize
        // events or 10 x batchSize queued URLs, whichever comes first.
        if (batch.events.length >= s.batchSize || batch.frontier.length >= 10 * s.batchSize) {
          cut();
          // Backpressure: one batch written, one waiting, the crawl pauses for more.
          while (unwritten.length > 1 && writing) await writing;
          kick();
        }
      }
      clearInterval(timer);
      const kind = stopKind();
      if (kind === "lease_lost") {
        s.log(`job ${id}: lease lost to another process; stopped without writing`);
        return;
      }
      if (kind === "store_down") {
        s.log(`job ${id}: store unavailable for ${s.storeRetryMs} ms; stopped, to be resumed`);
        await store.updateJob(id, { owner: null, leaseUntil: null }).catch(() => {});
        return;
      }
      if (kind === "shutdown") {
        // Checkpoint: what finished is written; the rest stays pending for whoever resumes.
        await drain(10_000);
        await store.updateJob(id, { owner: null, leaseUntil: null });
        return;
      }
      if (doneEvent) batch.events.push({ seq: ++seq, key: "done", event: doneEvent });
      await drain(kind ? 10_000 : s.storeRetryMs);
      const status = kind === "cancel" ? "cancelled" : "completed";
      await this.#retry(
        () =>
          store.updateJob(id, { status, finishedAt: new Date(), owner: null, leaseUntil: null }),
        null,
        10_000,
      );
      s.hub.end(id);
    } catch (e) {
      const kind = stopKind();
      if (kind === "lease_lost") {
        s.log(`job ${id}: lease lost to another process; stopped without writing`);
        return;
      }
      if (kind === "store_down") {
        s.log(`job ${id}: store unavailable; stopped, to be resumed: ${(e as Error).message}`);
        await store.updateJob(id, { owner: null, leaseUntil: null }).catch(() => {});
        return;
      }
      if (kind === "shutdown" || kind === "cancel") {
        // Stopped before the crawl could end (the store failed meanwhile): say what is known.
        const patch: JobPatch = kind === "cancel"
          ? { status: "cancelled", finishedAt: new Date(), owner: null, leaseUntil: null }
          : { owner: null, leaseUntil: null };
        await store.updateJob(id, patch).catch(() => {});
        return;
      }
      if (kind !== null) return;
      await store.updateJob(id, {
        status: "failed",
        error: (e as Error).message,
        finishedAt: new Date(),
        owner: null,
        leaseUntil: null,
      }).catch(() => {});
      s.hub.end(id);
      throw e;
    } finally {
      clearInterval(timer);
      await writing?.catch(() => {});
      await keeper.stop();
      if (!s.hub.isEnded(id)) s.hub.drop(id);
    }
  }

  /** Renews the lease and watches for a cancel request by another process. */
  #keepLease(id: string, ac: AbortController): { stop(): Promise<void> } {
    const s = this.#settings;
    const every = Math.min(1000, Math.floor(s.leaseMs / 3));
    const halt = new AbortController();
    const loop = (async () => {
      while (!halt.signal.aborted) {
        try {
          await delay(every, halt.signal);
        } catch {
          return;
        }
        try {
          const ok = await this.#store.renewLease(id, s.owner, s.leaseMs, new Date());
          if (!ok) s.metrics.leaseRenewalFailed();
          if (!ok) ac.abort(new JobStop("lease_lost"));
          const job = await this.#store.getJob(id);
          if (job?.cancelRequested) ac.abort(new JobStop("cancel"));
        } catch {
          s.metrics.leaseRenewalFailed();
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
