/**
 * In-process fan-out of job events. The runner publishes each written batch
 * here; followers in the same process read new events from memory and only
 * go to the store for history (or for jobs another process runs, which they
 * poll). This keeps hundreds of live followers from querying the database on
 * every flush.
 *
 * @example
 * ```ts
 * import { JobHub } from "./job_hub.ts";
 * const hub = new JobHub();
 * hub.publish("job-1", [{ seq: 1, key: "done", event: { type: "done", reason: "complete", stats: { pages: 0, errors: 0, skipped: 0, bytes: 0, durationMs: 0 } } }]);
 * hub.cached("job-1", 0)?.length; // 1
 * ```
 * @module
 */
import { Notifier } from "../async/notifier.ts";
import { waitForWakeOrTimeout } from "../async/wait_for_wake_or_timeout.ts";
import { firstAfter, type StoredEvent } from "../store/store.ts";

/** Settings of a {@linkcode JobHub}. */
export interface JobHubOptions {
  /** Most recent events kept in memory per job. @default 10000 */
  keep?: number;
  /**
   * Most links (of `page` events) kept in memory per job: a page with 1,000
   * links weighs as much as 1,000 events without. @default 100000
   */
  keepLinks?: number;
  /** How long a finished job's events stay in memory, in ms. @default 60000 */
  lingerMs?: number;
}

interface JobLog {
  /**
   * Only this process's events of a shared job (others write theirs to the
   * store): `cached` serves a run of consecutive numbers, and sends the
   * follower to the store for the rest.
   */
  partial: boolean;
  /** Events after `base`, ascending; those up to `base` are read from the store. */
  events: StoredEvent[];
  /** Links of the `page` events in `events`. */
  links: number;
  base: number;
  ended: boolean;
  /** Writes of events of this process in flight (see {@linkcode JobHub.writing}). */
  writes: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** See the module doc. */
export class JobHub {
  #notifiers = new Map<string, { notifier: Notifier; waiters: number }>();
  #logs = new Map<string, JobLog>();
  #keep: number;
  #keepLinks: number;
  #lingerMs: number;

  constructor(options: JobHubOptions = {}) {
    this.#keep = options.keep ?? 10_000;
    this.#keepLinks = options.keepLinks ?? 100_000;
    this.#lingerMs = options.lingerMs ?? 60_000;
  }

  /**
   * Starts the in-memory log of a job this process runs, given the highest
   * `seq` already stored (events up to it are read from the store).
   */
  open(jobId: string, storedSeq: number, options: { partial?: boolean } = {}): void {
    this.#close(jobId);
    this.#logs.set(jobId, {
      partial: options.partial ?? false,
      events: [],
      links: 0,
      base: storedSeq,
      ended: false,
      writes: 0,
    });
  }

  /**
   * Adds written events and wakes the job's followers. Events are kept in
   * `seq` order: a batch written by an earlier call may be published after
   * a later one (a shared job's writes overlap), and one at or below the
   * log's start is left to the store.
   */
  publish(jobId: string, events: StoredEvent[]): void {
    const log = this.#logs.get(jobId);
    if (log) {
      for (const e of events) {
        if (e.seq <= log.base) continue;
        const at = log.events.length === 0 || log.events.at(-1)!.seq < e.seq
          ? log.events.length
          : firstAfter(log.events, e.seq - 1);
        if (log.events[at]?.seq === e.seq) continue;
        log.events.splice(at, 0, e);
        log.links += linkCount(e);
      }
      let drop = 0;
      let links = log.links;
      while (
        drop < log.events.length &&
        (log.events.length - drop > this.#keep || links > this.#keepLinks)
      ) {
        links -= linkCount(log.events[drop]);
        drop++;
      }
      if (drop > 0) {
        log.base = log.events[drop - 1].seq;
        log.events.splice(0, drop);
        log.links = links;
      }
    }
    this.notify(jobId);
  }

  /** Says the job's events are complete; the log is dropped after a while. */
  end(jobId: string): void {
    const log = this.#logs.get(jobId);
    if (log) {
      log.ended = true;
      log.timer = setTimeout(() => this.#close(jobId), this.#lingerMs);
      Deno.unrefTimer(log.timer);
    }
    this.notify(jobId);
  }

  /** Forgets a job's log at once (its events stay in the store). */
  drop(jobId: string): void {
    this.#close(jobId);
    this.notify(jobId);
  }

  #close(jobId: string): void {
    const log = this.#logs.get(jobId);
    if (log?.timer !== undefined) clearTimeout(log.timer);
    this.#logs.delete(jobId);
  }

  /**
   * Events after `afterSeq` from memory, or `null` when memory does not
   * cover them (not a local job, or `afterSeq` is older than the log; for a
   * partial log, also when the next event is not here: another process wrote
   * it).
   */
  cached(jobId: string, afterSeq: number): StoredEvent[] | null {
    const log = this.#logs.get(jobId);
    if (!log || afterSeq < log.base) return null;
    // Binary search: a follower asks after every batch, the log holds up to `keep`.
    const lo = firstAfter(log.events, afterSeq);
    if (!log.partial) return log.events.slice(lo);
    if (lo === log.events.length || log.events[lo].seq !== afterSeq + 1) return null;
    let end = lo + 1;
    while (end < log.events.length && log.events[end].seq === log.events[end - 1].seq + 1) end++;
    return log.events.slice(lo, end);
  }

  /** Whether this process holds the job's live log (running here, or just ended). */
  isLocal(jobId: string): boolean {
    return this.#logs.has(jobId);
  }

  /** Whether the local log is complete (the job ended here). */
  isEnded(jobId: string): boolean {
    return this.#logs.get(jobId)?.ended ?? false;
  }

  /** Wakes every follower of a job. */
  notify(jobId: string): void {
    this.#notifiers.get(jobId)?.notifier.notify();
  }

  /** Resolves at the next notify of `jobId` or after `ms`; rejects when `signal` aborts. */
  async wait(jobId: string, ms: number, signal?: AbortSignal): Promise<void> {
    let entry = this.#notifiers.get(jobId);
    if (!entry) {
      entry = { notifier: new Notifier(), waiters: 0 };
      this.#notifiers.set(jobId, entry);
    }
    entry.waiters++;
    try {
      await waitForWakeOrTimeout(entry.notifier, ms, signal);
    } finally {
      if (--entry.waiters === 0) this.#notifiers.delete(jobId);
    }
  }

  /**
   * The `seq` after which this process holds a job's events in memory (those
   * up to it are read from the store), or `null` when it holds no log of it.
   */
  startOf(jobId: string): number | null {
    return this.#logs.get(jobId)?.base ?? null;
  }

  /**
   * Counts this process's writes of a job's events in flight: `+1` when one
   * starts, `-1` when it ended (published or failed). A follower at the end
   * of a partial log waits while one is in flight rather than read its events
   * back from the store (on FerretDB a scan of the job's events), a moment
   * before they are published here.
   */
  writing(jobId: string, delta: 1 | -1): void {
    const log = this.#logs.get(jobId);
    if (log) log.writes = Math.max(0, log.writes + delta);
  }

  /** Whether this process has a write of the job's events in flight. */
  isWriting(jobId: string): boolean {
    return (this.#logs.get(jobId)?.writes ?? 0) > 0;
  }

  /**
   * Whether `afterSeq` is at the end of a partial log of a running job:
   * the next event is either this process's, not yet published, or another
   * process's (see {@linkcode JobHub.cached}).
   */
  atTail(jobId: string, afterSeq: number): boolean {
    const log = this.#logs.get(jobId);
    if (!log || !log.partial || log.ended) return false;
    return afterSeq >= (log.events.at(-1)?.seq ?? log.base);
  }

  /** Drops every log and timer (at shutdown). */
  close(): void {
    for (const id of [...this.#logs.keys()]) this.#close(id);
  }
}

/** How many links an event holds (those of a `page`, none otherwise). */
function linkCount(e: StoredEvent): number {
  return e.event.type === "page" ? e.event.links.length : 0;
}
