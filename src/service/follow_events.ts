/**
 * A job's events as an async iterable: every stored event after `since`, in
 * `seq` order, then live ones as they are written, until `done` (or until the
 * job has ended with no more events). Each follower reads the store at its
 * own pace, so a slow client never slows the crawl or other clients.
 *
 * @example
 * ```ts ignore
 * for await (const e of followEvents(store, hub, jobId, { since: 0 })) console.log(e.seq, e.type);
 * ```
 * @module
 */
import type { CrawlEvent } from "../crawl/events.ts";
import type { Store } from "../store/store.ts";
import type { JobHub } from "./job_hub.ts";

/** A crawl event with its number in the job. */
export type NumberedEvent = CrawlEvent & { seq: number };

/** Settings of {@linkcode followEvents}. */
export interface FollowOptions {
  /** Events with `seq` greater than this. @default 0 */
  since?: number;
  /** How often to look for events written by other processes. @default 500 */
  pollMs?: number;
  /** Events read from the store per query. @default 500 */
  pageSize?: number;
  signal?: AbortSignal;
}

/** Most pages of events a follower catching up reads from the store at once. */
const CATCH_UP = 20;

const ENDED = new Set(["completed", "cancelled", "failed"]);

/** See the module doc. */
export async function* followEvents(
  store: Store,
  hub: JobHub,
  jobId: string,
  options: FollowOptions = {},
): AsyncGenerator<NumberedEvent> {
  const pageSize = options.pageSize ?? 500;
  /**
   * Events to read from the store after `seq`: a follower that fell behind
   * this process's log reads up to its start, up to `CATCH_UP` pages at once
   * (on FerretDB 1.24 each read of a shared job's events scans them all, so
   * reading page by page made a follower fall further behind with each).
   */
  const readSize = (seq: number) => {
    const start = hub.startOf(jobId);
    return start === null || seq >= start
      ? pageSize
      : Math.min(Math.max(pageSize, start - seq), CATCH_UP * pageSize);
  };
  let after = options.since ?? 0;
  let ending = false;
  /** Whether the last look found this follower at the end of a partial log, and it waited. */
  let waitedAtTail = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const cached = hub.cached(jobId, after);
    if (
      cached === null && hub.atTail(jobId, after) && (!waitedAtTail || hub.isWriting(jobId))
    ) {
      // Caught up with a shared job's events here: this process's next ones are published
      // here soon. The store is read only if none come within `pollMs` while no write is in
      // flight here (others' events are not published here). Reading at once, on FerretDB,
      // cost a scan of the job's events for events written here and published a moment
      // later, and a follower that fell behind that way read every event from the store.
      waitedAtTail = true;
      await hub.wait(jobId, options.pollMs ?? 500, options.signal);
      continue;
    }
    waitedAtTail = false;
    const batch = cached ?? await store.readEvents(jobId, after, readSize(after));
    for (const e of batch) {
      after = e.seq;
      yield { seq: e.seq, ...e.event };
      if (e.event.type === "done") return;
    }
    if (batch.length >= pageSize) continue;
    if (ending) return;
    if (hub.isLocal(jobId) && !hub.isEnded(jobId)) {
      await hub.wait(jobId, options.pollMs ?? 500, options.signal);
      continue;
    }
    const job = await store.getJob(jobId);
    if (!job || ENDED.has(job.status)) {
      ending = true; // one more read: events are written before the status changes
      continue;
    }
    await hub.wait(jobId, options.pollMs ?? 500, options.signal);
  }
}
