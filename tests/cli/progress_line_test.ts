import assert from "node:assert/strict";
import { formatProgress } from "../../src/cli/progress_line.ts";

const P = {
  pages: 10,
  errors: 1,
  skipped: 2,
  bytes: 2_500_000,
  durationMs: 0,
  queued: 5,
  inFlight: 3,
};

Deno.test("formatProgress() shows counts, queue, in flight, rate and megabytes", () => {
  assert.equal(
    formatProgress(P, 2000),
    "pages 10  errors 1  skipped 2  queue 5  in flight 3  5.0 pages/s  2.5 MB",
  );
});

Deno.test("formatProgress() words the final summary", () => {
  assert.equal(
    formatProgress(P, 4000, true),
    "done: 10 pages, 1 errors, 2 skipped, 2.5 MB in 4.0 s (2.5 pages/s)",
  );
});

Deno.test("formatProgress() at zero elapsed time gives a finite rate", () => {
  assert.match(formatProgress({ ...P, pages: 0 }, 0), / 0\.0 pages\/s /);
  assert.doesNotMatch(formatProgress(P, 0), /Infinity|NaN/);
});
