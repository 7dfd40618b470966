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

const ENDED = new Set(["completed", "cancelled", "failed"]);

/** See the module doc. */
export async function* followEvents(
  store: Store,
  hub: JobHub,
  jobId: string,
  options: FollowOptions = {},
): AsyncGenerator<NumberedEvent> {
  const pageSize = options.pageSize ?? 500;
  let after = options.since ?? 0;
  let ending = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const batch = hub.cached(jobId, after) ?? await store.readEvents(jobId, after, pageSize);
    for (const e of batch) {
      after = e.seq;
      yield { seq: e.seq, ...e.event };
      if (e.event.type === "done") return;
    }
    if (batch.length === pageSize) continue;
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
