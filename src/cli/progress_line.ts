/**
 * The one-line progress and summary of the CLI.
 *
 * @example
 * ```ts
 * import { formatProgress } from "./progress_line.ts";
 * formatProgress({ pages: 10, errors: 1, skipped: 0, bytes: 2048, durationMs: 0, queued: 5, inFlight: 2 }, 2000);
 * // "pages 10  errors 1  skipped 0  queue 5  in flight 2  5.0 pages/s  0.0 MB"
 * ```
 * @module
 */
import type { CrawlProgress } from "../crawl/crawl.ts";

/** Formats progress after `elapsedMs`; `final` gives the summary wording. */
export function formatProgress(p: CrawlProgress, elapsedMs: number, final = false): string {
  const secs = Math.max(elapsedMs, 1) / 1000;
  const rate = (p.pages / secs).toFixed(1);
  const mb = (p.bytes / 1e6).toFixed(1);
  if (final) {
    return `done: ${p.pages} pages, ${p.errors} errors, ${p.skipped} skipped, ${mb} MB in ${
      secs.toFixed(1)
    } s (${rate} pages/s)`;
  }
  return `pages ${p.pages}  errors ${p.errors}  skipped ${p.skipped}  queue ${p.queued}  in flight ${p.inFlight}  ${rate} pages/s  ${mb} MB`;
}
